"""Queue KPIs by team or site, through the centre's declared queue map.

A queue leg has an agent only when it was answered: grouped by the agent's team, the
abandoned legs would fall into a ``(none)`` row and each team's service level would count
answered legs only. Queue KPIs (``Kpi.queue_attributed``) therefore take team and site
from their *queue*: ``CentreSettings.queue_map`` says which team and site serve each queue,
and every leg of a queue, answered or not, counts for them. This is how Amazon Connect
groups its queue metrics: by queue, channel or routing profile (the declared queues an agent
group serves), not by the agent who happened to answer.

A report asking a queue KPI by team or site reads the fact under its :data:`BY_QUEUE` name,
whose team and site are a ``CASE`` over the map (:func:`queue_dimension`). When a queue the
report counts has no team (site) in the map, the KPI has no value by team (site) and its
reason gives the command that maps the queue (:func:`unmapped_reason`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import ColumnElement, FromClause, String, and_, case, literal_column, null

from ..store.centres import QueueAssignment

QueueMap = Mapping[str, Mapping[str, QueueAssignment]]
"""Centre → queue id → the team and site serving it."""

BY_QUEUE: Mapping[str, str] = {"fact_contact_leg": "fact_queue_leg", "fact_contact": "fact_queue_contact"}
"""A fact table → the same rows with team and site from the queue map (``kpi.facts``)."""
MAPPED_DIMENSIONS = ("team", "site")


def queue_dimension(rows: FromClause, name: str, queue_map: QueueMap) -> ColumnElement:
    """``team`` or ``site`` of each row's queue in its centre's map; NULL for a queue the map
    does not give one (:func:`unmapped_reason` says so before any such value is shown)."""
    whens = [
        (and_(rows.c.centre == _text(centre), rows.c.queue == _text(queue)), _text(value))
        for centre, queues in sorted(queue_map.items())
        for queue, assignment in sorted(queues.items())
        if (value := getattr(assignment, name)) is not None
    ]
    return case(*whens, else_=null()) if whens else null().cast(String)


def queued_rows(rows: FromClause) -> ColumnElement:
    """The rows queue KPIs count: a leg table's queue legs; contacts that were queued or
    turned away at a queue (blocked)."""
    if "leg" in rows.c:
        return rows.c.leg == "queue"
    return rows.c.outcome.in_(("answered", "abandoned", "timed_out", "blocked"))


def _text(value: str) -> ColumnElement:
    # a literal, not a bound parameter: GROUP BY must repeat the select's expression exactly
    return literal_column("'" + value.replace("'", "''") + "'", String)


def unmapped_reason(name: str, unmapped: Sequence[tuple[str, str | None]]) -> str:
    """Why a queue KPI has no value by ``name``: the queues the report counts that the map
    leaves without one (``None``: contacts that reached no queue), and the command that maps
    the first."""
    named = [(centre, queue) for centre, queue in unmapped if queue is not None]
    causes = []
    if named:
        centre, queue = named[0]
        listed = ", ".join(f"{q!r} (centre {c})" for c, q in named)
        causes.append(
            f"the centre's queue map gives no {name} for queue {listed}; map it with "
            f"`callkpi centre queue-map set {centre} {queue} --{name} {name.upper()}`"
        )
    if len(named) < len(unmapped):
        causes.append(f"contacts that reached no queue have no {name} to take")
    return f"not available by {name}: queue KPIs take the {name} of their queue, and " + "; ".join(causes)
