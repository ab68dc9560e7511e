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
from typing import Literal

from sqlalchemy import ColumnElement, FromClause, Table, func, literal_column

from ..store.tables import (
    AgentDimension,
    AgentHistory,
    AgentIntervalFact,
    CaseFact,
    ContactFact,
    ForecastIntervalFact,
    QaEvaluationFact,
    SaleFact,
    SurveyFact,
    SurveyResponseFact,
)

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
    agent_time: tuple[str, ...] = ()
    """For a table with ``agentid``: the time columns (the first one not null) at which a row
    takes its agent's team and site from ``dim_agent_history``, so a row keeps the team its
    agent was in at the time. A table without it cannot be grouped by team or site, unless
    it has those columns itself. Declaring it is all a new agent fact needs."""

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(self.table.columns.keys())

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The report dimensions this table can be grouped by, in DESIGN's order."""
        return tuple(name for name in DIMENSIONS if self._supports(name))

    def _supports(self, dimension: str) -> bool:
        if dimension in _AGENT_DIMENSIONS:
            return dimension in self.columns or ("agentid" in self.columns and bool(self.agent_time))
        if dimension in _INTERVAL_DIMENSIONS:
            return "local_interval" in self.columns
        return _COLUMN_DIMENSIONS[dimension] in self.columns

    def dimension(self, name: str) -> ColumnElement:
        """The expression for dimension ``name`` (which :attr:`dimensions` must contain)."""
        if name in _AGENT_DIMENSIONS:
            return self.table.c[name] if name in self.columns else AGENT_HISTORY.c[name]
        if name in _INTERVAL_DIMENSIONS:
            minutes = self.table.c.local_interval
            # a literal, not a bound parameter: GROUP BY must repeat the select's expression exactly
            return minutes - minutes % literal_column(str(_INTERVAL_DIMENSIONS[name]))
        return self.table.c[_COLUMN_DIMENSIONS[name]]

    def period_condition(self, date_from: date, date_to: date) -> ColumnElement | None:
        """The WHERE condition selecting this table's rows for a period (``None``: every row)."""
        if self.period == "none":
            return None
        column = self.table.c[self.date_column]
        if self.period == "up_to_end":
            return column <= date_to
        return column.between(date_from, date_to)

    def source(self, dimensions: tuple[str, ...]) -> FromClause:
        """The FROM clause: the fact table, joined for team or site to the version of its
        agent's history valid at the row's :attr:`agent_time` (versions never overlap, so a
        row meets at most one)."""
        if not any(name in _AGENT_DIMENSIONS and name not in self.columns for name in dimensions):
            return self.table
        history, moment = AGENT_HISTORY, self._agent_moment()
        condition = (
            (history.c.centre == self.table.c.centre)
            & (history.c.agentid == self.table.c.agentid)
            & (history.c.valid_from.is_(None) | (history.c.valid_from <= moment))
            & (history.c.valid_to.is_(None) | (history.c.valid_to > moment))
        )
        return self.table.outerjoin(history, condition)

    def _agent_moment(self) -> ColumnElement:
        columns = [self.table.c[name] for name in self.agent_time]
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
        FactTable("fact_agent_interval", AgentIntervalFact.__table__, agent_time=("interval_start",)),
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
