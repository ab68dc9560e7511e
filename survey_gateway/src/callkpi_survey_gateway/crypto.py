"""Customers' numbers encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The gateway must text the customer, so unlike the core it cannot keep only an HMAC; it
keeps the number encrypted, with the key outside the database (``CALLKPI_SURVEY_KEY`` or
a key file readable by its owner only), and wipes it when the survey closes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken

if TYPE_CHECKING:
    from .config import GatewaySettings

KEY_ENV = "CALLKPI_SURVEY_KEY"


class NumberKeyError(RuntimeError):
    """The number encryption key is unusable (unsafe file mode, malformed, or the wrong key)."""


class NumberCipher:
    """Encrypts and decrypts E.164 numbers with one Fernet key."""

    def __init__(self, key: bytes | str):
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise NumberKeyError(f"the survey number key is not a Fernet key ({exc}); expected 32 "
                                 "url-safe base64-encoded bytes, as `Fernet.generate_key()` makes") from None

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> NumberCipher:
        """The cipher of ``settings.key`` (``CALLKPI_SURVEY_KEY``) if set, else of
        ``settings.key_file`` (created with mode 0600 on first use)."""
        return cls(settings.key.strip() if settings.key else load_or_create_key_file(Path(settings.key_file)))

    def encrypt(self, e164: str) -> str:
        """The ciphertext of ``e164`` (a different token each call: equal numbers do not show)."""
        return self._fernet.encrypt(e164.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The number ``token`` encrypts; :class:`NumberKeyError` if another key made it."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            raise NumberKeyError("a stored number does not decrypt with this key; expected the key "
                                 f"that encrypted it ({KEY_ENV} or the key file)") from None


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key in ``path``, refusing a file others can read; make one if it is missing."""
    if not path.exists():
        return _create_key_file(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise NumberKeyError(f"{path} has mode {mode:04o}; expected 0600 (owner only) for the survey "
                             f"number key — run `chmod 600 {path}`")
    return path.read_bytes().strip()


def _create_key_file(path: Path) -> bytes:
    key = Fernet.generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_key_file(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key
