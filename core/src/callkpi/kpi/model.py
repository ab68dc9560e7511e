"""How a KPI is declared: plain data (measures, parameters, variants) plus one small formula.

A KPI names *measures* — additive aggregates over one fact table, each with a filter —
and a *formula* that turns the measure values of one report row into a number. The
engine compiles the measures of every requested KPI into one ``GROUP BY`` per fact
table, so identical measures of different KPIs are computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np

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
UNITS: tuple[str, ...] = ("s", "%", "n", "per_hour", "per_day", "ratio", "money")
PERIOD_HOURS = "period_hours"
"""A measure every formula may read without declaring it: the hours of the period that
the report row covers, in the centre's local time (23- and 25-hour days included)."""

HOURLY_COST = "hourly_cost"
FIXED_COST_PER_HOUR = "fixed_cost_per_hour"
CENTRE_VALUES: tuple[str, ...] = (HOURLY_COST, FIXED_COST_PER_HOUR)
"""Values every formula may read without declaring them, from the settings of the centre
the report row covers (``callkpi.kpi.centre_values``); ``None`` when the centre does not
configure them, or the row spans centres whose settings differ."""

Values = Mapping[str, float | None]
Formula = Callable[[Values, Mapping[str, float]], float | None]
Parts = Callable[[Values, Values, Mapping[str, float]], Mapping[str, float | None]]
Columns = Mapping[str, np.ndarray]
ColumnParts = Callable[[Columns, Columns, Mapping[str, float]], Mapping[str, np.ndarray] | None]
"""A grain's parts for every fine group at once (see :class:`Grain`)."""
F = TypeVar("F", bound=Callable[..., Any])


Interval = Callable[[Values, Mapping[str, float]], tuple[float, float] | None]


@dataclass(frozen=True)
class Estimate:
    """A formula for a sample statistic (survey KPIs): ``value`` and its 95 % confidence
    ``interval`` (low, high), both from the same additive measures. Below the KPI's minimum
    sample an estimate is *withheld*: the report shows no value and no interval. An
    ``interval`` declared :func:`columnar` is given every row's measures as arrays and
    returns the (low, high) arrays, NaN where there is none."""

    value: Formula
    interval: Interval

    def __post_init__(self) -> None:
        # the docstring is the formula as text, as for percent_of and mean_of
        object.__setattr__(self, "__doc__", self.value.__doc__)

    def __call__(self, measures: Values, parameters: Mapping[str, float]) -> float | None:
        return self.value(measures, parameters)


class NoValue(Exception):
    """Raised by a formula that has no value for a row, with the reason a report shows
    next to the empty value (e.g. costs that are not configured)."""


@dataclass(frozen=True)
class Param:
    """A placeholder in a measure filter, replaced by the KPI parameter of that name times
    ``scale`` (``Param("window_h", 3600)`` compares seconds with a window in hours)."""

    name: str
    scale: float = 1


@dataclass(frozen=True)
class PeriodBound:
    """A placeholder in a measure filter for an edge of the report period: the UTC instant
    of local midnight starting ``date_from`` (``start``) or ending ``date_to`` (``end``) in
    each row's centre. For tables without local dates, such as ``dim_agent``."""

    edge: Literal["start", "end"]

    def __repr__(self) -> str:
        return f"period_{self.edge}"  # how filters print: "left_at >= period_start"


PERIOD_START = PeriodBound("start")
PERIOD_END = PeriodBound("end")


@dataclass(frozen=True)
class DataEnd:
    """A placeholder in a measure filter for the end of the data less ``hours`` (a KPI
    parameter): the latest ``offered_at`` in ``fact_contact`` of the report's centre (of
    every centre when the report spans them), which the engine reads with one small query.
    Censoring uses it: a contact offered less than a window before the end of the data has
    not been watched for the whole window yet."""

    hours: Param
    """The parameter times its ``scale`` is the hours: ``Param("window_min", 1 / 60)`` for minutes."""

    def __repr__(self) -> str:
        scaled = "" if self.hours.scale == 1 else f" ÷ {1 / self.hours.scale:g}"
        return f"(end of data − {self.hours.name}{scaled} h)"


PERIOD_END_EPOCH = "period_end_epoch_s"
"""A value every formula may read without declaring it: the end of the report period (local
midnight after ``date_to`` in the row's centre; UTC across centres) as Unix seconds."""

Condition = tuple[str, str, Any] | tuple[str, str]
"""``(column, operator, value)``; ``value`` may be a :class:`Param` or a :class:`PeriodBound`.
``is null`` and ``not null`` take no value: ``("wait_s", "not null")``."""


