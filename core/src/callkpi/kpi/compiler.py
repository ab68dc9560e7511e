"""Compiling measures to SQL: one ``GROUP BY`` per fact table with SQLAlchemy Core.

A measure is first *bound* (its parameters replaced by values), which makes identical
measures of different KPIs equal, so each is computed once. The compiled ``Select``
uses only portable SQL: it runs unchanged on SQLite, PostgreSQL and DuckDB.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
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
from sqlalchemy.sql import Subquery

from .facts import FACT_TABLES, FactTable
from .model import DataEnd, Measure, Param, PeriodBound
from .queue_map import MAPPED_DIMENSIONS, QueueMap, queued_rows

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

MIN_DROPPED_CONDITIONS = 10
"""Splitting by category pays only when it drops this many filter conditions per row: the
outer query's pass over groups × categories costs more than a few filters where groups
are fine (measured at 1M contacts: 5 dropped conditions on agent × date × interval15
made that query 25 % slower; 45 on agent × date made it 20 % faster)."""


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
        value = BoundDataEnd(parameters[value.hours.name] * value.hours.scale * 3600)
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
    queue_map: QueueMap = field(default_factory=dict, compare=False)
    """The centres' queue maps: team and site of queue KPIs by team or site (:mod:`.queue_map`)."""

    def instant(self, bound: PeriodBound, zone: ZoneInfo) -> datetime:
        """The UTC instant of local midnight starting the period, or ending it."""
        day = self.date_from if bound.edge == "start" else self.date_to + timedelta(days=1)
        return datetime.combine(day, time(), zone).astimezone(UTC)


def compile_query(
    fact: str, dimensions: tuple[str, ...], measures: tuple[BoundMeasure, ...], period: Period
) -> Select:
    """One ``SELECT <dimensions>, <measures> … GROUP BY <dimensions>`` over ``fact``.

    Columns are labelled by dimension name and ``m0``, ``m1`` … in ``measures`` order;
    ``period.filters`` become ``WHERE <dimension> IN (…)`` (team and site join ``dim_agent_history``).
    When measures filter on the fact's category columns, see :func:`_by_category`.
    """
    table = FACT_TABLES[fact]
    categories = _split_categories(table, measures)
    if categories:
        return _by_category(table, dimensions, measures, period, categories)
    aggregates = [_aggregate(table, m, period).label(f"m{i}") for i, m in enumerate(measures)]
    return _grouped(table, dimensions, aggregates, period)


def compile_unmapped(fact: str, name: str, period: Period) -> Select:
    """The (centre, queue) pairs of ``fact``'s queued rows in the period whose queue the
    centres' queue maps give no ``name`` (team or site): a queue KPI by ``name`` would show
    them as a ``(none)`` group, so it has no value by it (:mod:`.queue_map`)."""
    table = FACT_TABLES[fact]
    filters = {d: values for d, values in period.filters.items() if d not in MAPPED_DIMENSIONS}
    unfiltered = replace(period, filters=filters)
    query = _grouped(table, ("centre", "queue"), [], unfiltered)
    return query.where(table.dimension(name, period.queue_map).is_(None), queued_rows(table.rows))


def _grouped(
    table: FactTable,
    dimensions: tuple[str, ...],
    aggregates: list[ColumnElement],
    period: Period,
    extra_keys: tuple[str, ...] = (),
) -> Select:
    """``aggregates`` over ``table``'s rows in the period, grouped by ``dimensions`` and the
    columns ``extra_keys``."""
    keys = [table.dimension(name, period.queue_map).label(name) for name in dimensions]
    keys += [table.rows.c[name].label(f"category_{name}") for name in extra_keys]
    joined = table.source((*dimensions, *period.filters))
    query = select(*keys, *aggregates).select_from(joined)
    in_period = table.period_condition(period.date_from, period.date_to)
    if in_period is not None:
        query = query.where(in_period)
    if period.centre is not None:
        query = query.where(_centre_is(table, period.centre))
    for name, values in period.filters.items():
        query = query.where(table.dimension(name, period.queue_map).in_(values))
    groups = [table.dimension(name, period.queue_map) for name in dimensions]
    groups += [table.rows.c[name] for name in extra_keys]
    return query.group_by(*groups) if groups else query


def _split_categories(table: FactTable, measures: tuple[BoundMeasure, ...]) -> tuple[str, ...]:
    """The category columns to group by first: none when too few filters would go, and
    only those every distinct count pins to one value (its count cannot be summed)."""
    split = {c[0] for m in measures for c in m.filter if _on_category(c, table.categories)}
    for measure in measures:
        if measure.aggregate == "count_distinct":
            split &= {c[0] for c in measure.filter if _on_category(c, split) and c[1] == "=="}
    dropped = sum(_on_category(c, split) for m in measures for c in m.filter)
    if dropped < MIN_DROPPED_CONDITIONS:
        return ()
    return tuple(name for name in table.categories if name in split)


