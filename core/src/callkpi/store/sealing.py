"""Sealed text at rest: quarantined input can hold a caller's number in clear.

Quarantine keeps input whole so it can be fixed and replayed, and input that failed to
validate never reached the step that replaces the number by its HMAC. So its payload and
reasons are sealed (AES-256-GCM) with a key derived from the installation's HMAC key: a
copy of the database alone does not show them, and whoever runs ``callkpi`` with the key
reads them as before. Text stored before sealing existed reads as it was.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED_PREFIX = "sealed:v1:"
NONCE_BYTES = 12


class SealError(ValueError):
    """Sealed text that this key cannot open."""


def derive_key(installation_key: bytes, purpose: str) -> bytes:
    """A 256-bit key for ``purpose`` alone, so the HMAC key is never used for two jobs."""
    return hmac.new(installation_key, b"callkpi-subkey:" + purpose.encode(), hashlib.sha256).digest()


class Seal:
    """Seals and opens text with one key; ``label`` names what is sealed, for the AEAD's
    associated data and the error, so a payload cannot be passed off as a reason."""

    def __init__(self, key: bytes, label: str):
        self._aead = AESGCM(key)
        self.label = label

    def seal(self, text: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode(), self.label.encode())
        return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored  # written before sealing existed
        blob = base64.b64decode(stored[len(SEALED_PREFIX):])
        try:
            return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], self.label.encode()).decode()
        except InvalidTag:
            raise SealError(
                f"{self.label}: sealed with another key or altered; expected the installation key "
                "this store's customer hashes were made with (CALLKPI_KEY_FILE or CALLKPI_HMAC_KEY)"
            ) from None


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)
