"""KPIs with a grain: measures per fine group (say queue × date × 15-minute interval), the
KPI's parts computed on each fine group, then the parts added up per report row.

A report row's key is the first values of its fine groups' keys: the engine queries a
grained KPI by the report's dimensions followed by the grain's missing ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from .columns import ArrayCache, MeasureColumns, as_values
from .model import Grain, Values

if TYPE_CHECKING:
    from .plan import PlannedKpi


class FineRows:
    """The fine groups of every report row, one after the other: row ``i``'s are
    ``bounds[i]:bounds[i + 1]`` of the fine groups; ``row_of`` says each one's row."""

    def __init__(self, row_of: np.ndarray, size: int) -> None:
        self.size = size
        self.count = len(row_of)
        self.row_of = row_of
        self.bounds = np.concatenate(([0], np.cumsum(np.bincount(row_of, minlength=size)))).tolist()


class GrainFailure(Exception):
    """A grain's parts failed on a report row (``row``: its measures)."""

    def __init__(self, row: Any, error: Exception) -> None:
        super().__init__(str(error))
        self.row, self.error = row, error


def grained_columns(
    planned: PlannedKpi, fine: dict[str, np.ndarray], rows: FineRows, arrays: ArrayCache
) -> dict[str, Sequence[Any]]:
    """Per row: the measures rolled up over its fine groups, and its grain's parts, summed.
    ``fine``: each measure's values in the fine groups (:mod:`.result_columns`)."""
    aggregates = {name: bound.aggregate for name, bound in planned.measures.items()}
    rolled = {name: _rolled_up(aggregate, fine[name], rows) for name, aggregate in aggregates.items()}
    grain, parameters = planned.spec.grain, planned.column.parameters
    assert grain is not None
    parts = _column_parts(grain, fine, rolled, rows, parameters, arrays)
    if parts is None:
        parts = _row_parts(grain, fine, rolled, rows, parameters)
    return rolled | parts


def _rolled_up(aggregate: str, values: np.ndarray, rows: FineRows) -> list[Any]:
    """A measure of each row from its fine groups': their sum, or their minimum or maximum
    (``None`` when none has one)."""
    if aggregate in ("min", "max"):
        extreme = min if aggregate == "min" else max
        found = values.tolist()
        kept = [[value for value in found[start:end] if value is not None] for start, end in pairwise(rows.bounds)]
        return [extreme(row) if row else None for row in kept]
    # bincount adds each row's values in order, one at a time, as a Python sum would
    weights = np.ma.filled(values, 0)
    sums = np.bincount(rows.row_of, weights=weights, minlength=rows.size)
    return (sums.astype(np.int64) if weights.dtype.kind in "iu" else sums).tolist()


def _column_parts(
    grain: Grain,
    fine: dict[str, np.ndarray],
    rolled: dict[str, list[Any]],
    rows: FineRows,
    parameters: Mapping[str, float],
    arrays: ArrayCache,
) -> dict[str, list[Any]] | None:
    """The parts of every fine group at once (``grain.columns``), summed per row in the
    fine groups' order, as :func:`add_parts` adds them; ``None`` when the grain has none."""
    if grain.columns is None:
        return None
    fine_arrays = MeasureColumns(dict(fine), rows.count, arrays).arrays
    row_columns = MeasureColumns(dict(rolled), rows.size, {})
    repeated = {name: row_columns.array(name)[rows.row_of] for name in rolled}
    try:
        parts = grain.columns(fine_arrays, repeated, parameters)
    except Exception as exc:
        raise GrainFailure("every fine group", exc) from exc
    if parts is None:
        return None
    # bincount adds each row's parts in order, one at a time, NaN (unknown) sticking
    return {
        name: as_values(np.bincount(rows.row_of, weights=parts[name], minlength=rows.size), rows.size)
        for name in grain.names
    }


def _row_parts(
    grain: Grain,
    fine: dict[str, np.ndarray],
    rolled: dict[str, list[Any]],
    rows: FineRows,
    parameters: Mapping[str, float],
) -> dict[str, list[Any]]:
    """The parts computed one fine group at a time, by ``grain.parts``."""
    fine_rows = MeasureColumns(dict(fine), rows.count, {}).rows()
    row_values = MeasureColumns(dict(rolled), rows.size, {}).rows()
    totals: dict[str, list[Any]] = {name: [] for name in grain.names}
    bounds = rows.bounds
    for row, (start, end) in zip(row_values, pairwise(bounds), strict=True):
        try:
            found = add_parts(grain, fine_rows[start:end], row, parameters)
        except Exception as exc:
            raise GrainFailure(row, exc) from exc
        for name, total in found.items():
            totals[name].append(total)
    return totals


def add_parts(
    grain: Grain, fine: list[Values], row: Values, parameters: Mapping[str, float]
) -> dict[str, float | None]:
    """Each part summed over the fine groups; ``None`` once any group's part is unknown."""
    totals: dict[str, float | None] = dict.fromkeys(grain.names, 0.0)
    for group in fine:
        for name, part in grain.parts(group, row, parameters).items():
            total = totals[name]
            totals[name] = None if part is None or total is None else total + part
    return totals
