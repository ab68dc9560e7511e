"""Group keys as integer codes: the report's rows and each grain's fine groups, found with
numpy from the queries' key columns instead of one tuple per group.

Every dimension's values found in any query are ranked once, sorted with ``None`` last.
A group's code is its ranks read as the digits of one number, the first dimension the
most significant, so codes sort as the keys do. A grained query is grouped by the
report's dimensions followed by the grain's missing ones, so the code of a fine group's
report row is its code's leading digits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .result_columns import Columns

GroupKey = tuple[Any, ...]
Dimensions = tuple[str, ...]


@dataclass(frozen=True)
class Frame:
    """One query's result: its key columns (one per dimension), then its measures'."""

    keys: Columns
    measures: Columns

    @property
    def size(self) -> int:
        return len((self.keys or self.measures)[0])


class KeyIndex:
    """The report's rows, sorted by key, and where each query's groups fall among them
    (or among a grain's fine groups)."""

    def __init__(self, results: Mapping[Dimensions, Mapping[str, Frame]], group_by: Dimensions):
        factorised = {
            (dims, fact): [_factorised(column) for column in frame.keys]
            for dims, facts in results.items()
            for fact, frame in facts.items()
        }
        self._values = _ranked_values(factorised)
        self._digits = {where: self._ranked(where[0], columns) for where, columns in factorised.items()}
        self._sizes = {(dims, fact): frame.size for dims, facts in results.items() for fact, frame in facts.items()}
        self._group_by = group_by
        self._prefixes = {where: self._codes(group_by, where, len(group_by)) for where in self._digits}
        self._rows = _Places(list(self._prefixes.values()), self._space(group_by))
        self.row_codes = self._rows.distinct

    def row_keys(self) -> list[GroupKey]:
        """Each report row's dimension values, in row order."""
        columns, rest = [], self.row_codes
        for name in reversed(self._group_by):
            size = self._size(name)
            columns.append([self._values[name][digit] for digit in (rest % size).tolist()])
            rest = rest // size
        return list(zip(*reversed(columns), strict=True)) if columns else [()] * len(self.row_codes)

    def row_positions(self, fact: str) -> np.ndarray:
        """The report row of each group of ``fact``'s query by the report's dimensions."""
        return self._rows.of(self._prefixes[(self._group_by, fact)])

    def fine_groups(self, dims: Dimensions) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The report row of each fine group of ``dims`` (in fine-group order), and the fine
        group of each group of each fact's query by ``dims``."""
        codes = {where[1]: self._codes(dims, where, len(dims)) for where in self._digits if where[0] == dims}
        fine = _Places(list(codes.values()), self._space(dims))
        below = math.prod(self._size(name) for name in dims[len(self._group_by) :])
        return self._rows.of(fine.distinct // below), {fact: fine.of(found) for fact, found in codes.items()}

    def _ranked(self, dims: Dimensions, columns: list[tuple[list[Any], np.ndarray]]) -> list[np.ndarray]:
        ranks = [{value: rank for rank, value in enumerate(self._values[name])} for name in dims]
        return [
            np.array([rank[value] for value in uniques], np.int64)[inverse]
            for rank, (uniques, inverse) in zip(ranks, columns, strict=True)
        ]

    def _codes(self, dims: Dimensions, where: tuple[Dimensions, str], width: int) -> np.ndarray:
        """The codes of ``where``'s groups by the first ``width`` of ``dims``."""
        sizes = [self._size(name) for name in dims[:width]]
        # beyond 64 bits (many fine dimensions of many values) Python integers take over
        code = np.zeros(self._sizes[where], np.int64 if math.prod(sizes) < 2**63 else object)
        for size, digits in zip(sizes, self._digits[where], strict=False):
            code = code * size + digits
        return code

    def _size(self, name: str) -> int:
        return max(len(self._values.get(name, ())), 1)

    def _space(self, dims: Dimensions) -> int:
        """How many codes groups by ``dims`` can have."""
        return math.prod(self._size(name) for name in dims)


class _Places:
    """Some arrays' distinct codes, sorted, and where any of their codes falls among them.

    Where the codes are few enough to list every possible one (as queue × date × interval
    or agent × date × interval are), by a table of them all: no sorting. Else by sorting
    and binary search."""

    def __init__(self, codes: list[np.ndarray], space: int) -> None:
        self._table: np.ndarray | None = None
        if space > 4 * sum(map(len, codes)) + 4096 or any(found.dtype == object for found in codes):
            self.distinct = _distinct(np.concatenate(codes)) if codes else np.zeros(0, np.int64)
            return
        present = np.zeros(space, bool)
        for found in codes:
            present[found] = True
        self.distinct = np.flatnonzero(present)
        self._table = np.cumsum(present) - 1

    def of(self, codes: np.ndarray) -> np.ndarray:
        """Each code's place among the distinct ones."""
        return self._table[codes] if self._table is not None else np.searchsorted(self.distinct, codes)


def _distinct(codes: np.ndarray) -> np.ndarray:
    """The distinct codes, sorted: by sorting them, which numpy's ``unique`` (hashing
    first) does several times slower for ~10⁵ integers."""
    ordered = np.sort(codes)
    first = np.ones(len(ordered), bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return ordered[first]


def _factorised(column: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """A column's distinct values (as Python values) and each entry's index among them."""
    if column.dtype != object and not np.ma.is_masked(column):
        data = np.ma.getdata(column)
        found = _factorised_steps(data) if data.dtype.kind in "iM" and len(data) else None
        uniques, inverse = found or np.unique(data, return_inverse=True)
        return uniques.tolist(), inverse
    values = column.tolist()
    index = {value: position for position, value in enumerate(dict.fromkeys(values))}
    return list(index), np.fromiter(map(index.__getitem__, values), np.int64, len(values))


def _factorised_steps(data: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Integers or dates factorised by a table over their range (no sorting), when the
    range is small, as dates and intervals of a day are; else ``None``."""
    steps = data.astype(np.int64)
    low = int(steps.min())
    span = int(steps.max()) - low + 1
    if span > 4 * len(steps) + 4096:
        return None
    steps -= low
    present = np.zeros(span, bool)
    present[steps] = True
    holder = np.zeros(span, np.intp)
    holder[steps] = np.arange(len(steps))  # an entry holding each value, for its own type
    return data[holder[present]], (np.cumsum(present) - 1)[steps]


def _ranked_values(factorised: Mapping[tuple[Dimensions, str], list[tuple[list[Any], Any]]]) -> dict[str, list[Any]]:
    """Each dimension's values found in any query, sorted, ``None`` last."""
    found: dict[str, set[Any]] = {}
    for (dims, _), columns in factorised.items():
        for name, (uniques, _) in zip(dims, columns, strict=True):
            found.setdefault(name, set()).update(uniques)
    return {name: sorted(values, key=_none_last) for name, values in found.items()}


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value)
