"""The agent dimension (``dim_agent``) from agent.joined / agent.left / agent.updated.

For each of name, team and site the latest event (in timeline order) that sets it wins.
``joined_at`` is the latest join; ``left_at`` the latest leave, unless the agent joined
again after it (then None: a rejoined agent is current).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy import Connection, select

from ..store.tables import AgentDimension, StoredEvent
from .timeline import Entry, timeline
from .upsert import chunks, upsert

ROSTER_TYPES = ("agent.joined", "agent.left", "agent.updated")
EVENTS = StoredEvent.__table__
DIMENSION = AgentDimension.__table__


def is_roster_event(body: dict[str, Any]) -> bool:
    return body["type"] in ROSTER_TYPES and "agentid" in body


def project_roster(connection: Connection, centre: str, bodies: list[dict[str, Any]]) -> None:
    """Rewrite the dimension rows of the agents in ``bodies`` (one centre) from all their
    roster events."""
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in chunks(sorted({body["agentid"] for body in bodies})):
        query = select(EVENTS.c.agentid, EVENTS.c.body).where(
            EVENTS.c.centre == centre, EVENTS.c.agentid.in_(chunk), EVENTS.c.type.in_(ROSTER_TYPES)
        )
        for agentid, body in connection.execute(query):
            events[agentid].append(orjson.loads(body))
    upsert(
        connection,
        DIMENSION,
        [fold_agent(centre, agentid, timeline(found, {})) for agentid, found in events.items()],
    )


def fold_agent(centre: str, agentid: str, entries: list[Entry]) -> dict[str, Any]:
    """One agent's dimension row from all of its roster events, sorted."""
    row: dict[str, Any] = {
        "centre": centre,
        "agentid": agentid,
        "name": None,
        "team": None,
        "site": None,
    }
    for entry in entries:
        if entry.type != "agent.left":
            row.update(
                {
                    key: entry.data[key]
                    for key in ("name", "team", "site")
                    if entry.data.get(key) is not None
                }
            )
    joined = [e.time for e in entries if e.type == "agent.joined"]
    left = [e.time for e in entries if e.type == "agent.left"]
    row["joined_at"] = joined[-1] if joined else None
    row["left_at"] = left[-1] if left and (not joined or left[-1] >= joined[-1]) else None
    return row
