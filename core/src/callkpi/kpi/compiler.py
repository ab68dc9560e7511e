"""Compiling measures to SQL: one ``GROUP BY`` per fact table with SQLAlchemy Core.

A measure is first *bound* (its parameters replaced by values), which makes identical
measures of different KPIs equal, so each is computed once. The compiled ``Select``
uses only portable SQL: it runs unchanged on SQLite, PostgreSQL and DuckDB.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
)

from .facts import FACT_TABLES, FactTable
from .model import Measure, Param

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
        value = parameters[value.name]
    return (column, op, tuple(value) if isinstance(value, list | frozenset | tuple) else value)


@dataclass(frozen=True)
class Period:
    """Local dates from and to, inclusive, in one centre (``None``: every centre)."""

    date_from: date
    date_to: date
    centre: str | None = None


def compile_query(
    fact: str, dimensions: tuple[str, ...], measures: tuple[BoundMeasure, ...], period: Period
) -> Select:
    """One ``SELECT <dimensions>, <measures> … GROUP BY <dimensions>`` over ``fact``.

    Columns are labelled by dimension name and ``m0``, ``m1`` … in ``measures`` order.
    """
    table = FACT_TABLES[fact]
    dimension_columns = [table.dimension(name).label(name) for name in dimensions]
    aggregates = [_aggregate(table, measure).label(f"m{i}") for i, measure in enumerate(measures)]
    query = select(*dimension_columns, *aggregates).select_from(table.source(dimensions))
    query = query.where(table.table.c[table.date_column].between(period.date_from, period.date_to))
    if period.centre is not None:
        query = query.where(table.table.c.centre == period.centre)
    return query.group_by(*(table.dimension(name) for name in dimensions)) if dimensions else query


def _aggregate(table: FactTable, measure: BoundMeasure) -> ColumnElement:
    value = _value(table, measure)
    if measure.filter:
        condition = and_(*(_condition(table, c) for c in measure.filter))
        value = case((condition, literal(1) if value is None else value))
    if measure.aggregate == "count":
        return func.count() if value is None else func.count(value)
    if measure.aggregate == "count_distinct":
        return func.count(distinct(value))
    return getattr(func, measure.aggregate)(value)


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


def _condition(table: FactTable, condition: Bound) -> ColumnElement:
    column = table.table.c[condition[0]]
    if condition[1] == "is null":
        return column.is_(None)
    if condition[1] == "not null":
        return column.is_not(None)
    return _COMPARISONS[condition[1]](column, condition[2])
