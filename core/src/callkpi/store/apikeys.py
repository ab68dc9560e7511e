"""API keys: scoped, bound to one centre, stored only as a SHA-256 hash and a short prefix.

The key itself is shown once, when it is made; a lost key is revoked and replaced,
never recovered.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, get_args

from sqlalchemy import Connection, insert, select, update

from .tables import ApiKey, Centre

Scope = Literal["ingest", "read", "admin", "survey"]
SCOPES: tuple[str, ...] = get_args(Scope)
KEY_PREFIX = "ck_"
# "ck_" plus 8 characters of the secret: enough to tell keys apart in a listing,
# far too little to guess the remaining 40.
PREFIX_LENGTH = len(KEY_PREFIX) + 8
API_KEY_TABLE = ApiKey.__table__


class ApiKeyError(ValueError):
    """A key could not be made or changed; the message names the value and what was expected."""


@dataclass(frozen=True)
class ApiKeyRecord:
    """A stored key as listings and request handlers see it (never the secret)."""

    prefix: str
    scope: str
    centre: str
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    connection: Connection, scope: str, centre: str, label: str = ""
) -> tuple[str, ApiKeyRecord]:
    """Make a key for ``centre`` with ``scope``; returns the secret (shown once) and its record."""
    if scope not in SCOPES:
        raise ApiKeyError(f"scope = {scope!r}: expected one of {', '.join(SCOPES)}")
    if not connection.execute(select(Centre.name).where(Centre.name == centre)).first():
        raise ApiKeyError(
            f"centre = {centre!r}: no such centre; expected a configured centre "
            f"(add it with `callkpi centre add {centre} --timezone Area/City`)"
        )
    key = KEY_PREFIX + secrets.token_urlsafe(36)
    record = ApiKeyRecord(key[:PREFIX_LENGTH], scope, centre, label, datetime.now(UTC), None)
    connection.execute(
        insert(API_KEY_TABLE).values(
            prefix=record.prefix,
            key_hash=hash_key(key),
            scope=scope,
            centre=centre,
            label=label,
            created_at=record.created_at,
        )
    )
    return key, record


def list_api_keys(connection: Connection) -> list[ApiKeyRecord]:
    rows = connection.execute(
        select(API_KEY_TABLE).order_by(API_KEY_TABLE.c.created_at, API_KEY_TABLE.c.id)
    )
    return [_record(row) for row in rows]


def revoke_api_key(connection: Connection, prefix: str) -> ApiKeyRecord:
    """Revoke the key with ``prefix``; it stops working at once and stays listed."""
    row = connection.execute(select(API_KEY_TABLE).where(API_KEY_TABLE.c.prefix == prefix)).first()
    if row is None:
        raise ApiKeyError(
            f"prefix = {prefix!r}: no API key has this prefix; "
            "expected one shown by `callkpi apikey list`"
        )
    if row.revoked_at is not None:
        raise ApiKeyError(
            f"prefix = {prefix!r}: this key was already revoked "
            f"at {row.revoked_at:%Y-%m-%d %H:%M} UTC"
        )
    now = datetime.now(UTC)
    connection.execute(
        update(API_KEY_TABLE).where(API_KEY_TABLE.c.prefix == prefix).values(revoked_at=now)
    )
    return replace(_record(row), revoked_at=now)


def find_api_key(connection: Connection, key: str) -> ApiKeyRecord | None:
    """The record of ``key`` (revoked or not), or ``None`` when no such key was ever made."""
    row = connection.execute(
        select(API_KEY_TABLE).where(API_KEY_TABLE.c.key_hash == hash_key(key))
    ).first()
    return _record(row) if row else None


def _record(row) -> ApiKeyRecord:
    return ApiKeyRecord(
        row.prefix, row.scope, row.centre, row.label, row.created_at, row.revoked_at
    )
