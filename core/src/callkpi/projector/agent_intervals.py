"""Rewriting the ``fact_agent_interval`` rows that a batch's agent events change.

New state events between an agent's stored state events at P (the last before the batch's
earliest) and N (the first after its latest) change only the episodes in [P, N]; a
schedule changes only the time its segments cover. That span, widened by the adherence
tolerance and rounded out to whole intervals, is the window whose rows are deleted and
computed again from the stored events: the state events from the last one at or before
the window's start (minus tolerance) to the first one at or after its end (plus
tolerance), and the schedule segments that reach into that stretch
(:mod:`.schedule_segments`), stored first with the batch's own.

An agent whose latest state event is in the batch (no stored one after the batch's latest)
has a new open episode: :mod:`.open_episodes` records it for counting apart.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete

from ..store.centres import CentreConfig
from ..store.tables import AgentIntervalFact
from .agent_queries import STATE, Span, neighbour_times, states_around
from .agents import Window, interval_rows
from .buckets import ceil_interval, floor_interval
from .open_episodes import track_open_episodes
from .schedule import segments
from .schedule_segments import SCHEDULE, planned_near, store_segments
from .timeline import parse_time, timeline
from .upsert import upsert

AGENT_TYPES = frozenset((STATE, SCHEDULE))
FACTS = AgentIntervalFact.__table__
_DELETE_WINDOW = delete(FACTS).where(
    FACTS.c.centre == bindparam("k_centre"),
    FACTS.c.agentid == bindparam("k_agentid"),
    FACTS.c.interval_start >= bindparam("k_start"),
    FACTS.c.interval_start < bindparam("k_end"),
)


def is_agent_event(body: dict[str, Any]) -> bool:
    return body["type"] in AGENT_TYPES and "agentid" in body


def project_agents(
    connection: Connection, centre: CentreConfig, bodies: list[dict[str, Any]]
) -> None:
    """Rewrite the interval rows changed by the state and schedule events in ``bodies``
    (all of one centre)."""
    store_segments(connection, centre.name, bodies)
    tolerance = timedelta(seconds=centre.settings.adherence_tolerance_s)
    spans, latest_in_batch = _changed_spans(connection, centre.name, bodies)
    windows = {
        agentid: Window(floor_interval(start - tolerance), ceil_interval(end + tolerance))
        for agentid, (start, end) in spans.items()
    }
    reach = {agentid: (w.start - tolerance, w.end + tolerance) for agentid, w in windows.items()}
    states = states_around(connection, centre.name, reach)
    planned = planned_near(connection, centre.name, reach)
    ordered = {agentid: timeline(states[agentid], {}) for agentid in windows}
    rows = [
        row
        for agentid, window in windows.items()
        for row in interval_rows(
            centre.name,
            agentid,
            window,
            ordered[agentid],
            planned[agentid],
            centre.settings,
            centre.zone,
        )
    ]
    connection.execute(
        _DELETE_WINDOW,
        [
            {
                "k_centre": centre.name,
                "k_agentid": agentid,
                "k_start": window.start,
                "k_end": window.end,
            }
            for agentid, window in windows.items()
        ],
    )
    upsert(connection, FACTS, rows)
    track_open_episodes(
        connection, centre, {agentid: ordered[agentid][-1] for agentid in latest_in_batch}
    )


def _changed_spans(
    connection: Connection, centre: str, bodies: list[dict[str, Any]]
) -> tuple[dict[str, Span], set[str]]:
    """Per agent, the span whose episodes the batch changes; and the agents with no stored
    state event after the batch's latest (whose open episode therefore changes)."""
    state_times: dict[str, list[datetime]] = defaultdict(list)
    planned: dict[str, list[datetime]] = defaultdict(list)
    for body in bodies:
        if body["type"] == STATE:
            state_times[body["agentid"]].append(parse_time(body["time"]))
        else:
            planned[body["agentid"]] += [
                moment for piece in segments(body["data"]) for moment in piece[:2]
            ]
    batch = {agentid: (min(times), max(times)) for agentid, times in state_times.items()}
    around = neighbour_times(connection, centre, batch)
    spans = {
        agentid: (around[agentid][0] or start, around[agentid][1] or end)
        for agentid, (start, end) in batch.items()
    }
    latest_in_batch = {agentid for agentid in batch if around[agentid][1] is None}
    for agentid, moments in planned.items():
        spans[agentid] = _hull(spans.get(agentid), (min(moments), max(moments)))
    return spans, latest_in_batch


def _hull(span: Span | None, other: Span) -> Span:
    return other if span is None else (min(span[0], other[0]), max(span[1], other[1]))
