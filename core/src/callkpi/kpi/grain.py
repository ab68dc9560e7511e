"""KPIs with a grain: measures per fine group (say queue × date × 15-minute interval), the
KPI's parts computed on each fine group, then the parts added up per report row.

A report row's key is the first values of its fine groups' keys: the engine queries a
grained KPI by the report's dimensions followed by the grain's missing ones.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from .columns import ArrayCache, MeasureColumns, as_values
from .model import Grain, Values

if TYPE_CHECKING:
    from .plan import PlannedKpi

GroupKey = tuple[Any, ...]


def fine_groups(keys: Iterable[GroupKey], width: int) -> dict[GroupKey, list[GroupKey]]:
    """Each row key (the first ``width`` values) with its fine keys, in sorted order."""
    groups: dict[GroupKey, list[GroupKey]] = {}
    for key in sorted_keys(set(keys)):
        groups.setdefault(key[:width], []).append(key)
    return groups


def sorted_keys(keys: Collection[GroupKey]) -> list[GroupKey]:
    """``keys`` (all of one length) in order, ``None`` last in each position.

    Sorted by each position's rank among its distinct values: ~10⁵ fine keys sort far
    faster as integer columns than as tuples compared value by value."""
    keys = list(keys)
    if len(keys) < 2:  # also the one key () of a report not grouped by anything
        return keys
    ranks = []
    for values in zip(*keys, strict=True):
        rank = {value: i for i, value in enumerate(sorted(set(values), key=_none_last))}
        ranks.append(np.fromiter((rank[value] for value in values), np.int64, len(keys)))
    order = np.lexsort(ranks[::-1])  # lexsort's last key is its first
    return [keys[i] for i in order.tolist()]


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


class FineRows:
    """The fine groups of every report row, one after the other: ``keys`` holds them all,
    row ``i``'s being ``keys[bounds[i]:bounds[i + 1]]``; ``row_of`` says each one's row."""

    def __init__(self, fine: Mapping[GroupKey, list[GroupKey]], rows: Sequence[GroupKey]) -> None:
        per_row = [fine.get(key, []) for key in rows]
        self.size = len(rows)
        self.keys = [key for keys in per_row for key in keys]
        counts = [len(keys) for keys in per_row]
        self.bounds = np.concatenate(([0], np.cumsum(counts, dtype=np.int64))).tolist()
        self.row_of = np.repeat(np.arange(len(rows)), counts)


class GrainFailure(Exception):
    """A grain's parts failed on a report row (``row``: its measures)."""

    def __init__(self, row: Any, error: Exception) -> None:
        super().__init__(str(error))
        self.row, self.error = row, error


def grained_columns(
    planned: PlannedKpi, fine: dict[str, Sequence[Any]], rows: FineRows, arrays: ArrayCache
) -> dict[str, Sequence[Any]]:
    """Per row: the measures rolled up over its fine groups, and its grain's parts, summed.
    ``fine``: each measure's values in the fine groups."""
    aggregates = {name: bound.aggregate for name, bound in planned.measures.items()}
    rolled = {name: _rolled_up(aggregate, fine[name], rows.bounds) for name, aggregate in aggregates.items()}
    grain, parameters = planned.spec.grain, planned.column.parameters
    assert grain is not None
    parts = _column_parts(grain, fine, rolled, rows, parameters, arrays)
    if parts is None:
        parts = _row_parts(grain, fine, rolled, rows, parameters)
    return rolled | parts


def _rolled_up(aggregate: str, values: Sequence[Any], bounds: list[int]) -> list[Any]:
    """A measure of each row from its fine groups': their sum, or their minimum or maximum
    (``None`` when none has one)."""
    found = [
        [value for value in values[start:end] if value is not None]
        for start, end in pairwise(bounds)
    ]
    if aggregate == "min":
        return [min(row) if row else None for row in found]
    if aggregate == "max":
        return [max(row) if row else None for row in found]
    return [sum(row) for row in found]


def _column_parts(
    grain: Grain,
    fine: dict[str, Sequence[Any]],
    rolled: dict[str, list[Any]],
    rows: FineRows,
    parameters: Mapping[str, float],
    arrays: ArrayCache,
) -> dict[str, list[Any]] | None:
    """The parts of every fine group at once (``grain.columns``), summed per row in the
    fine groups' order, as :func:`add_parts` adds them; ``None`` when the grain has none."""
    if grain.columns is None:
        return None
    fine_arrays = MeasureColumns(dict(fine), len(rows.keys), arrays).arrays
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
    fine: dict[str, Sequence[Any]],
    rolled: dict[str, list[Any]],
    rows: FineRows,
    parameters: Mapping[str, float],
) -> dict[str, list[Any]]:
    """The parts computed one fine group at a time, by ``grain.parts``."""
    fine_rows = MeasureColumns(dict(fine), len(rows.keys), {}).rows()
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
