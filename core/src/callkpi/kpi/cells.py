"""One KPI's cells in every report row, computed a column at a time.

Everything a :class:`~callkpi.kpi.report.KpiValue` holds — value, sample size, interval,
target, verdict, details and note — is computed here, as one list per field; only the
``KpiValue`` objects themselves are built later, when a reader asks for the report's rows
(:meth:`KpiCells.values`).

A :func:`~callkpi.kpi.model.columnar` formula runs once on whole columns; ``value_of``
copies its measure's column; any other formula (a plugin's plain function) runs row by
row, as it always has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .columns import MeasureColumns, as_array, as_values
from .model import Estimate, Formula, NoValue
from .plan import PlannedKpi
from .report import KpiColumn, KpiValue
from .validation import InvalidKpi

_NO_DETAILS: dict[str, float | None] = {}


@dataclass(frozen=True)
class KpiCells:
    """A KPI's column of a report: each field of its values, one list entry per row."""

    column: KpiColumn
    value: list[Any]
    n: list[Any]
    target: Sequence[float | None]
    met: list[bool | None]
    enough: list[bool]
    details: dict[str, list[Any]]
    note: list[str | None] | None
    low: list[float | None] | None
    high: list[float | None] | None

    def values(self) -> list[KpiValue]:
        """The column's :class:`KpiValue` objects, in row order."""
        column, size = self.column, len(self.value)
        key, unit, variant, parameters = column.key, column.unit, column.variant, column.parameters
        none = [None] * size
        return [
            KpiValue(key, value, n, unit, variant, parameters, target, met, enough, details, note, low, high)
            for value, n, target, met, enough, details, note, low, high in zip(
                self.value,
                self.n,
                self.target,
                self.met,
                self.enough,
                self._row_details(size),
                self.note or none,
                self.low or none,
                self.high or none,
                strict=True,
            )
        ]

    def _row_details(self, size: int) -> list[dict[str, float | None]]:
        if not self.details:
            return [_NO_DETAILS] * size
        names = tuple(self.details)
        return [dict(zip(names, row, strict=True)) for row in zip(*self.details.values(), strict=True)]


def kpi_cells(
    planned: PlannedKpi, column: KpiColumn, measures: MeasureColumns, targets: Sequence[float | None]
) -> KpiCells:
    """The KPI's value in every row (``measures``), against each row's target."""
    spec = planned.spec
    estimate = spec.formula if isinstance(spec.formula, Estimate) else None
    formula = estimate.value if estimate is not None else spec.formula
    value, note = formula_values(planned, "formula", formula, measures)
    n = _samples(spec.sample, measures)
    enough = [size >= column.min_sample for size in n]
    low = high = None
    if estimate is not None:
        value, low, high = _estimates(planned, estimate, measures, value, enough)
    details = {
        name: formula_values(planned, f"details[{name!r}]", formula, measures)[0]
        for name, formula in spec.details.items()
    }
    reached = _met(value, targets, enough, column.higher_is_better)
    return KpiCells(column, value, n, targets, reached, enough, details, note, low, high)


def unavailable_cells(column: KpiColumn, targets: Sequence[float | None]) -> KpiCells:
    """The column of a KPI this report cannot compute: no data in every row, with the reason."""
    size = len(targets)
    none: list[Any] = [None] * size
    return KpiCells(column, none, [0] * size, targets, none, [True] * size, {}, [column.unavailable] * size, None, None)


def formula_values(
    planned: PlannedKpi, what: str, formula: Formula, measures: MeasureColumns
) -> tuple[list[Any], list[str | None] | None]:
    """The formula's value in every row, and each row's reason for having none (``None``:
    no formula run on whole columns gives one)."""
    copied = getattr(formula, "measure", None)
    if copied in measures.lists:
        return list(measures.lists[copied]), None
    if not getattr(formula, "columnar", False):
        return _row_by_row(planned, what, formula, measures)
    try:
        result = formula(measures.arrays, planned.column.parameters)
    except Exception as exc:
        raise failed(planned, what, "the whole column", exc) from exc
    return as_values(result, measures.size), None


def _row_by_row(
    planned: PlannedKpi, what: str, formula: Formula, measures: MeasureColumns
) -> tuple[list[Any], list[str | None]]:
    parameters = planned.column.parameters
    values, notes = [], []
    for row in measures.rows():
        try:
            value, note = formula(row, parameters), None
        except NoValue as reason:
            value, note = None, str(reason)
        except Exception as exc:
            raise failed(planned, what, dict(row), exc) from exc
        values.append(value)
        notes.append(note)
    return values, notes


def failed(planned: PlannedKpi, what: str, values: Any, exc: Exception) -> InvalidKpi:
    column = planned.column
    return InvalidKpi(
        f"KPI {column.kpi!r} variant {column.variant!r}: {what} failed on {values!r}: {type(exc).__name__}: {exc}"
    )


def _samples(names: tuple[str, ...], measures: MeasureColumns) -> list[Any]:
    """Each row's sample size: its sample measures added up, a missing one as 0."""
    columns = [measures.lists[name] for name in names]
    if len(columns) == 1:
        return [value or 0 for value in columns[0]]
    sizes = []
    for row in zip(*columns, strict=True) if columns else [()] * measures.size:
        size = 0
        for value in row:
            size += value or 0
        sizes.append(size)
    return sizes


def _estimates(
    planned: PlannedKpi,
    estimate: Estimate,
    measures: MeasureColumns,
    values: list[Any],
    enough: list[bool],
) -> tuple[list[Any], list[float | None], list[float | None]]:
    """Sample statistics and their intervals; both withheld below the minimum sample,
    where there are too few answers to say anything."""
    low, high = _intervals(planned, estimate, measures)
    return _withheld(values, enough), _withheld(low, enough), _withheld(high, enough)


def _intervals(
    planned: PlannedKpi, estimate: Estimate, measures: MeasureColumns
) -> tuple[list[float | None], list[float | None]]:
    """Each row's interval bounds: a :func:`~callkpi.kpi.model.columnar` interval gives
    them as two arrays at once; any other is called row by row."""
    parameters = planned.column.parameters
    if getattr(estimate.interval, "columnar", False):
        try:
            low, high = estimate.interval(measures.arrays, parameters)
        except Exception as exc:
            raise failed(planned, "interval", "the whole column", exc) from exc
        return as_values(low, measures.size), as_values(high, measures.size)
    found = []
    for row in measures.rows():
        try:
            found.append(estimate.interval(row, parameters) or (None, None))
        except Exception as exc:
            raise failed(planned, "interval", dict(row), exc) from exc
    return [bounds[0] for bounds in found], [bounds[1] for bounds in found]


def _withheld(values: list[Any], enough: list[bool]) -> list[Any]:
    return [value if ok else None for value, ok in zip(values, enough, strict=True)]


def _met(
    values: list[Any], targets: Sequence[float | None], enough: list[bool], higher: bool | None
) -> list[bool | None]:
    """Whether each row's value reaches its target (at least it when higher is better, at
    most it otherwise); ``None`` without a value, a target, a direction or enough sample."""
    if higher is None or targets.count(None) == len(targets):
        return [None] * len(values)
    value, target = as_array(values), as_array(targets)
    with np.errstate(invalid="ignore"):
        reached = value >= target if higher else value <= target
    known = ~np.isnan(value) & ~np.isnan(target) & np.array(enough, dtype=bool)
    verdicts = np.full(len(values), None, dtype=object)
    verdicts[known] = reached[known]
    return verdicts.tolist()
