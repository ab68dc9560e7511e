"""The fact tables KPIs may read, and the report dimensions each one can be grouped by.

Dimensions are the names of DESIGN's "Dimensions": a report asks for ``team`` or
``interval30`` and this module turns that into a column expression of the fact table
(``team`` and ``site`` come from ``dim_agent_history``: the version of the fact's agent
valid at the fact's own time, see :attr:`FactTable.agent_time`). Only portable SQL is
used here (no date functions, no integer division), so the same compiled query runs on
SQLite, PostgreSQL and DuckDB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Literal

from sqlalchemy import ColumnElement, FromClause, Table, func, literal, literal_column, select, union_all

from ..store.tables import (
    AgentDimension,
    AgentHistory,
    AgentIntervalFact,
    AgentOpenIntervalFact,
    CaseFact,
    ContactFact,
    ContactLegFact,
    ForecastIntervalFact,
    QaEvaluationFact,
    SaleFact,
    SurveyFact,
    SurveyResponseFact,
)
from .queue_map import BY_QUEUE, QueueMap, queue_dimension

AGENT_DIMENSION: Table = AgentDimension.__table__
AGENT_HISTORY: Table = AgentHistory.__table__

# dimension name → column of the fact table holding it
_COLUMN_DIMENSIONS = {
    "centre": "centre",
    "queue": "queue",
    "channel": "channel",
    "survey_channel": "survey_channel",
    "direction": "direction",
    "agent": "agentid",
    "date": "local_date",
    "week": "local_week",
    "month": "local_month",
    "interval15": "local_interval",
    "hour": "local_hour",
    "weekday": "local_weekday",
    "language": "language",
    "form": "form",
}
# dimension name → minutes of the local-interval bucket it rounds down to
_INTERVAL_DIMENSIONS = {"interval30": 30, "interval60": 60}
INTERVAL_DIMENSIONS = ("interval15", *_INTERVAL_DIMENSIONS)
"""The dimensions whose values are minutes since local midnight (an interval's start)."""


def interval_label(minutes: int) -> str:
    """An interval dimension's value as a reader writes it: 120 → ``02:00``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
_AGENT_DIMENSIONS = ("team", "site")

DIMENSIONS: tuple[str, ...] = (
    "centre",
    "queue",
    "channel",
    "survey_channel",
    "direction",
    "agent",
    "team",
    "site",
    "date",
    "week",
    "month",
    "interval15",
    "interval30",
    "interval60",
    "hour",
    "weekday",
    "language",
    "form",
)
TIME_OF_DAY_HOURS: Mapping[str, float] = {
    "interval15": 0.25,
    "interval30": 0.5,
    "interval60": 1.0,
    "hour": 1.0,
}
"""How many hours of one local day a time-of-day dimension's bucket covers."""


PeriodFilter = Literal["within", "up_to_end", "none"]
"""How a report period selects rows: ``within`` the period's local dates, everything
``up_to_end`` of the period (a backlog: cases still open at period end), or ``none``
(a dimension table such as ``dim_agent``; its measures filter on period moments)."""


OPEN_S = "open_s"
"""The column of an agent-time row saying how much of its staffed time is still open."""


@dataclass(frozen=True)
class FactTable:
    """A fact table KPIs can aggregate: its table and the local-date column periods filter on.

    ``name`` is what KPIs refer to; two names may read the same table with different
    ``period`` filters (``fact_case`` and ``fact_case_backlog``).
    """

    name: str
    table: Table
    date_column: str = "local_date"
    period: PeriodFilter = "within"
    categories: tuple[str, ...] = ()
    """Columns of a few distinct values that many measures filter on (a contact's outcome):
    the compiler groups by them too, so that these filters apply per group, not per row."""
    open_rows: Table | None = None
    """A table of still-open time whose rows count beside ``table``'s (``fact_agent_open_interval``
    for agent time, see ``callkpi.projector.open_episodes``); its ``staffed_s`` is also the
    rows' :data:`OPEN_S`, which is 0 in ``table``'s rows."""

    @cached_property
    def rows(self) -> FromClause:
        """What queries read: ``table``, or ``table`` and ``open_rows`` in one ``UNION ALL``."""
        if self.open_rows is None:
            return self.table
        closed = select(*self.table.columns, literal(0.0).label(OPEN_S))
        opened = select(
            *(
                self.open_rows.c[column.name]
                if column.name in self.open_rows.c
                else literal(0.0).label(column.name)  # adherence: the closed rows hold the plan
                for column in self.table.columns
            ),
            self.open_rows.c.staffed_s.label(OPEN_S),
        )
        return union_all(closed, opened).subquery(f"{self.table.name}_with_open")

    team_site: Literal["agent", "queue_map"] = "agent"
    """Where team and site come from: the row's agent (:attr:`agent_time`), or its queue in the
    centre's queue map (:mod:`.queue_map`, for queue KPIs)."""
    agent_time: tuple[str, ...] = ()
    """For a table with ``agentid``: the time columns (the first one not null) at which a row
    takes its agent's team and site from ``dim_agent_history``, so a row keeps the team its
    agent was in at the time. A table without it cannot be grouped by team or site, unless
    it has those columns itself. Declaring it is all a new agent fact needs."""

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(self.rows.columns.keys())

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The report dimensions this table can be grouped by, in DESIGN's order."""
        return tuple(name for name in DIMENSIONS if self._supports(name))

    def _supports(self, dimension: str) -> bool:
        if dimension in _AGENT_DIMENSIONS:
            if self.team_site == "queue_map":
                return True
            return dimension in self.columns or ("agentid" in self.columns and bool(self.agent_time))
        if dimension in _INTERVAL_DIMENSIONS:
            return "local_interval" in self.columns
        return _COLUMN_DIMENSIONS[dimension] in self.columns

    def dimension(self, name: str, queue_map: QueueMap | None = None) -> ColumnElement:
        """The expression for dimension ``name`` (which :attr:`dimensions` must contain);
        ``queue_map`` gives team and site of a table whose :attr:`team_site` is the map."""
        if name in _AGENT_DIMENSIONS and self.team_site == "queue_map":
            return queue_dimension(self.rows, name, queue_map or {})
        if name in _AGENT_DIMENSIONS:
            return self.rows.c[name] if name in self.columns else AGENT_HISTORY.c[name]
        if name in _INTERVAL_DIMENSIONS:
            minutes = self.rows.c.local_interval
            # a literal, not a bound parameter: GROUP BY must repeat the select's expression exactly
            return minutes - minutes % literal_column(str(_INTERVAL_DIMENSIONS[name]))
        return self.rows.c[_COLUMN_DIMENSIONS[name]]

    def period_condition(self, date_from: date, date_to: date) -> ColumnElement | None:
        """The WHERE condition selecting this table's rows for a period (``None``: every row)."""
        if self.period == "none":
            return None
        column = self.rows.c[self.date_column]
        if self.period == "up_to_end":
            return column <= date_to
        return column.between(date_from, date_to)

    def source(self, dimensions: tuple[str, ...]) -> FromClause:
        """The FROM clause: the fact table's rows (:attr:`rows`), joined for team or site to the
        version of its agent's history valid at the row's :attr:`agent_time` (versions never
        overlap, so a row meets at most one)."""
        rows = self.rows
        if self.team_site == "queue_map" or not any(
            name in _AGENT_DIMENSIONS and name not in self.columns for name in dimensions
        ):
            return rows
        history, moment = AGENT_HISTORY, self._agent_moment()
        condition = (
            (history.c.centre == rows.c.centre)
            & (history.c.agentid == rows.c.agentid)
            & (history.c.valid_from.is_(None) | (history.c.valid_from <= moment))
            & (history.c.valid_to.is_(None) | (history.c.valid_to > moment))
        )
        return rows.outerjoin(history, condition)

    def _agent_moment(self) -> ColumnElement:
        columns = [self.rows.c[name] for name in self.agent_time]
        return columns[0] if len(columns) == 1 else func.coalesce(*columns)


FACT_TABLES: dict[str, FactTable] = {
    fact.name: fact
    for fact in (
        # a contact's agent is the one who answered it, at the answer
        FactTable(
            "fact_contact",
            ContactFact.__table__,
            categories=("outcome",),
            agent_time=("answered_at", "offered_at"),
        ),
        # queue KPIs count its queue legs, agent KPIs its agent legs (store.tables.ContactLegFact);
        # a leg's agent takes the team it was in when it answered that leg
        FactTable(
            "fact_contact_leg",
            ContactLegFact.__table__,
            categories=("leg", "outcome"),
            agent_time=("answered_at", "offered_at"),
        ),
        # the same rows for queue KPIs by team or site: the team and site of their queue
        FactTable(BY_QUEUE["fact_contact"], ContactFact.__table__, categories=("outcome",), team_site="queue_map"),
        FactTable(
            BY_QUEUE["fact_contact_leg"],
            ContactLegFact.__table__,
            categories=("leg", "outcome"),
            team_site="queue_map",
        ),
        FactTable(
            "fact_agent_interval",
            AgentIntervalFact.__table__,
            open_rows=AgentOpenIntervalFact.__table__,
            agent_time=("interval_start",),
        ),
        FactTable("fact_survey", SurveyFact.__table__, agent_time=("agent_at", "scheduled_at")),
        FactTable(
            "fact_survey_response",
            SurveyResponseFact.__table__,
            categories=("instrument", "scale"),
            agent_time=("agent_at", "responded_at"),
        ),
        FactTable("fact_case", CaseFact.__table__, agent_time=("opened_at",)),
        FactTable("fact_case_backlog", CaseFact.__table__, period="up_to_end", agent_time=("opened_at",)),
        FactTable("fact_qa_evaluation", QaEvaluationFact.__table__, agent_time=("evaluated_at",)),
        FactTable("fact_sale", SaleFact.__table__, agent_time=("sold_at",)),
        FactTable("fact_forecast_interval", ForecastIntervalFact.__table__),
        FactTable("dim_agent", AGENT_DIMENSION, period="none"),
        FactTable("dim_agent_history", AGENT_HISTORY, period="none"),
    )
}
"""Fact tables by name. The work that adds a fact table (surveys, cases …) adds it here."""