def _by_category(
    table: FactTable,
    dimensions: tuple[str, ...],
    measures: tuple[BoundMeasure, ...],
    period: Period,
    categories: tuple[str, ...],
) -> Select:
    """The same result, computed as an inner ``GROUP BY <dimensions>, <categories>`` whose
    measures lose their conditions on the categories, then an outer ``GROUP BY
    <dimensions>`` applying those conditions to the few category rows of each group.

    SQLite evaluates every measure's filter on every row; measures differing only in
    their category conditions (``outcome = 'answered'`` or ``'abandoned'``) share one
    inner aggregate, and most inner aggregates need no filter at all.
    """
    inner_of = {m: _without(m, categories) for m in measures}
    inner_measures = list(dict.fromkeys(inner_of.values()))
    aggregates = [_aggregate(table, m, period).label(f"i{i}") for i, m in enumerate(inner_measures)]
    inner = _grouped(table, dimensions, aggregates, period, categories).subquery()
    merged = [
        _merge(
            measure, inner.c[f"i{inner_measures.index(inner_of[measure])}"], inner, categories
        ).label(f"m{i}")
        for i, measure in enumerate(measures)
    ]
    query = select(*(inner.c[name] for name in dimensions), *merged)
    return query.group_by(*(inner.c[name] for name in dimensions)) if dimensions else query


def _on_category(condition: Bound, categories: Collection[str]) -> bool:
    """Whether ``condition`` tests a category column against plain values (or for NULL)."""
    if condition[0] not in categories:
        return False
    return len(condition) == 2 or not isinstance(condition[2], PeriodBound | BoundDataEnd)


def _without(measure: BoundMeasure, categories: tuple[str, ...]) -> BoundMeasure:
    rest = tuple(c for c in measure.filter if not _on_category(c, categories))
    return BoundMeasure(measure.fact, measure.aggregate, measure.columns, rest)


def _merge(
    measure: BoundMeasure, value: ColumnElement, inner: Subquery, categories: tuple[str, ...]
) -> ColumnElement:
    """``measure`` from its inner aggregate ``value`` over the category rows it selects."""
    # a distinct count's filter pins one category row: max() is that row's count
    name = {"count": "sum", "count_distinct": "max"}.get(measure.aggregate, measure.aggregate)
    step = getattr(func, name)(value)
    conditions = [
        _compare(inner.c[f"category_{c[0]}"], c)
        for c in measure.filter
        if _on_category(c, categories)
    ]
    if conditions:
        step = step.filter(and_(*conditions))
    if measure.aggregate in ("count", "count_distinct"):
        step = func.coalesce(step, 0)  # 0, not NULL, for a group without a selected row
    return _typed(step, value.type)


def _typed(merged: ColumnElement, inner_type: Any) -> ColumnElement:
    # PostgreSQL sums integers into numeric (DuckDB into int128): back to the integer the
    # unsplit query gives
    return cast(merged, BigInteger) if isinstance(inner_type, Integer) else merged


def _centre_is(table: FactTable, centre: str) -> ColumnElement:
    column = table.rows.c.centre
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
    columns = [table.rows.c[name] for name in measure.columns]
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
    column = table.rows.c[condition[0]]
    if len(condition) == 3 and isinstance(condition[2], PeriodBound):
        compare = _COMPARISONS[condition[1]]
        return _at_period_bound(table, column, compare, condition[2], period)
    if len(condition) == 3 and isinstance(condition[2], BoundDataEnd):
        if period.data_end is None:
            return false()  # no contacts yet: no end of the data, and no row is near it
        compare = _COMPARISONS[condition[1]]
        return compare(column, period.data_end - timedelta(seconds=condition[2].less_s))
    return _compare(column, condition)


def _compare(column: ColumnElement, condition: Bound) -> ColumnElement:
    """``column`` tested by ``condition`` against a plain value (or for NULL)."""
    if condition[1] == "is null":
        return column.is_(None)
    if condition[1] == "not null":
        return column.is_not(None)
    return _COMPARISONS[condition[1]](column, condition[2])


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
    centre, names = table.rows.c.centre, sorted(period.zones)
    per_centre = [
        and_(centre == name, compare(column, period.instant(bound, period.zones[name])))
        for name in names
    ]
    elsewhere = compare(column, period.instant(bound, utc))
    return or_(*per_centre, and_(centre.not_in(names), elsewhere)) if names else elsewhere
