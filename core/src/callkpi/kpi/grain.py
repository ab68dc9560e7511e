"""KPIs with a grain: measures per fine group (say queue × date × 15-minute interval), the
KPI's parts computed on each fine group, then the parts added up per report row.

A report row's key is the first values of its fine groups' keys: the engine queries a
grained KPI by the report's dimensions followed by the grain's missing ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from .model import Grain, Values

GroupKey = tuple[Any, ...]


def fine_groups(keys: Iterable[GroupKey], width: int) -> dict[GroupKey, list[GroupKey]]:
    """Each row key (the first ``width`` values) with its fine keys, in sorted order."""
    groups: dict[GroupKey, set[GroupKey]] = defaultdict(set)
    for key in keys:
        groups[key[:width]].add(key)
    return {row: sorted(found, key=_sort_key) for row, found in groups.items()}


def _sort_key(key: GroupKey) -> tuple[Any, ...]:
    return tuple((value is None, value) for value in key)


def rollup(aggregates: Mapping[str, str], fine: list[Values]) -> dict[str, Any]:
    """The row's measures from its fine groups' (``aggregates``: measure name → aggregate)."""
    row: dict[str, Any] = {}
    for name, aggregate in aggregates.items():
        found = [group[name] for group in fine if group[name] is not None]
        if aggregate in ("min", "max"):
            row[name] = (min if aggregate == "min" else max)(found) if found else None
        else:
            row[name] = sum(found)
    return row


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