@dataclass(frozen=True)
class Grain:
    """Compute a KPI on finer groups first, then add up: for KPIs that are not a formula of
    sums, such as a forecast error per interval or Erlang staffing per interval.

    The engine groups the KPI's measures by the report's dimensions plus ``dimensions``;
    for each such fine group ``parts(fine, row, parameters)`` returns additive values named
    in ``names`` (``fine``: the group's measures; ``row``: the same measures added up over
    the report row), or an empty mapping to leave the group out. The formula then reads each
    part, summed over the row's fine groups, as if it were a measure. Measures of a grained
    KPI must be counts, sums, minima or maxima (a distinct count does not add up).
    """

    dimensions: tuple[str, ...]
    parts: Parts
    names: tuple[str, ...]
    columns: ColumnParts | None = None
    """Optionally, ``parts`` for every fine group at once, for speed: called with each
    measure as a float array over the fine groups (NaN for ``None``; ``row``'s measures
    repeated for each fine group), it returns each part as such an array, 0 where a group
    has no such part or is left out, NaN where it is unknown; or ``None`` to have ``parts``
    called group by group instead. It must give exactly what ``parts`` gives."""


INHERIT = "inherit"


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
    grain: Grain | None = None
    higher_is_better: bool | str | None = INHERIT
    """The direction when the variant's is not the KPI's (an error rate beside an accuracy)."""
    target: float | str | None = INHERIT
    """The variant's own default target. ``INHERIT``: the KPI's target, and the centre's target
    for the KPI, when the variant reports in the KPI's unit and scale; a variant in another unit
    never inherits (a 1–5 mean is never judged against a 75 % top-two-box target). ``None``:
    no default target, e.g. a variant on another scale in the same unit."""


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
    grain: Grain | None = None
    not_by: tuple[str, ...] = ()
    """Dimensions the fact table has but some of the KPI's rows do not (an abandoned contact
    has no agent, so no team or site): grouped or filtered by one, the KPI would count only
    the rows that have it and silently mean something else, so it has no value there, with
    the reason, instead of a ``(none)`` group."""
    queue_attributed: bool = False
    """A queue KPI: grouped or filtered by team or site, its rows take the team and site of
    their queue from the centre's queue map, not those of their agent, so every leg of a
    queue, answered or not, counts for the team serving it (:mod:`.queue_map`)."""
    details: Mapping[str, Formula] = field(default_factory=dict)
    """Extra numbers reported next to the value, each a formula over the same values
    (e.g. the agents actually staffed next to the agents required)."""


def divide(numerator: Any, denominator: Any) -> Any:
    """``numerator ÷ denominator``, or ``None`` (no data) when either is missing or the denominator is 0.

    Given numpy arrays (a :func:`columnar` formula's whole columns), it divides them element
    by element, NaN standing for ``None``."""
    if isinstance(numerator, np.ndarray) or isinstance(denominator, np.ndarray):
        return _divide_columns(numerator, denominator)
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def percent(numerator: Any, denominator: Any) -> Any:
    """``numerator ÷ denominator × 100``, or ``None`` when the denominator is 0 or missing
    (element by element for numpy arrays, as :func:`divide`)."""
    share = divide(numerator, denominator)
    return None if share is None else share * 100


def _divide_columns(numerator: Any, denominator: Any) -> np.ndarray:
    top, bottom = np.broadcast_arrays(
        np.asarray(np.nan if numerator is None else numerator, dtype=float),
        np.asarray(np.nan if denominator is None else denominator, dtype=float),
    )
    quotient = np.full(top.shape, np.nan)
    return np.divide(top, bottom, out=quotient, where=bottom != 0)


def columnar(formula: F) -> F:
    """Declare that ``formula`` computes a whole column as well as one row: given each
    measure as a float array (NaN for ``None``) it returns the values as such an array.

    True of formulas made of arithmetic, :func:`divide` and :func:`percent` alone (no
    ``if``, ``or``, ``min``, ``abs`` or :class:`NoValue`). The engine then evaluates it
    once per KPI instead of once per row; an undeclared formula is called row by row."""
    formula.columnar = True  # type: ignore[attr-defined]
    return formula


def percent_of(numerator: str, denominator: str) -> Formula:
    """A formula: measure ``numerator`` as a percentage of measure ``denominator``."""
    return columnar(
        _described(lambda m, p: percent(m[numerator], m[denominator]), f"{numerator} ÷ {denominator} × 100")
    )


def mean_of(total: str, count: str) -> Formula:
    """A formula: measure ``total`` divided by measure ``count``."""
    return columnar(_described(lambda m, p: divide(m[total], m[count]), f"{total} ÷ {count}"))


def value_of(measure: str) -> Formula:
    """A formula: the measure itself (volumes, maxima)."""
    formula = _described(lambda m, p: m[measure], measure)
    formula.measure = measure  # type: ignore[attr-defined]  # the engine copies the column as is
    return formula


def _described(formula: Formula, text: str) -> Formula:
    # the docstring is the formula as text: `callkpi kpis show` and docs/kpis.md print it
    formula.__doc__ = text
    return formula
