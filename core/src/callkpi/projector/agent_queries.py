"""The two agent-state queries of a batch, each one statement for up to 100 agents.

Every agent needs its own time bounds, answered by an index seek on ``ix_event_agent``
(``ORDER BY time … LIMIT 1``). Building that as a SQLAlchemy expression per batch costs
more than running it, so the SQL text is built once per agent count and cached; the
statement's bound times are typed, so each dialect stores and compares them its own way,
and it runs at the driver level (``driver.run_text``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, String, TextClause, bindparam, text

from ..store.tables import StoredEvent
from .driver import result_processor, run_text
from .upsert import chunks

STATE = "agent.state_changed"
EVENTS = StoredEvent.__table__
TIME_TYPE = EVENTS.c.time.type
# One SELECT per agent in a UNION: SQLite allows 500 terms in a compound SELECT.
UNION_CHUNK = 128
# Not a valid agent id, so a padding term matches nothing.
NO_AGENT = ""
Span = tuple[datetime, datetime]
_AGENT = "FROM event WHERE centre = :centre AND agentid = :a{i} AND type = :state AND time"


def neighbour_times(
    connection: Connection, centre: str, spans: dict[str, Span]
) -> dict[str, tuple[datetime | None, datetime | None]]:
    """Per agent: its last state event time before span start and its first after span end."""
    found: dict[str, tuple[datetime | None, datetime | None]] = {}
    as_time = result_processor(TIME_TYPE, connection.dialect)
    for chunk in chunks(sorted(spans), UNION_CHUNK):
        query = _neighbours_sql(_padded(len(chunk)))
        rows = run_text(connection, query, _params(centre, chunk, spans))
        found.update(
            {
                agentid: (as_time(previous), as_time(following))
                for agentid, previous, following in rows
                if agentid != NO_AGENT
            }
        )
    return found


def states_around(
    connection: Connection, centre: str, spans: dict[str, Span]
) -> dict[str, list[dict[str, Any]]]:
    """Per agent: its state events from the last one at or before span start to the first
    one at or after span end (from span start / to span end where there is none)."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in chunks(sorted(spans), UNION_CHUNK):
        query = _around_sql(_padded(len(chunk)))
        for agentid, body in run_text(connection, query, _params(centre, chunk, spans)).all():
            found[agentid].append(orjson.loads(body))
    return found


def _padded(count: int) -> int:
    """The next power of two: statements come in a few sizes, so they stay compiled."""
    return 1 << (count - 1).bit_length()


def _params(centre: str, agentids: list[str], spans: dict[str, Span]) -> dict[str, Any]:
    params: dict[str, Any] = {"centre": centre, "state": STATE}
    padding = [NO_AGENT] * (_padded(len(agentids)) - len(agentids))
    for i, agentid in enumerate([*agentids, *padding]):
        start, end = spans.get(agentid) or spans[agentids[0]]
        params.update({f"a{i}": agentid, f"lo{i}": start, f"hi{i}": end})
    return params


def _typed(sql: str, count: int) -> TextClause:
    times = [
        bindparam(f"{edge}{i}", type_=TIME_TYPE) for i in range(count) for edge in ("lo", "hi")
    ]
    return text(sql).bindparams(*times)


@lru_cache(maxsize=16)
def _neighbours_sql(count: int) -> TextClause:
    selects = [
        f"SELECT CAST(:a{i} AS VARCHAR(128)) AS agentid, "
        f"(SELECT time {_AGENT.format(i=i)} < :lo{i} ORDER BY time DESC LIMIT 1) AS previous, "
        f"(SELECT time {_AGENT.format(i=i)} > :hi{i} ORDER BY time ASC LIMIT 1) AS following"
        for i in range(count)
    ]
    return _typed(" UNION ALL ".join(selects), count).columns(
        agentid=String, previous=TIME_TYPE, following=TIME_TYPE
    )


@lru_cache(maxsize=16)
def _around_sql(count: int) -> TextClause:
    selects = [
        f"SELECT agentid, body {_AGENT.format(i=i)} BETWEEN "
        f"COALESCE((SELECT time {_AGENT.format(i=i)} <= :lo{i} "
        f"ORDER BY time DESC LIMIT 1), :lo{i}) AND "
        f"COALESCE((SELECT time {_AGENT.format(i=i)} >= :hi{i} ORDER BY time ASC LIMIT 1), :hi{i})"
        for i in range(count)
    ]
    return _typed(" UNION ALL ".join(selects), count)
