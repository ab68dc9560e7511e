"""Signed JSON webhooks for alert changes, POSTed with httpx and retried with backoff.

Each POST carries the alert as JSON (``centre`` added) and three headers:

* ``X-Callkpi-Timestamp``: Unix seconds when it was signed;
* ``X-Callkpi-Signature``: ``sha256=`` + hex HMAC-SHA256, under the webhook's secret, of
  ``"{timestamp}." + body`` — the timestamp is signed too, so a receiver can refuse replays
  older than a few minutes;
* ``X-Callkpi-Alert-Id``: ``centre:rule:change``, the same on every retry, for deduplication.

A 2xx answer delivers; anything else (or no answer) is retried after 1, 2, 4 … seconds
(:data:`BACKOFF_BASE_S`, doubling, at most :data:`BACKOFF_MAX_S`) until
:data:`MAX_ATTEMPTS`, then the delivery is marked failed with the last error.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import Connection, select, update

from ...store.tables import AlertChange
from .state import DELIVERIES, alert_of

BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 300.0
MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=60)  # a claimed delivery is someone's for this long
BATCH = 50
CHANGES = AlertChange.__table__


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Callkpi-Signature`` value of ``body`` signed at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_request(alert: dict[str, Any], centre: str, secret: str, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one POST of ``alert``."""
    body = orjson.dumps({**alert, "centre": centre})
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "X-Callkpi-Timestamp": str(timestamp),
        "X-Callkpi-Signature": signature(secret, timestamp, body),
        "X-Callkpi-Alert-Id": alert["id"],
    }
    return body, headers


def backoff(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed attempt: 1, 2, 4 … seconds, capped."""
    return timedelta(seconds=min(BACKOFF_BASE_S * 2 ** (attempts - 1), BACKOFF_MAX_S))


@dataclass(frozen=True)
class Due:
    """A claimed delivery: where to POST which alert of which centre."""

    id: int
    url: str
    attempts: int
    centre: str
    alert: dict[str, Any]


def any_due(connection: Connection, now: datetime) -> bool:
    """Whether a pending delivery is due at ``now``: a read, so the alert loop's idle rounds
    never take SQLite's write lock from the ingest and survey writers."""
    due = select(DELIVERIES.c.id).where(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now)
    return connection.execute(due.limit(1)).first() is not None


def claim_due(connection: Connection, now: datetime) -> list[Due]:
    """Pending deliveries due at ``now``, each claimed for :data:`LEASE` (a conditional update,
    so two processes never POST the same attempt)."""
    rows = connection.execute(
        select(DELIVERIES.c.id, DELIVERIES.c.url, DELIVERIES.c.attempts, DELIVERIES.c.next_attempt_at, CHANGES)
        .join(CHANGES, CHANGES.c.id == DELIVERIES.c.change_id)
        .where(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now)
        .order_by(DELIVERIES.c.next_attempt_at)
        .limit(BATCH)
    ).all()
    claimed = []
    for row in rows:
        taken = connection.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == row[0], DELIVERIES.c.next_attempt_at == row.next_attempt_at)
            .values(next_attempt_at=now + LEASE)
        )
        if taken.rowcount:
            change = dict(row._mapping)
            claimed.append(Due(row[0], row.url, row.attempts, change["centre"], alert_of(change)))
    return claimed


async def post(client: httpx.AsyncClient, due: Due, secret: str, now: datetime) -> str | None:
    """POST one delivery; ``None`` when the receiver answered 2xx, else what went wrong."""
    body, headers = signed_request(due.alert, due.centre, secret, now)
    try:
        response = await client.post(due.url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"[:500]
    if response.is_success:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"


def record_attempt(connection: Connection, due: Due, error: str | None, now: datetime) -> None:
    """Mark ``due`` delivered, or schedule its retry (failed after :data:`MAX_ATTEMPTS`)."""
    attempts = due.attempts + 1
    if error is None:
        values: Mapping[str, Any] = {"status": "delivered", "attempts": attempts, "delivered_at": now}
    elif attempts >= MAX_ATTEMPTS:
        values = {"status": "failed", "attempts": attempts, "last_error": error}
    else:
        values = {"attempts": attempts, "last_error": error, "next_attempt_at": now + backoff(attempts)}
    connection.execute(update(DELIVERIES).where(DELIVERIES.c.id == due.id).values(**values))
