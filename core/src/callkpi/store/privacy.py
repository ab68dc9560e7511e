"""Customer identity as an HMAC: enough to find repeat contacts, useless to a thief.

The key lives outside the database (a key file or ``CALLKPI_HMAC_KEY``); the store keeps
only its fingerprint, so facts made with one key are never silently mixed with another's.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path

import phonenumbers
from sqlalchemy import Connection, insert, select

from ..settings import Settings
from .sealing import Seal, derive_key
from .tables import InstallationSetting

PHONE_LIKE = re.compile(r"^[+0-9][0-9 ()./-]{4,30}$")
# Already canonical: most sources send E.164, and parsing it again costs ~70 µs a number.
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


class MissingKey(RuntimeError):
    pass


def load_key(settings: Settings) -> bytes:
    if settings.hmac_key:
        return bytes.fromhex(settings.hmac_key)
    if settings.key_file.exists():
        return bytes.fromhex(settings.key_file.read_text().strip())
    raise MissingKey(
        f"no HMAC key: {settings.key_file} does not exist and CALLKPI_HMAC_KEY is not set; "
        "run `callkpi init` to generate one"
    )


def create_key_file(path: Path) -> bytes:
    """Write a new random 256-bit key readable by its owner only."""
    key = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex() + "\n")
    return key


def key_fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"callkpi-key-fingerprint:" + key).hexdigest()[:16]


class CustomerHasher:
    """Normalises a customer id (phone numbers to E.164) and returns its HMAC-SHA256."""

    def __init__(self, key: bytes):
        self._key = key
        self.hash = lru_cache(maxsize=65536)(self._hash)

    def seal(self, purpose: str) -> Seal:
        """A seal for ``purpose``, its key derived from this installation's (store/sealing.py)."""
        return Seal(derive_key(self._key, purpose), purpose)

    def _hash(self, customer: str, region: str | None = None) -> str:
        return hmac.new(self._key, normalise_customer(customer, region).encode(), hashlib.sha256).hexdigest()


def normalise_customer(customer: str, region: str | None = None) -> str:
    """``+31 (0)20-123 4567`` and ``020 1234567`` (region NL) both become ``+31201234567``;
    anything that is not a phone number is compared as given, trimmed."""
    text = customer.strip()
    if E164.match(text) or not PHONE_LIKE.match(text):
        return text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


FINGERPRINT = "hmac_key_fingerprint"


def open_hasher(connection: Connection, settings: Settings) -> CustomerHasher:
    """The hasher for this store. A new store without a key gets one made; a store whose
    hashes were made with another key refuses to mix them."""
    table = InstallationSetting.__table__
    stored = connection.execute(select(table.c.value).where(table.c.key == FINGERPRINT)).scalar()
    try:
        key = load_key(settings)
    except MissingKey:
        if stored is not None:
            raise
        key = create_key_file(settings.key_file)
    if stored is None:
        connection.execute(insert(table).values(key=FINGERPRINT, value=key_fingerprint(key)))
    elif stored != key_fingerprint(key):
        raise MissingKey(
            f"this store's customer hashes were made with another key (fingerprint {stored}, this key "
            f"{key_fingerprint(key)}); point CALLKPI_KEY_FILE or CALLKPI_HMAC_KEY at the store's key"
        )
    return CustomerHasher(key)
