"""Compiling measures to SQL: one ``GROUP BY`` per fact table with SQLAlchemy Core.

A measure is first *bound* (its parameters replaced by values), which makes identical
measures of different KPIs equal, so each is computed once. The compiled ``Select``
uses only portable SQL: it runs unchanged on SQLite, PostgreSQL and DuckDB.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    distinct,
    false,
    func,
    literal,
    or_,
    select,
)

from .facts import FACT_TABLES, FactTable
from .model import DataEnd, Measure, Param, PeriodBound

Bound = tuple[Any, ...]

_COMPARISONS: dict[str, Callable[[Any, Any], ColumnElement]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda column, values: column.in_(values),
    "not in": lambda column, values: column.not_in(values),
}


@dataclass(frozen=True)
class BoundMeasure:
    """A measure with its parameter values filled in: hashable, equal for equal SQL."""

    fact: str
    aggregate: str
    columns: tuple[str, ...]
    filter: tuple[Bound, ...]


def bind(measure: Measure, parameters: Mapping[str, float]) -> BoundMeasure:
    """``measure`` with each :class:`Param` replaced by its value from ``parameters``."""
    return BoundMeasure(
        measure.fact or "",
        measure.aggregate,
        measure.columns,
        tuple(_bind_condition(c, parameters) for c in measure.filter),
    )


def _bind_condition(condition: tuple[Any, ...], parameters: Mapping[str, float]) -> Bound:
    if len(condition) == 2:
        return condition
    column, op, value = condition
    if isinstance(value, Param):
        value = parameters[value.name] * value.scale
    if isinstance(value, DataEnd):
        value = BoundDataEnd(parameters[value.hours.name] * 3600)
    return (column, op, tuple(value) if isinstance(value, list | frozenset | tuple) else value)


@dataclass(frozen=True)
class BoundDataEnd:
    """A :class:`DataEnd` with its hours filled in: the end of the data less ``less_s``."""

    less_s: float


def reads_data_end(measures: tuple[BoundMeasure, ...]) -> bool:
    """Whether any of ``measures`` filters on the end of the data."""
    return any(
        len(condition) == 3 and isinstance(condition[2], BoundDataEnd)
        for measure in measures
        for condition in measure.filter
    )


@dataclass(frozen=True)
class Period:
    """Local dates from and to, inclusive, in one centre (``None``: every centre); ``zones``
    (centre → time zone; UTC for a centre not in it) place a :class:`PeriodBound` in time."""

    date_from: date
    date_to: date
    centre: str | None = None
    zones: Mapping[str, ZoneInfo] = field(default_factory=dict, compare=False)
    data_end: datetime | None = field(default=None, compare=False)
    """The latest offered_at of the centre's contacts, for :class:`DataEnd` filters."""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Dimension → the values its rows may have (``ReportRequest.filters``)."""

    def instant(self, bound: PeriodBound, zone: ZoneInfo) -> datetime:
        """The UTC instant of local midnight starting the period, or ending it."""
        day = self.date_from if bound.edge == "start" else self.date_to + timedelta(days=1)
        return datetime.combine(day, time(), zone).astimezone(UTC)


def compile_query(
    fact: str, dimensions: tuple[str, ...], measures: tuple[BoundMeasure, ...], period: Period
) -> Select:
    """One ``SELECT <dimensions>, <measures> … GROUP BY <dimensions>`` over ``fact``.

    Columns are labelled by dimension name and ``m0``, ``m1`` … in ``measures`` order;
    ``period.filters`` become ``WHERE <dimension> IN (…)`` (team and site join ``dim_agent``).
    """
    table = FACT_TABLES[fact]
    dimension_columns = [table.dimension(name).label(name) for name in dimensions]
    aggregates = [
        _aggregate(table, measure, period).label(f"m{i}") for i, measure in enumerate(measures)
    ]
    joined = table.source((*dimensions, *period.filters))
    query = select(*dimension_columns, *aggregates).select_from(joined)
    in_period = table.period_condition(period.date_from, period.date_to)
    if in_period is not None:
        query = query.where(in_period)
    if period.centre is not None:
        query = query.where(_centre_is(table, period.centre))
    for name, values in period.filters.items():
        query = query.where(table.dimension(name).in_(values))
    return query.group_by(*(table.dimension(name) for name in dimensions)) if dimensions else query


def _centre_is(table: FactTable, centre: str) -> ColumnElement:
    column = table.table.c.centre
    if table.period != "within":
        return column == centre
    # SQLite, without statistics, would walk an index on (centre, …) — every day of the
    # centre — rather than the local_date range; "centre || ''" leaves such an index out
    # (as the snapshot export does). PostgreSQL and DuckDB plan by their statistics anyway.
    return column.concat("") == centre


def _aggregate(table: FactTable, measure: BoundMeasure, period: Period) -> ColumnElement:
    value = _value(table, measure)
    if measure.aggregate == "count":
        aggregate = func.count() if value is None else func.count(value)
    elif measure.aggregate == "count_distinct":
        aggregate = func.count(distinct(value))
    else:
        aggregate = getattr(func, measure.aggregate)(value)
    if not measure.filter:
        return aggregate
    # FILTER (WHERE …) rather than agg(CASE WHEN … END): SQLite skips the aggregate's step
    # for a row the filter rejects instead of stepping it with a NULL (≈10 % of a wide
    # query's time); PostgreSQL and DuckDB take the same standard SQL
    return aggregate.filter(and_(*(_condition(table, c, period) for c in measure.filter)))


def _value(table: FactTable, measure: BoundMeasure) -> ColumnElement | None:
    columns = [table.table.c[name] for name in measure.columns]
    if not columns:
        return None
    if len(columns) == 1:
        return columns[0]
    if measure.aggregate == "count_distinct":
        # one text key per combination; '|' keeps ('a', 'b|c') apart from ('a|b', 'c')
        parts = [cast(column, String) for column in columns]
        key = parts[0]
        for part in parts[1:]:
            key = key + literal("|") + part
        return key
    total = func.coalesce(columns[0], 0)
    for column in columns[1:]:
        total = total + func.coalesce(column, 0)
    return total


def _condition(table: FactTable, condition: Bound, period: Period) -> ColumnElement:
    column = table.table.c[condition[0]]
    if condition[1] == "is null":
        return column.is_(None)
    if condition[1] == "not null":
        return column.is_not(None)
    compare = _COMPARISONS[condition[1]]
    if isinstance(condition[2], PeriodBound):
        return _at_period_bound(table, column, compare, condition[2], period)
    if isinstance(condition[2], BoundDataEnd):
        if period.data_end is None:
            return false()  # no contacts yet: no end of the data, and no row is near it
        return compare(column, period.data_end - timedelta(seconds=condition[2].less_s))
    return compare(column, condition[2])


def _at_period_bound(
    table: FactTable,
    column: ColumnElement,
    compare: Callable[[Any, Any], ColumnElement],
    bound: PeriodBound,
    period: Period,
) -> ColumnElement:
    """``column <op> bound``, the bound being local midnight in each row's own centre."""
    utc = ZoneInfo("UTC")
    if period.centre is not None:
        return compare(column, period.instant(bound, period.zones.get(period.centre, utc)))
    centre, names = table.table.c.centre, sorted(period.zones)
    per_centre = [
        and_(centre == name, compare(column, period.instant(bound, period.zones[name])))
        for name in names
    ]
    elsewhere = compare(column, period.instant(bound, utc))
    return or_(*per_centre, and_(centre.not_in(names), elsewhere)) if names else elsewhere
