"""Survey state changes the dispatcher drives by time or by a failed send: close, expire, remind.

Closing wipes the customer's number (``number_enc``): once a survey is over the gateway
has no reason to be able to text that customer again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from callkpi.store.db import Store

from .events_out import queue_event
from .outbox import cancel_pending, enqueue
from .tables import sg_answer, sg_survey

OPEN = ("scheduled", "active")
BATCH = 200


def close_survey(connection: Connection, survey: Mapping[str, Any], status: str, reason: str, now: datetime) -> bool:
    """Close an open survey as ``status`` (``failed``, ``expired``, ``opted_out`` …) with ``reason``,
    wipe its number and cancel its unsent messages. Returns whether this call closed it."""
    result = connection.execute(
        sa.update(sg_survey).where(sg_survey.c.id == survey["id"], sg_survey.c.status.in_(OPEN))
        .values(status=status, close_reason=reason[:200], closed_at=now, number_enc=None))
    if result.rowcount != 1:
        return False
    cancel_pending(connection, survey["id"], now)
    return True


def fail_survey(connection: Connection, survey: Mapping[str, Any], reason: str, code: str | None,
                now: datetime, event_key: str) -> None:
    """Close ``survey`` as failed and queue ``survey.failed`` (id ``{survey}:failed:{event_key}``)."""
    if close_survey(connection, survey, "failed", reason, now):
        data = {"reason": reason[:256], **({"code": code} if code else {})}
        queue_event(connection, survey["centre"], "survey.failed", survey, data, f"{survey['id']}:failed:{event_key}",
                    now)


def expire_due(store: Store, now: datetime) -> int:
    """Expire open surveys past ``expires_at`` (``survey.expired`` each); return how many."""
    expired = 0
    while True:
        with store.transaction() as connection:
            due = _due(connection, sg_survey.c.status.in_(OPEN), sg_survey.c.expires_at <= now)
            for survey in due:
                if close_survey(connection, survey, "expired", "expired unanswered", now):
                    queue_event(connection, survey["centre"], "survey.expired", survey, {},
                                f"{survey['id']}:expired", now)
                    expired += 1
        if len(due) < BATCH:
            return expired


def queue_reminders(store: Store, now: datetime,
                    render_reminder: Callable[[Connection, Mapping[str, Any]], str]) -> int:
    """Queue the one reminder of each active survey whose ``reminder_at`` passed and that has no
    answer yet; ``render_reminder(connection, survey)`` writes its text. Returns how many were queued."""
    queued = 0
    with store.transaction() as connection:
        for survey in _due(connection, sg_survey.c.status == "active", sg_survey.c.reminder_at <= now):
            # Cleared first, answered or not: a survey is reminded once at most.
            connection.execute(sa.update(sg_survey).where(sg_survey.c.id == survey["id"]).values(reminder_at=None))
            if not _answered(connection, survey["id"]):
                enqueue(connection, survey["id"], "reminder", render_reminder(connection, survey), now, now)
                queued += 1
    return queued


def _due(connection: Connection, *conditions: Any) -> list[dict[str, Any]]:
    query = sa.select(sg_survey).where(*conditions).order_by(sg_survey.c.id).limit(BATCH)
    return [dict(row) for row in connection.execute(query).mappings()]


def _answered(connection: Connection, survey_id: str) -> bool:
    return connection.execute(sa.select(sa.literal(1)).where(sg_answer.c.survey_id == survey_id).limit(1)).first() \
        is not None
