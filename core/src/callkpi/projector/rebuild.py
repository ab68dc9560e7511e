"""Recomputing every fact of the configured centres from the whole event store.

Facts of a centre are deleted and folded again, a chunk of contacts or agents at a time,
so memory holds one chunk's events, never the whole store. The result is the same as
the facts ingest keeps current, because both run the same folds over the same events.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

import orjson
from sqlalchemy import Column, Connection, delete, select

from ..store.centres import CentreConfig
from ..store.tables import AgentDimension, AgentIntervalFact, ContactFact, StoredEvent
from .agent_intervals import AGENT_TYPES, project_agents
from .contact_facts import project_contacts
from .contacts import CONTACT_TYPES
from .roster import ROSTER_TYPES, project_roster

EVENTS = StoredEvent.__table__
FACT_TABLES = (ContactFact.__table__, AgentIntervalFact.__table__, AgentDimension.__table__)
CONTACT_CHUNK = 1000
# An agent's chunk holds its whole state history, so agents go a few at a time.
AGENT_CHUNK = 20


def rebuild(connection: Connection, centres: dict[str, CentreConfig]) -> None:
    """Delete and recompute the facts of every centre in ``centres``, inside
    ``connection``'s transaction."""
    for name, centre in centres.items():
        for table in FACT_TABLES:
            connection.execute(delete(table).where(table.c.centre == name))
        for contactids in _keys(connection, name, EVENTS.c.contactid, CONTACT_TYPES, CONTACT_CHUNK):
            project_contacts(
                connection,
                centre,
                _bodies(connection, name, EVENTS.c.contactid, contactids, CONTACT_TYPES),
            )
        for agentids in _keys(connection, name, EVENTS.c.agentid, AGENT_TYPES, AGENT_CHUNK):
            project_agents(
                connection,
                centre,
                _bodies(connection, name, EVENTS.c.agentid, agentids, AGENT_TYPES),
            )
        for agentids in _keys(connection, name, EVENTS.c.agentid, ROSTER_TYPES, CONTACT_CHUNK):
            project_roster(
                connection,
                name,
                _bodies(connection, name, EVENTS.c.agentid, agentids, ROSTER_TYPES),
            )


def _keys(
    connection: Connection, centre: str, column: Column[Any], types: Collection[str], size: int
) -> Iterator[list[str]]:
    """The distinct contact or agent ids of ``centre``'s events of ``types``, ``size`` at a time."""
    last: str | None = None
    while True:
        query = (
            select(column)
            .distinct()
            .where(EVENTS.c.centre == centre, column.is_not(None), EVENTS.c.type.in_(sorted(types)))
        )
        if last is not None:
            query = query.where(column > last)
        keys = list(connection.execute(query.order_by(column).limit(size)).scalars())
        if not keys:
            return
        yield keys
        last = keys[-1]


def _bodies(
    connection: Connection,
    centre: str,
    column: Column[Any],
    keys: list[str],
    types: Collection[str],
) -> list[dict[str, Any]]:
    query = select(EVENTS.c.body).where(
        EVENTS.c.centre == centre, column.in_(keys), EVENTS.c.type.in_(sorted(types))
    )
    return [orjson.loads(body) for body in connection.execute(query).scalars()]
