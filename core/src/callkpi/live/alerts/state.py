"""Alert state in the store, so restarts and several server processes never notify twice.

Each rule of a centre has one ``alert_state`` row (ok or firing). A state change bumps its
``changes`` counter with a conditional UPDATE (``WHERE changes = <the value read>``): of two
processes seeing the same change, exactly one wins and records the ``alert_change`` row
(unique per rule and change number) and its webhook deliveries, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ...store.tables import AlertChange, AlertDelivery, AlertState
from .rules import AlertRule

STATES = AlertState.__table__
CHANGES = AlertChange.__table__
DELIVERIES = AlertDelivery.__table__
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
FIRING, OK, RESOLVED = "firing", "ok", "resolved"


@dataclass(frozen=True)
class Evaluation:
    """A rule's value now and whether it breaches."""

    rule: AlertRule
    value: float | None
    breached: bool


def record_evaluation(
    connection: Connection, centre: str, evaluation: Evaluation, now: datetime, webhooks: list[str]
) -> dict[str, Any] | None:
    """Store ``evaluation``; when it changes the rule's state, record the change and one pending
    delivery per webhook URL and return the alert (as ``callkpi_alert`` receives it)."""
    rule = evaluation.rule
    status = FIRING if evaluation.breached else OK
    row = connection.execute(
        select(STATES).where(STATES.c.centre == centre, STATES.c.rule_id == rule.id)
    ).first()
    if row is None:
        return _first_evaluation(connection, centre, evaluation, status, now, webhooks)
    if row.status == status:
        _touch(connection, centre, rule.id, evaluation.value, now, row.changes)
        return None
    since = now if status == FIRING else row.since
    moved = connection.execute(
        update(STATES)
        .where(STATES.c.centre == centre, STATES.c.rule_id == rule.id, STATES.c.changes == row.changes)
        .values(status=status, since=now, value=evaluation.value, evaluated_at=now, changes=row.changes + 1)
    )
    if moved.rowcount == 0:  # another process recorded this very change first
        return None
    return _record_change(connection, centre, evaluation, row.changes + 1, since, now, webhooks)


def _first_evaluation(
    connection: Connection, centre: str, evaluation: Evaluation, status: str, now: datetime, webhooks: list[str]
) -> dict[str, Any] | None:
    changes = 1 if status == FIRING else 0
    row = {"centre": centre, "rule_id": evaluation.rule.id, "rule": evaluation.rule.text, "status": status,
           "since": now, "value": evaluation.value, "changes": changes, "evaluated_at": now}
    inserted = connection.execute(_INSERTS[connection.dialect.name](STATES).values(**row).on_conflict_do_nothing())
    if inserted.rowcount == 0 or status == OK:  # a new rule that holds is no news
        return None
    return _record_change(connection, centre, evaluation, changes, now, now, webhooks)


def _touch(connection: Connection, centre: str, rule_id: str, value: float | None, now: datetime,
           changes: int) -> None:
    connection.execute(
        update(STATES)
        .where(STATES.c.centre == centre, STATES.c.rule_id == rule_id, STATES.c.changes == changes)
        .values(value=value, evaluated_at=now)
    )


def _record_change(
    connection: Connection, centre: str, evaluation: Evaluation, seq: int, since: datetime, now: datetime,
    webhooks: list[str],
) -> dict[str, Any]:
    rule = evaluation.rule
    change = {"centre": centre, "rule_id": rule.id, "seq": seq, "rule": rule.text, "kpi": rule.metric,
              "queue": rule.queue, "status": FIRING if evaluation.breached else RESOLVED,
              "value": evaluation.value, "threshold": rule.threshold, "since": since, "at": now}
    change_id = connection.execute(insert(CHANGES).values(**change).returning(CHANGES.c.id)).scalar_one()
    if webhooks:
        connection.execute(
            insert(DELIVERIES),
            [{"change_id": change_id, "url": url, "status": "pending", "attempts": 0, "next_attempt_at": now}
             for url in webhooks],
        )
    return alert_of({**change, "id": change_id})


def alert_of(change: dict[str, Any]) -> dict[str, Any]:
    """The alert as the ``callkpi_alert`` hook and the webhooks receive it (times in ISO 8601)."""
    return {
        "id": f"{change['centre']}:{change['rule_id']}:{change['seq']}",
        "rule": change["rule"],
        "kpi": change["kpi"],
        "queue": change["queue"],
        "status": change["status"],
        "value": change["value"],
        "threshold": change["threshold"],
        "since": change["since"].isoformat(),
        "at": change["at"].isoformat(),
    }


def recent_changes(connection: Connection, centre: str, limit: int = 100) -> list[dict[str, Any]]:
    """The centre's latest alert changes, newest first."""
    rows = connection.execute(
        select(CHANGES).where(CHANGES.c.centre == centre).order_by(CHANGES.c.at.desc(), CHANGES.c.id.desc())
        .limit(limit)
    )
    return [alert_of(row._asdict()) for row in rows]


def current_states(connection: Connection, centre: str) -> dict[str, Any]:
    """Rule id → its state row (as a dict) for ``centre``."""
    rows = connection.execute(select(STATES).where(STATES.c.centre == centre))
    return {row.rule_id: row._asdict() for row in rows}
