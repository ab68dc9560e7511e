"""The outbox (``sg_message``): claiming due messages and moving them through their statuses.

Claims are exclusive across processes: PostgreSQL locks the due rows with ``FOR UPDATE
SKIP LOCKED`` (a second dispatcher skips them instead of waiting); SQLite flips each row
with an atomic conditional ``UPDATE … WHERE status = 'pending'`` (only one writer can win
it). A claimed row is ``sending`` until the channel answers.

Statuses only move forward (:func:`advance`): the dispatcher's "queued" and the provider's
callbacks race, and a late ``sent`` must never overwrite ``delivered``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from .hot_statements import HotStatement
from .tables import sg_message, sg_survey

# Provider (Twilio) statuses in the outbox's words.
PROVIDER_STATUS = {
    "accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "queued", "sent": "sent",
    "delivered": "delivered", "read": "delivered", "undelivered": "undelivered", "failed": "failed",
    "canceled": "cancelled",
}
RANK = {"pending": 0, "sending": 1, "unknown": 1, "queued": 2, "sent": 3,
        "delivered": 4, "undelivered": 4, "failed": 4, "cancelled": 4}
FINAL = frozenset({"delivered", "undelivered", "failed", "cancelled"})
# Built once: every reply that keeps a survey open queues a message (see answers.py).
_ENQUEUE = HotStatement(sa.insert(sg_message).values(
    status="pending", attempts=0, **{name: sa.bindparam(f"new_{name}") for name in
                                     ("survey_id", "kind", "body", "not_before", "created_at", "updated_at")}))
CLAIM_COLUMNS = (sg_message.c.id, sg_message.c.survey_id, sg_message.c.kind, sg_message.c.body,
                 sg_message.c.attempts, sg_message.c.claimed_at, sg_message.c.created_at)


def claim_due(connection: Connection, worker: str, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due ``pending`` messages for ``worker`` (status → ``sending``) and
    return them; another worker claiming at the same time gets none of them."""
    due = (sa.select(sg_message.c.id).where(sg_message.c.status == "pending", sg_message.c.not_before <= now)
           .order_by(sg_message.c.not_before, sg_message.c.id).limit(limit))
    if connection.dialect.name == "postgresql":
        ids = list(connection.execute(due.with_for_update(skip_locked=True)).scalars())
        claimed = _mark_claimed(connection, ids, worker, now)
    else:
        claimed = [i for i in list(connection.execute(due).scalars()) if _mark_claimed(connection, [i], worker, now)]
    if not claimed:
        return []
    rows = connection.execute(sa.select(*CLAIM_COLUMNS).where(sg_message.c.id.in_(claimed)).order_by(sg_message.c.id))
    return [dict(row) for row in rows.mappings()]


def _mark_claimed(connection: Connection, ids: list[int], worker: str, now: datetime) -> list[int]:
    if not ids:
        return []
    result = connection.execute(
        sa.update(sg_message).where(sg_message.c.id.in_(ids), sg_message.c.status == "pending")
        .values(status="sending", claimed_by=worker, claimed_at=now, attempts=sg_message.c.attempts + 1,
                updated_at=now))
    return ids if result.rowcount == len(ids) else []


def advance(connection: Connection, message_id: int, status: str, now: datetime, *,
            provider_sid: str | None = None, error_code: str | None = None, error: str | None = None) -> bool:
    """Move message ``message_id`` to ``status`` if that is a step forward (never out of a final
    status); record ``provider_sid`` whenever it was unknown. Returns whether the status moved."""
    if provider_sid:
        connection.execute(sa.update(sg_message).where(sg_message.c.id == message_id,
                                                       sg_message.c.provider_sid.is_(None))
                           .values(provider_sid=provider_sid, updated_at=now))
    behind = [name for name, rank in RANK.items() if rank < RANK[status] and name not in FINAL]
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if error_code or error:
        values.update(error_code=error_code, error=error)
    result = connection.execute(sa.update(sg_message)
                                .where(sg_message.c.id == message_id, sg_message.c.status.in_(behind))
                                .values(**values))
    return result.rowcount == 1


def mark_unknown(connection: Connection, message_id: int, error: str, now: datetime) -> None:
    """A claimed message whose send ended unclear: left for reconciliation, never re-sent blindly."""
    connection.execute(sa.update(sg_message).where(sg_message.c.id == message_id, sg_message.c.status == "sending")
                       .values(status="unknown", error=error, updated_at=now))


def retry_later(connection: Connection, message_id: int, not_before: datetime, error: str, now: datetime) -> None:
    """Put a claimed message back to ``pending`` until ``not_before`` (nothing was sent)."""
    connection.execute(sa.update(sg_message).where(sg_message.c.id == message_id, sg_message.c.status == "sending")
                       .values(status="pending", not_before=not_before, claimed_by=None, claimed_at=None,
                               error=error, updated_at=now))


def defer(connection: Connection, message_id: int, not_before: datetime, reason: str, now: datetime) -> None:
    """Put a claimed message back to ``pending`` until ``not_before`` because a send-time rule
    holds it: nothing was attempted, so the claim's attempt is taken back (a later 429's
    back-off starts afresh)."""
    connection.execute(sa.update(sg_message).where(sg_message.c.id == message_id, sg_message.c.status == "sending")
                       .values(status="pending", not_before=not_before, claimed_by=None, claimed_at=None,
                               attempts=sg_message.c.attempts - 1, error=reason, updated_at=now))


def cancel_pending(connection: Connection, survey_id: str, now: datetime) -> None:
    """Cancel the survey's messages not yet handed to the channel."""
    connection.execute(sa.update(sg_message)
                       .where(sg_message.c.survey_id == survey_id, sg_message.c.status == "pending")
                       .values(status="cancelled", updated_at=now))


def enqueue(connection: Connection, survey_id: str, kind: str, body: str, not_before: datetime,
            now: datetime) -> int:
    """Add a ``pending`` message to the outbox; return its id."""
    return _ENQUEUE.inserted_id(connection, {"new_survey_id": survey_id, "new_kind": kind, "new_body": body,
                                             "new_not_before": not_before, "new_created_at": now,
                                             "new_updated_at": now})


def message_with_survey(connection: Connection, message_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The message and its survey row, or ``None`` if there is no such message."""
    message = connection.execute(sa.select(sg_message).where(sg_message.c.id == message_id)).mappings().first()
    if message is None:
        return None
    survey = connection.execute(sa.select(sg_survey).where(sg_survey.c.id == message["survey_id"])).mappings().one()
    return dict(message), dict(survey)
