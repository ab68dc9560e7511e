"""The agent's history (``dim_agent_history``) and current row (``dim_agent``) from
agent.joined / agent.left / agent.updated.

An agent's roster events are folded in timeline order (:mod:`.timeline`) into versions:

* name, team and site are valid from the time of the event that sets them until the next
  event that changes them; each attribute's first known value also reaches back to before
  the first event (a roster loaded after the contacts still attributes them), so the first
  version is valid "since always" (``valid_from`` None). A late or re-sent event therefore
  changes only the time from its own moment to the next change, never another period.
* Employment: an agent is employed from an agent.joined until the next agent.left. A join
  while employed (a re-sent join) and a leave while not employed (a re-sent leave) change
  nothing: turnover counts each join and leave by its own time. Before the first join or
  leave an agent is employed when that first event is a leave, or when there is none.
* A new version starts only where something changed; events at one instant fold into one
  version. ``joined_at`` / ``left_at`` mark the version a join or leave began.

The ``dim_agent`` row is the last version: its name, team and site, the join that began
its employment and, when it is not employed, the leave that ended it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select

from ..store.tables import AgentDimension, AgentHistory, StoredEvent
from .timeline import Entry, timeline
from .upsert import chunks, upsert

ROSTER_TYPES = ("agent.joined", "agent.left", "agent.updated")
ATTRIBUTES = ("name", "team", "site")
EVENTS = StoredEvent.__table__
DIMENSION = AgentDimension.__table__
HISTORY = AgentHistory.__table__


def is_roster_event(body: dict[str, Any]) -> bool:
    return body["type"] in ROSTER_TYPES and "agentid" in body


def project_roster(connection: Connection, centre: str, bodies: list[dict[str, Any]]) -> None:
    """Rewrite the history and dimension rows of the agents in ``bodies`` (one centre) from
    all their roster events."""
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in chunks(sorted({body["agentid"] for body in bodies})):
        query = select(EVENTS.c.agentid, EVENTS.c.body).where(
            EVENTS.c.centre == centre, EVENTS.c.agentid.in_(chunk), EVENTS.c.type.in_(ROSTER_TYPES)
        )
        for agentid, body in connection.execute(query):
            events[agentid].append(orjson.loads(body))
    histories = {
        agentid: fold_history(centre, agentid, timeline(found, {}))
        for agentid, found in events.items()
    }
    # an agent's versions may merge (a late event can undo a change), so they are replaced
    for chunk in chunks(sorted(histories)):
        connection.execute(
            delete(HISTORY).where(HISTORY.c.centre == centre, HISTORY.c.agentid.in_(chunk))
        )
    versions = [version for history in histories.values() for version in history]
    if versions:
        connection.execute(insert(HISTORY), versions)
    upsert(connection, DIMENSION, [current_row(history) for history in histories.values()])


def fold_history(centre: str, agentid: str, entries: list[Entry]) -> list[dict[str, Any]]:
    """One agent's versions, in time order, from all of its roster events, sorted."""
    current = {
        "centre": centre,
        "agentid": agentid,
        "seq": 0,
        "valid_from": None,
        "valid_to": None,
        **_first_values(entries),
        "employed": _employed_before(entries),
        "joined_at": None,
        "left_at": None,
    }
    versions = [current]
    for entry in entries:
        change = _change(current, entry)
        if not change:
            continue
        if current["valid_from"] != entry.time:
            current["valid_to"] = entry.time
            current = {
                **current,
                "seq": current["seq"] + 1,
                "valid_from": entry.time,
                "valid_to": None,
                "joined_at": None,
                "left_at": None,
            }
            versions.append(current)
        current.update(change)
    return versions


def _first_values(entries: list[Entry]) -> dict[str, Any]:
    found = {key: None for key in ATTRIBUTES}
    for entry in reversed(entries):
        if entry.type != "agent.left":
            found.update({key: entry.data[key] for key in ATTRIBUTES if entry.data.get(key) is not None})
    return found


def _employed_before(entries: list[Entry]) -> bool:
    first = next((e.type for e in entries if e.type != "agent.updated"), None)
    return first != "agent.joined"


def _change(version: dict[str, Any], entry: Entry) -> dict[str, Any]:
    """What ``entry`` changes in ``version``: attributes it sets to another value, and the
    start or end of employment."""
    if entry.type == "agent.left":
        return {"employed": False, "left_at": entry.time} if version["employed"] else {}
    change = {
        key: entry.data[key]
        for key in ATTRIBUTES
        if entry.data.get(key) is not None and entry.data[key] != version[key]
    }
    if entry.type == "agent.joined" and not version["employed"]:
        change.update(employed=True, joined_at=entry.time)
    return change


def current_row(history: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``dim_agent`` row: the last version, with its employment's join and leave."""
    last = history[-1]
    return {
        **{key: last[key] for key in ("centre", "agentid", *ATTRIBUTES)},
        "joined_at": _latest(history, "joined_at"),
        "left_at": None if last["employed"] else _latest(history, "left_at"),
    }


def _latest(history: list[dict[str, Any]], key: str) -> datetime | None:
    return next((v[key] for v in reversed(history) if v[key] is not None), None)
