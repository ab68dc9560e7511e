"""Where each agent is now: the latest ``agent.state_changed`` per agent, read from the event store.

The projector's agent facts hold closed episodes only, so the state an agent is in right now
lives in its latest state event. Scanning every state event of a centre would grow with its
history; instead the candidate agents are found in small, indexed places — agents with
interval facts today or yesterday, agents with a still-open episode (the projector records it
from an agent's first state event on), agents on the roster, agents who answered a contact
today — and only their state events of the last :data:`STATE_HORIZON` are read, through the
event store's ``(centre, agentid, time)`` index. An agent whose latest state is older than that
horizon is treated as gone (a feed that lost the logout), which is also what a wallboard
should show.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import orjson
from sqlalchemy import Connection, bindparam, select, union

from ..projector.timeline import timeline
from ..store.tables import AgentDimension, AgentIntervalFact, AgentOpenEpisode, ContactFact, StoredEvent

STATE_HORIZON = timedelta(hours=24)
STATE_TYPE = "agent.state_changed"
LOGGED_OUT = "logged_out"
EVENTS = StoredEvent.__table__


@dataclass(frozen=True)
class AgentNow:
    """One agent's current state, from its latest state event."""

    agentid: str
    state: str
    queue: str | None
    since: datetime


def current_agent_states(connection: Connection, centre: str, now: datetime, today: date) -> list[AgentNow]:
    """Every agent of ``centre`` logged in at ``now`` (``today`` is the centre's local date)."""
    candidates = sorted(candidate_agents(connection, centre, now, today))
    latest = (_latest_state(connection, centre, agentid, now) for agentid in candidates)
    return [agent for agent in latest if agent is not None and agent.state != LOGGED_OUT]


def count_states(agents: list[AgentNow], queue: str | None = None) -> Counter[str]:
    """Agents per state, of one queue (by the queue their state event named) or of all (``None``)."""
    return Counter(a.state for a in agents if queue is None or a.queue == queue)


def candidate_agents(connection: Connection, centre: str, now: datetime, today: date) -> set[str]:
    """Agents who may be logged in: recent interval facts, open episodes, the current roster,
    today's answerers."""
    intervals = AgentIntervalFact.__table__
    opened = AgentOpenEpisode.__table__
    roster = AgentDimension.__table__
    contacts = ContactFact.__table__
    query = union(
        select(intervals.c.agentid).where(
            intervals.c.centre == centre, intervals.c.local_date >= today - timedelta(days=1)
        ),
        select(opened.c.agentid).where(opened.c.centre == centre),
        select(roster.c.agentid).where(roster.c.centre == centre, roster.c.left_at.is_(None)),
        select(contacts.c.agentid).where(
            contacts.c.centre == centre,
            contacts.c.offered_at > now - STATE_HORIZON,
            contacts.c.agentid.is_not(None),
        ),
    )
    return {agentid for (agentid,) in connection.execute(query)}


# The latest state events of one agent: those at its latest state time, found by walking the
# (centre, agentid, time) index backwards to the first state event. Several can share that
# time (a one-second clock); the projector's tie order picks the one in force. One statement,
# built once, so each lookup is a cached execute.
_STATE_TIMES = (
    select(EVENTS.c.time)
    .where(
        EVENTS.c.centre == bindparam("centre"),
        EVENTS.c.agentid == bindparam("agentid"),
        EVENTS.c.time > bindparam("horizon", type_=EVENTS.c.time.type),
        EVENTS.c.time <= bindparam("now", type_=EVENTS.c.time.type),
        EVENTS.c.type == STATE_TYPE,
    )
    .order_by(EVENTS.c.time.desc())
    .limit(1)
    .scalar_subquery()
)
LATEST_STATE = select(EVENTS.c.time, EVENTS.c.queue, EVENTS.c.body).where(
    EVENTS.c.centre == bindparam("centre"),
    EVENTS.c.agentid == bindparam("agentid"),
    EVENTS.c.type == STATE_TYPE,
    EVENTS.c.time == _STATE_TIMES,
)


def _latest_state(connection: Connection, centre: str, agentid: str, now: datetime) -> AgentNow | None:
    found = connection.execute(
        LATEST_STATE, {"centre": centre, "agentid": agentid, "horizon": now - STATE_HORIZON, "now": now}
    ).all()
    if not found:
        return None
    latest = timeline((orjson.loads(row.body) for row in found), {})[-1]
    # All share one time; the stored time keeps the column's type, as before.
    return AgentNow(agentid, latest.data["state"], latest.body.get("queue"), found[0].time)
