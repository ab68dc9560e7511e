"""Why a contact got no survey, or why its message waited or never went: every decision recorded.

Each decision of the policy (at scheduling) and of the send-time rules (in the dispatcher) is
logged at INFO with the contact id and its reason, and stored in ``sg_decision`` in the
transaction that acts on it, so ``callkpi survey why CONTACTID`` shows the whole story
afterwards: scheduled (due when), a quiet-hours wait (until when), sent; or skipped and why.

Decisions name a ``reason_code`` as well as a sentence, so they can be counted:
``sampled_out``, ``capped`` (the frequency cap), ``opted_out``, ``ineligible`` (queue, channel
or outcome not surveyed), ``too_short``, ``too_old``, ``no_number``, ``no_config``,
``quiet_hours``, ``expired``, ``due`` (scheduled) and ``accepted`` (sent). A survey asked for
by hand adds ``requested``, or is ``refused`` with the policy's code or ``unknown_contact``,
``already_surveyed``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from .tables import sg_decision

REASON_LIMIT = 300
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """One decision about a contact: what was decided (``decision``), why (``reason_code`` and
    the sentence ``reason``), and for a wait ``until`` when."""

    decision: str
    reason_code: str
    reason: str
    until: datetime | None = None


def record(connection: Connection, centre: str, contactid: str, survey_id: str | None, decision: Decision,
           now: datetime) -> None:
    """Log ``decision`` at INFO and store it (in the caller's transaction)."""
    until = f" until {decision.until:%Y-%m-%d %H:%M:%S} UTC" if decision.until is not None else ""
    log.info("survey %s for contact %s (centre %s, survey %s): %s: %s%s", decision.decision, contactid, centre,
             survey_id or "none", decision.reason_code, decision.reason, until)
    connection.execute(sa.insert(sg_decision).values(
        centre=centre, contactid=contactid, survey_id=survey_id, decision=decision.decision,
        reason_code=decision.reason_code, reason=decision.reason[:REASON_LIMIT], decided_at=now,
        until=decision.until))


def record_for_survey(connection: Connection, survey: Mapping[str, Any], decision: Decision, now: datetime) -> None:
    """:func:`record` for the contact of ``survey``."""
    record(connection, survey["centre"], survey["contactid"], survey["id"], decision, now)


def decisions_of(connection: Connection, contactid: str, centre: str | None = None) -> list[dict[str, Any]]:
    """Every decision about ``contactid`` (in ``centre``, or in any), oldest first."""
    query = sa.select(sg_decision).where(sg_decision.c.contactid == contactid)
    if centre is not None:
        query = query.where(sg_decision.c.centre == centre)
    rows = connection.execute(query.order_by(sg_decision.c.decided_at, sg_decision.c.id)).mappings()
    return [dict(row) for row in rows]
