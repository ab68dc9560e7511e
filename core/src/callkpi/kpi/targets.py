"""Targets from the centres' settings, applied to a computed report.

The most specific target wins: one given in the request (``KpiSelection.target``), then
the centre's target for the row's queue, then the centre's target for the KPI, then the
KPI's default. A row's centre is its ``centre`` dimension, else the request's centre;
in a report over every centre that is not grouped by centre, the KPI defaults stay.

This runs on the finished :class:`Report`, so every report engine (the store's SQL, a
columnar snapshot) applies the same targets by calling :func:`with_centre_targets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..store.centres import CentreConfig
from .report import KpiColumn, KpiSelection, KpiValue, Report, ReportRow

Centres = Mapping[str, CentreConfig]


def met(value: float | None, target: float | None, higher_is_better: bool | None) -> bool | None:
    """Whether ``value`` reaches ``target``; ``None`` without a value, a target or a direction."""
    if value is None or target is None or higher_is_better is None:
        return None
    return value >= target if higher_is_better else value <= target


def centre_target(
    centres: Centres, centre: str | None, kpi: str, queue: str | None = None
) -> float | None:
    """The target ``centre``'s settings set for ``kpi`` (and ``queue``), or ``None``."""
    config = centres.get(centre) if centre is not None else None
    target = config.settings.kpi_targets.get(kpi) if config is not None else None
    return target.for_queue(queue) if target is not None else None


def with_centre_targets(report: Report, centres: Centres) -> Report:
    """``report`` with its targets (and whether each value meets its target) taken from ``centres``.

    Call it once, on a report whose targets are still the request's or the KPIs' defaults.
    """
    selections = report.request.selections()
    centre = report.request.centre
    defaults = [column.target for column in report.columns]
    columns = tuple(
        column
        if selection.target is not None
        else replace(column, target=_target(centres, centre, column, None, default))
        for column, selection, default in zip(report.columns, selections, defaults, strict=True)
    )
    rows = tuple(
        _row(row, report.columns, selections, defaults, centres, centre) for row in report.rows
    )
    return replace(report, columns=columns, rows=rows)


def _target(
    centres: Centres, centre: str | None, column: KpiColumn, queue: str | None, default: Any
) -> float | None:
    found = centre_target(centres, centre, column.kpi, queue)
    return found if found is not None else default


def _row(
    row: ReportRow,
    columns: tuple[KpiColumn, ...],
    selections: tuple[KpiSelection, ...],
    defaults: list[float | None],
    centres: Centres,
    centre: str | None,
) -> ReportRow:
    centre = row.dimensions.get("centre", centre)
    queue = row.dimensions.get("queue")
    values = dict(row.values)
    for column, selection, default in zip(columns, selections, defaults, strict=True):
        if selection.target is None:
            target = _target(centres, centre, column, queue, default)
            values[column.key] = _retargeted(values[column.key], target, column.higher_is_better)
    return replace(row, values=values)


def _retargeted(value: KpiValue, target: float | None, higher_is_better: bool | None) -> KpiValue:
    reached = met(value.value, target, higher_is_better) if value.enough_sample else None
    return replace(value, target=target, met=reached)
