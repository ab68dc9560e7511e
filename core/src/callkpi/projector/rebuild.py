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
from ..store.tables import (
    AgentDimension,
    AgentHistory,
    AgentIntervalFact,
    AgentOpenEpisode,
    AgentOpenIntervalFact,
    CaseFact,
    CentreDataEnd,
    ContactFact,
    ContactLegFact,
    ForecastIntervalFact,
    QaEvaluationFact,
    SaleFact,
    ScheduleSegment,
    StoredEvent,
    SurveyFact,
    SurveyResponseFact,
)
from .agent_intervals import AGENT_TYPES, project_agents
from .business_facts import BUSINESS_TYPES, project_business
from .contact_facts import project_contacts
from .contacts import CONTACT_TYPES
from .forecasts import FORECAST_TYPE, project_forecasts
from .open_episodes import rebuild_data_end
from .roster import ROSTER_TYPES, project_roster
from .surveys import FOLLOW_UP, SURVEY_TYPES, project_surveys

EVENTS = StoredEvent.__table__
# Everything derived from the events: the schedule segments go with the facts they feed, the
# open episodes and the data end with the agent time.
FACT_TABLES = (
    ContactFact.__table__,
    ContactLegFact.__table__,
    ScheduleSegment.__table__,
    AgentIntervalFact.__table__,
    AgentOpenEpisode.__table__,
    AgentOpenIntervalFact.__table__,
    CentreDataEnd.__table__,
    AgentDimension.__table__,
    AgentHistory.__table__,
    SurveyFact.__table__,
    SurveyResponseFact.__table__,
    CaseFact.__table__,
    QaEvaluationFact.__table__,
    SaleFact.__table__,
    ForecastIntervalFact.__table__,
)
CONTACT_CHUNK = 1000
# An agent's chunk holds its whole state history, so agents go a few at a time.
AGENT_CHUNK = 20


def rebuild(connection: Connection, centres: dict[str, CentreConfig]) -> None:
    """Delete and recompute the facts of every centre in ``centres``, inside
    ``connection``'s transaction."""
    for name, centre in centres.items():
        for table in FACT_TABLES:
            connection.execute(delete(table).where(table.c.centre == name))
        rebuild_data_end(connection, name)
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
        _rebuild_other_facts(connection, centre)


def _rebuild_other_facts(connection: Connection, centre: CentreConfig) -> None:
    """Surveys by contact, then opt-outs without a contact (their survey rows exist by
    then), then cases, evaluations, sales and forecasts a chunk of events at a time."""
    name, survey_types = centre.name, SURVEY_TYPES | {FOLLOW_UP}
    for contactids in _keys(connection, name, EVENTS.c.contactid, survey_types, CONTACT_CHUNK):
        project_surveys(
            connection,
            centre,
            _bodies(connection, name, EVENTS.c.contactid, contactids, survey_types),
        )
    for ids in _keys(
        connection, name, EVENTS.c.id, SURVEY_TYPES, CONTACT_CHUNK, EVENTS.c.contactid
    ):
        project_surveys(
            connection, centre, _bodies(connection, name, EVENTS.c.id, ids, SURVEY_TYPES)
        )
    for types, project_facts in (
        (BUSINESS_TYPES, project_business),
        ({FORECAST_TYPE}, project_forecasts),
    ):
        for ids in _keys(connection, name, EVENTS.c.id, types, CONTACT_CHUNK):
            project_facts(connection, centre, _bodies(connection, name, EVENTS.c.id, ids, types))


def _keys(
    connection: Connection,
    centre: str,
    column: Column[Any],
    types: Collection[str],
    size: int,
    missing: Column[Any] | None = None,
) -> Iterator[list[str]]:
    """The distinct contact, agent or event ids of ``centre``'s events of ``types`` (with
    no ``missing`` column when given), ``size`` at a time."""
    last: str | None = None
    while True:
        query = (
            select(column)
            .distinct()
            .where(EVENTS.c.centre == centre, column.is_not(None), EVENTS.c.type.in_(sorted(types)))
        )
        if missing is not None:
            query = query.where(missing.is_(None))
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
