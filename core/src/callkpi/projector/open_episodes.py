"""Still-open agent episodes, counted up to the end of the centre's data apart from the closed ones.

An agent's latest ``agent.state_changed`` (in the projector's order, :mod:`.timeline`) opens an
episode that no event has ended yet. ``fact_agent_interval`` holds closed episodes only
(:mod:`.agents`); this module counts the open one from its start to the **data end**:

* The data end of a centre is the latest ``time`` of its stored ``contact.*`` and
  ``agent.state_changed`` events: the floor's own clock (``centre_data_end``, advanced by
  every batch; a maximum, so the same events give the same end in any order and batching).
  Surveys, schedules, forecasts, cases, QA, sales and roster events leave it alone: they tell
  of other moments (an answer days after the call, next week's plan) from other systems'
  clocks. Nor is it the wall clock: a report on a loaded file must not grow while it is read,
  and a feed that has stopped says nothing about what happened after its last event.
* A batch records, for each agent whose latest state event it holds, that agent's open
  episode (``agent_open_episode``; none after logged_out) and drops the episode's counted
  rows: one row written and one delete per touched agent, never every logged-in agent.
* Counting is lazy: :func:`refresh_open_time`, which the KPI engine runs before a report that
  reads agent time (so the dashboard and the wallboard too), writes each open episode's time
  per 15-minute interval into ``fact_agent_open_interval`` up to the data end, rewriting only
  the intervals from the one it last counted to. The engine adds these rows to
  ``fact_agent_interval``'s (``callkpi.kpi.facts``), and a report's period cuts them at its
  end like any other row: counted to the report's end or the data end, whichever is earlier.
* When the episode's end arrives, its batch drops the open rows and the closed rows count the
  episode, exactly as if it had never been open.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Insert, Select, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..store.centres import CentreConfig, load_centres
from ..store.tables import AgentOpenEpisode, AgentOpenIntervalFact, CentreDataEnd, StoredEvent
from .agents import Episode, is_break, open_interval_rows
from .buckets import floor_interval
from .timeline import Entry, parse_time
from .upsert import upsert

STATE = "agent.state_changed"
LOGGED_OUT = "logged_out"
EPISODES = AgentOpenEpisode.__table__
OPEN_ROWS = AgentOpenIntervalFact.__table__
DATA_END = CentreDataEnd.__table__
EVENTS = StoredEvent.__table__
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_AGENT = (EPISODES.c.centre == bindparam("k_centre")) & (EPISODES.c.agentid == bindparam("k_agentid"))
_DELETE_EPISODE = delete(EPISODES).where(_AGENT)
_COUNTED = update(EPISODES).where(_AGENT).values(counted_to=bindparam("k_counted_to"))
_DELETE_ROWS_FROM = delete(OPEN_ROWS).where(
    OPEN_ROWS.c.centre == bindparam("k_centre"),
    OPEN_ROWS.c.agentid == bindparam("k_agentid"),
    OPEN_ROWS.c.interval_start >= bindparam("k_start"),
)
_DELETE_ROWS = delete(OPEN_ROWS).where(
    OPEN_ROWS.c.centre == bindparam("k_centre"), OPEN_ROWS.c.agentid == bindparam("k_agentid")
)


def moves_data_end(body: dict[str, Any]) -> bool:
    """Whether an event's time takes part in its centre's data end (see the module docstring)."""
    return body["type"] == STATE or body["type"].startswith("contact.")


def advance_data_end(connection: Connection, centre: str, bodies: Iterable[dict[str, Any]]) -> None:
    """Move ``centre``'s data end to the latest time of ``bodies`` that count, if that is later."""
    times = [parse_time(body["time"]) for body in bodies if moves_data_end(body)]
    if times:
        _advance(connection, centre, max(times))


def rebuild_data_end(connection: Connection, centre: str) -> None:
    """Set ``centre``'s data end again from its stored events (``callkpi rebuild``)."""
    counted = or_(EVENTS.c.type == STATE, EVENTS.c.type.like("contact.%"))
    latest = connection.execute(
        select(func.max(EVENTS.c.time)).where(EVENTS.c.centre == centre, counted)
    ).scalar()
    if latest is not None:
        _advance(connection, centre, latest)


def _advance(connection: Connection, centre: str, moment: datetime) -> None:
    connection.execute(_advance_statement(connection.dialect.name), {"k_centre": centre, "k_end": moment})


