"""How a KPI is declared: plain data (measures, parameters, variants) plus one small formula.

A KPI names *measures* — additive aggregates over one fact table, each with a filter —
and a *formula* that turns the measure values of one report row into a number. The
engine compiles the measures of every requested KPI into one ``GROUP BY`` per fact
table, so identical measures of different KPIs are computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Aggregate = Literal["count", "sum", "min", "max", "count_distinct"]
AGGREGATES: tuple[str, ...] = ("count", "sum", "min", "max", "count_distinct")
OPERATORS: tuple[str, ...] = (
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not in",
    "is null",
    "not null",
)
UNITS: tuple[str, ...] = ("s", "%", "n", "per_hour", "per_day", "ratio")
PERIOD_HOURS = "period_hours"
"""A measure every formula may read without declaring it: the hours of the period that
the report row covers, in the centre's local time (23- and 25-hour days included)."""

Values = Mapping[str, float | None]
Formula = Callable[[Values, Mapping[str, float]], float | None]


@dataclass(frozen=True)
class Param:
    """A placeholder in a measure filter, replaced by the KPI parameter of that name."""

    name: str


Condition = tuple[str, str, Any] | tuple[str, str]
"""``(column, operator, value)``; ``value`` may be a :class:`Param`. ``is null`` and
``not null`` take no value: ``("wait_s", "not null")``."""


@dataclass(frozen=True)
class Measure:
    """A named additive aggregate over a fact table.

    ``column`` is a column name, or a tuple of names: summed (``NULL`` as 0) for
    sum/min/max, combined into one key for ``count_distinct``; ``None`` with ``count``
    counts rows. ``filter`` holds conditions that must all be true. ``fact`` defaults
    to the KPI's fact table; naming another joins the two on the report's dimensions.
    """

    name: str
    aggregate: Aggregate
    column: str | tuple[str, ...] | None = None
    filter: tuple[Condition, ...] = ()
    fact: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        if self.column is None:
            return ()
        return (self.column,) if isinstance(self.column, str) else tuple(self.column)


@dataclass(frozen=True)
class Parameter:
    """A tunable number with its default, e.g. the service-level threshold in seconds."""

    name: str
    default: float
    description: str = ""
    minimum: float = 0


@dataclass(frozen=True)
class Variant:
    """A named way the industry computes the same KPI differently.

    ``measures`` replace the KPI's measures of the same name or add new ones;
    ``formula``, ``sample`` and ``unit`` replace the KPI's when given; ``parameters``
    changes parameter defaults (``{"within_s": 180}``).
    """

    name: str
    description: str
    measures: tuple[Measure, ...] = ()
    formula: Formula | None = None
    parameters: Mapping[str, float] = field(default_factory=dict)
    sample: str | tuple[str, ...] | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Kpi:
    """A KPI declaration. ``sample`` names the measure (or measures, summed) that is the
    sample size ``n`` (the first measure when not given); ``default_variant`` names what
    the KPI's own measures and formula compute."""

    id: str
    title: str
    unit: str
    higher_is_better: bool | None
    definition: str
    fact: str
    measures: tuple[Measure, ...]
    formula: Formula
    parameters: tuple[Parameter, ...] = ()
    variants: tuple[Variant, ...] = ()
    default_variant: str = "default"
    sample: str | tuple[str, ...] | None = None
    min_sample: int = 0
    target: float | None = None


def divide(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator ÷ denominator``, or ``None`` (no data) when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def percent(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator ÷ denominator × 100``, or ``None`` when the denominator is 0 or missing."""
    share = divide(numerator, denominator)
    return None if share is None else share * 100


def percent_of(numerator: str, denominator: str) -> Formula:
    """A formula: measure ``numerator`` as a percentage of measure ``denominator``."""
    return lambda m, p: percent(m[numerator], m[denominator])


def mean_of(total: str, count: str) -> Formula:
    """A formula: measure ``total`` divided by measure ``count``."""
    return lambda m, p: divide(m[total], m[count])


def value_of(measure: str) -> Formula:
    """A formula: the measure itself (volumes, maxima)."""
    return lambda m, p: m[measure]
