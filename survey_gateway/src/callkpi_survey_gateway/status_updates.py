"""Twilio status callbacks applied to the outbox: deduplicated, monotonic, tiny transactions.

A callback is applied once per ``(MessageSid, MessageStatus)`` (Twilio retries and may
repeat), and only ever moves a message forward: a ``sent`` arriving after ``delivered``
changes nothing. The outbox id in the callback URL (``?m=``) finds the message even when
the dispatcher never learnt its sid (an unclear send): the callback reconciles it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from . import outbox
from .channels import ProviderMessage
from .dispatcher import OPENING_KINDS, record_accepted
from .events_out import queue_event
from .lifecycle import fail_survey
from .suppression import suppress
from .tables import sg_message, sg_status_seen

Outcome = Literal["applied", "stale", "duplicate", "unknown-message", "unknown-status"]
UNSUBSCRIBED = "21610"


def apply_status_callback(connection: Connection, sid: str, provider_status: str, error_code: str | None,
                          outbox_id: int | None, now: datetime) -> Outcome:
    """Apply one status callback; say what became of it."""
    if not _first_sighting(connection, sid, provider_status, now):
        return "duplicate"
    status = outbox.PROVIDER_STATUS.get(provider_status)
    if status is None:
        return "unknown-status"
    found = _message(connection, sid, outbox_id)
    if found is None:
        return "unknown-message"
    message, survey = found
    if status in ("undelivered", "failed"):
        return _failed(connection, message, survey, ProviderMessage(sid, status, error_code), now)
    return _progressed(connection, message, survey, ProviderMessage(sid, provider_status), now)


def _first_sighting(connection: Connection, sid: str, status: str, now: datetime) -> bool:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    inserted = connection.execute(dialect.insert(sg_status_seen)
                                  .values(message_sid=sid, status=status[:16], received_at=now)
                                  .on_conflict_do_nothing(index_elements=["message_sid", "status"])
                                  .returning(sg_status_seen.c.message_sid))
    return inserted.first() is not None  # not rowcount: psycopg says -1 after ON CONFLICT DO NOTHING


def _message(connection: Connection, sid: str, outbox_id: int | None) -> tuple[dict[str, Any], dict[str, Any]] | None:
    if outbox_id is None:
        outbox_id = connection.execute(sa.select(sg_message.c.id).where(sg_message.c.provider_sid == sid)).scalar()
    found = outbox.message_with_survey(connection, outbox_id) if outbox_id is not None else None
    if found is None or found[0]["provider_sid"] not in (None, sid):
        return None  # an id from another message's URL: believe neither
    return found


def _progressed(connection: Connection, message: dict[str, Any], survey: dict[str, Any],
                accepted: ProviderMessage, now: datetime) -> Outcome:
    before = message["status"]
    record_accepted(connection, message, survey, accepted, now)
    after = connection.execute(sa.select(sg_message.c.status).where(sg_message.c.id == message["id"])).scalar()
    if after == before:
        return "stale"
    if after == "delivered" and message["kind"] in OPENING_KINDS:
        queue_event(connection, survey["centre"], "survey.delivered", survey, {"message_id": accepted.sid},
                    f"{survey['id']}:delivered:{message['id']}", now)
    return "applied"


def _failed(connection: Connection, message: Mapping[str, Any], survey: Mapping[str, Any],
            failure: ProviderMessage, now: datetime) -> Outcome:
    status, error_code = failure.status, failure.error_code
    if not outbox.advance(connection, message["id"], status, now, provider_sid=failure.sid,
                          error_code=error_code, error=f"Twilio status {status}"):
        return "stale"
    if error_code == UNSUBSCRIBED and survey["customer_hmac"]:
        suppress(connection, survey["customer_hmac"], survey["centre"], "carrier STOP (Twilio 21610)", now)
    if message["kind"] in OPENING_KINDS or error_code == UNSUBSCRIBED:
        reason = f"message {status}" + (f" (Twilio {error_code})" if error_code else "")
        fail_survey(connection, survey, reason, error_code, now, str(message["id"]))
    return "applied"