@lru_cache(maxsize=4)
def _advance_statement(dialect: str) -> Insert:
    """Built once per dialect: every batch runs it, and building it cost more than running it."""
    statement = _INSERTS[dialect](DATA_END).values(
        centre=bindparam("k_centre"), data_end=bindparam("k_end", type_=DATA_END.c.data_end.type)
    )
    # only ever later: a batch of old events (or a concurrent ingest) never moves it back
    return statement.on_conflict_do_update(
        index_elements=["centre"],
        set_={"data_end": statement.excluded.data_end},
        where=DATA_END.c.data_end < statement.excluded.data_end,
    )


def track_open_episodes(connection: Connection, centre: CentreConfig, latest: dict[str, Entry]) -> None:
    """Record the open episode of each agent by its latest state event (``latest``) and drop
    the rows counted for the agent's previous one; they are counted again lazily."""
    if not latest:
        return
    keys = [{"k_centre": centre.name, "k_agentid": agentid} for agentid in sorted(latest)]
    logged_out = [key for key in keys if latest[key["k_agentid"]].data["state"] == LOGGED_OUT]
    opened = [
        {
            "centre": centre.name,
            "agentid": agentid,
            "state": entry.data["state"],
            "started_at": entry.time,
            "is_break": is_break(entry.data, centre.settings.break_reasons),
            "counted_to": None,
        }
        for agentid, entry in sorted(latest.items())
        if entry.data["state"] != LOGGED_OUT
    ]
    # the episode rows first: on PostgreSQL a refresh counting one of these agents holds its
    # episode row locked, so this waits for it, and the delete below then sees its rows
    if logged_out:
        connection.execute(_DELETE_EPISODE, logged_out)
    upsert(connection, EPISODES, opened)
    connection.execute(_DELETE_ROWS, keys)


def refresh_open_time(store: Any, centre: str | None = None) -> int:
    """Count every open episode (of ``centre``; ``None``: of every centre) up to its centre's
    data end where it is not counted that far yet; returns how many episodes were counted.

    A read first: with nothing to count (no event since the last refresh) it writes nothing.
    """
    with store.reading() as connection:
        if connection.execute(_stale(centre).limit(1)).first() is None:
            return 0
    with store.transaction() as connection:
        zones = {name: config.zone for name, config in load_centres(connection).items()}
        # locked (PostgreSQL): a batch changing one of these episodes meanwhile waits, then
        # drops what this wrote
        stale = connection.execute(_stale(centre).with_for_update(of=EPISODES)).all()
        rows, starts, counted = [], [], []
        for found in stale:
            since = _recount_from(found.started_at, found.counted_to, found.data_end)
            episode = Episode(found.started_at, found.data_end, found.state, found.is_break)
            rows += open_interval_rows(found.centre, found.agentid, episode, since, zones[found.centre])
            key = {"k_centre": found.centre, "k_agentid": found.agentid}
            starts.append({**key, "k_start": floor_interval(since)})
            counted.append({**key, "k_counted_to": found.data_end})
        if stale:
            connection.execute(_DELETE_ROWS_FROM, starts)
            connection.execute(_COUNTED, counted)
        upsert(connection, OPEN_ROWS, rows)
    return len(stale)


def _stale(centre: str | None) -> Select:
    """The open episodes not counted up to their centre's data end, with that end."""
    query = (
        select(
            EPISODES.c.centre,
            EPISODES.c.agentid,
            EPISODES.c.state,
            EPISODES.c.started_at,
            EPISODES.c.is_break,
            EPISODES.c.counted_to,
            DATA_END.c.data_end,
        )
        .join(DATA_END, DATA_END.c.centre == EPISODES.c.centre)
        .where(or_(EPISODES.c.counted_to.is_(None), EPISODES.c.counted_to != DATA_END.c.data_end))
    )
    return query.where(EPISODES.c.centre == centre) if centre is not None else query


def _recount_from(started_at: datetime, counted_to: datetime | None, data_end: datetime) -> datetime:
    """Where the rows have to be written again: the intervals before the one the last count
    reached are whole and unchanged; without a count (or one past a data end that went
    back, after a rebuild) from the episode's start."""
    if counted_to is None or counted_to > data_end:
        return started_at
    return max(started_at, floor_interval(counted_to))
