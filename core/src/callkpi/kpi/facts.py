"""The fact tables KPIs may read, and the report dimensions each one can be grouped by.

Dimensions are the names of DESIGN's "Dimensions": a report asks for ``team`` or
``interval30`` and this module turns that into a column expression of the fact table
(``team`` and ``site`` come from ``dim_agent``, joined on centre and agent). Only
portable SQL is used here (no date functions, no integer division), so the same
compiled query runs on SQLite, PostgreSQL and DuckDB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import ColumnElement, FromClause, Table, literal_column

from ..store.tables import (
    AgentDimension,
    AgentIntervalFact,
    CaseFact,
    ContactFact,
    ContactLegFact,
    ForecastIntervalFact,
    QaEvaluationFact,
    SaleFact,
    SurveyFact,
    SurveyResponseFact,
)

AGENT_DIMENSION: Table = AgentDimension.__table__

# dimension name → column of the fact table holding it
_COLUMN_DIMENSIONS = {
    "centre": "centre",
    "queue": "queue",
    "channel": "channel",
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

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(self.table.columns.keys())

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The report dimensions this table can be grouped by, in DESIGN's order."""
        return tuple(name for name in DIMENSIONS if self._supports(name))

    def _supports(self, dimension: str) -> bool:
        if dimension in _AGENT_DIMENSIONS:
            return "agentid" in self.columns
        if dimension in _INTERVAL_DIMENSIONS:
            return "local_interval" in self.columns
        return _COLUMN_DIMENSIONS[dimension] in self.columns

    def dimension(self, name: str) -> ColumnElement:
        """The expression for dimension ``name`` (which :attr:`dimensions` must contain)."""
        if name in _AGENT_DIMENSIONS:
            return AGENT_DIMENSION.c[name]
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
        """The FROM clause: the fact table, joined to ``dim_agent`` for team or site."""
        if not set(dimensions) & set(_AGENT_DIMENSIONS) or self.table is AGENT_DIMENSION:
            return self.table
        condition = (AGENT_DIMENSION.c.centre == self.table.c.centre) & (
            AGENT_DIMENSION.c.agentid == self.table.c.agentid
        )
        return self.table.outerjoin(AGENT_DIMENSION, condition)


FACT_TABLES: dict[str, FactTable] = {
    fact.name: fact
    for fact in (
        FactTable("fact_contact", ContactFact.__table__, categories=("outcome",)),
        # queue KPIs count its queue legs, agent KPIs its agent legs (store.tables.ContactLegFact)
        FactTable("fact_contact_leg", ContactLegFact.__table__, categories=("leg", "outcome")),
        FactTable("fact_agent_interval", AgentIntervalFact.__table__),
        FactTable("fact_survey", SurveyFact.__table__),
        FactTable(
            "fact_survey_response", SurveyResponseFact.__table__, categories=("instrument", "scale")
        ),
        FactTable("fact_case", CaseFact.__table__),
        FactTable("fact_case_backlog", CaseFact.__table__, period="up_to_end"),
        FactTable("fact_qa_evaluation", QaEvaluationFact.__table__),
        FactTable("fact_sale", SaleFact.__table__),
        FactTable("fact_forecast_interval", ForecastIntervalFact.__table__),
        FactTable("dim_agent", AGENT_DIMENSION, period="none"),
    )
}
"""Fact tables by name. The work that adds a fact table (surveys, cases …) adds it here."""
