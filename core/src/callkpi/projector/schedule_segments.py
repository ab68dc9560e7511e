"""Schedule segments: the segments of each ``schedule.published`` event in a table of their own.

The plan in force at a moment is the overlay of every publication that covers it
(:mod:`.schedule`), and a publication's own time says nothing of the time it covers. Read
from the events, that meant every publication an agent ever had, again for each batch
that touched the agent: a centre publishing a schedule a day slowed its ingest month by
month. Stored with the batch that brings them, indexed by (centre, agent, end), segments
are read only where they reach into a batch's window.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, select

from ..store.tables import ScheduleSegment
from .agent_queries import Span
from .schedule import Piece, segments
from .timeline import parse_time
from .upsert import chunks, insert_missing

SCHEDULE = "schedule.published"
SEGMENTS = ScheduleSegment.__table__


def store_segments(connection: Connection, centre: str, bodies: list[dict[str, Any]]) -> None:
    """Store the segments of the schedules among ``bodies`` (those already stored are kept)."""
    rows = [
        {"event_id": body["id"], "seq": seq, "centre": centre, "agentid": body["agentid"],
         "published_at": parse_time(body["time"]), "start_at": piece.start, "end_at": piece.end,
         "activity": piece.activity}
        for body in bodies if body["type"] == SCHEDULE
        for seq, piece in enumerate(segments(body["data"]))
    ]
    insert_missing(connection, SEGMENTS, rows)


def planned_near(connection: Connection, centre: str, reach: dict[str, Span]) -> dict[str, list[Piece]]:
    """Each agent's stored segments that reach into its span, in the order publications
    apply: by publication time, then event id, then place in the publication."""
    found: dict[str, list[Piece]] = defaultdict(list)
    for agentids in chunks(sorted(reach)):
        rows = connection.execute(_overlapping(centre, agentids, reach)).all()
        # Sorted here, not by ORDER BY: PostgreSQL may collate ids by locale, and a tie in
        # time must break as the rest of the projector breaks it (by code point).
        for row in sorted(rows, key=lambda row: (row.published_at, row.event_id, row.seq)):
            found[row.agentid].append(Piece(row.start_at, row.end_at, row.activity))
    return found


def _overlapping(centre: str, agentids: list[str], reach: dict[str, Span]) -> Any:
    # One query a chunk over the hull of its agents' spans; effective_schedule keeps only
    # what overlaps each agent's own.
    start, end = min(reach[agentid][0] for agentid in agentids), max(reach[agentid][1] for agentid in agentids)
    columns = SEGMENTS.c
    return select(columns.agentid, columns.published_at, columns.event_id, columns.seq, columns.start_at,
                  columns.end_at, columns.activity).where(
        columns.centre == centre, columns.agentid.in_(agentids), columns.end_at > start, columns.start_at < end)
