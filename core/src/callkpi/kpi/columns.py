"""One KPI's measures in every report row at once.

Each measure is a list of its values in row order, exactly as the queries handed them
back (``int``, ``float`` or ``None``), so a value copied through (``value_of``, a sample
size) keeps its type. A :func:`~callkpi.kpi.model.columnar` formula reads them as float
arrays (NaN for ``None``), converted once per list however many KPIs read it; any other
formula reads them row by row, as a mapping per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

ArrayCache = dict[int, tuple[Sequence[Any], np.ndarray]]
"""``id(list)`` → the list (kept alive, so its id stays its own) and its float array."""


def as_array(values: Sequence[Any]) -> np.ndarray:
    """``values`` (a list, or a query's column: :mod:`.result_columns`) as floats, NaN for
    ``None``."""
    if isinstance(values, np.ma.MaskedArray):
        return values.astype(float).filled(np.nan)
    return np.array(values, dtype=float)


def as_values(column: Any, size: int) -> list[Any]:
    """A formula's column back as Python values: floats, ``None`` for NaN (a scalar result,
    such as a constant ``None``, stands for every row)."""
    if not isinstance(column, np.ndarray):
        return [None if column is None or column != column else column] * size
    column = np.broadcast_to(np.asarray(column, dtype=float), (size,))
    values = column.astype(object)
    values[np.isnan(column)] = None
    return values.tolist()


class MeasureColumns:
    """Measure name → its values in every row (see the module docstring)."""

    def __init__(self, lists: dict[str, Sequence[Any]], size: int, arrays: ArrayCache) -> None:
        self.lists = lists
        self.size = size
        self._arrays = arrays
        self._rows: list[dict[str, Any]] | None = None

    def array(self, name: str) -> np.ndarray:
        values = self.lists[name]
        found = self._arrays.get(id(values))
        if found is None:
            found = self._arrays[id(values)] = (values, as_array(values))
        return found[1]

    @property
    def arrays(self) -> Mapping[str, np.ndarray]:
        """What a columnar formula reads: each measure as a float array."""
        return _Arrays(self)

    def rows(self) -> list[dict[str, Any]]:
        """Each row's measures by name, for formulas that take one row at a time."""
        if self._rows is None:
            names = tuple(self.lists)
            if not names:
                self._rows = [{} for _ in range(self.size)]
            else:
                columns = [_as_list(values) for values in self.lists.values()]
                self._rows = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
        return self._rows


def _as_list(values: Sequence[Any]) -> Sequence[Any]:
    """Python values for a row formula: a query's column as ints, floats and ``None``."""
    return values.tolist() if isinstance(values, np.ndarray) else values


class _Arrays(Mapping[str, np.ndarray]):
    def __init__(self, columns: MeasureColumns) -> None:
        self._columns = columns

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns.array(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns.lists)

    def __len__(self) -> int:
        return len(self._columns.lists)
