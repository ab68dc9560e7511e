"""Targets from the centres' settings, applied to a computed report.

The most specific target wins: one given in the request (``KpiSelection.target``), then
the centre's target for the row's queue, then the centre's target for the KPI, then the
KPI's default. Every target belongs to a variant: a centre's targets are keyed by the KPI's
id for its default variant and the variants that share its unit and target, and by
``kpi:variant`` for a variant with a target of its own, so a value is never judged against
a target of another variant's unit or scale. A row's centre is its ``centre`` dimension, else the request's centre;
in a report over every centre that is not grouped by centre, the KPI defaults stay.

The engine applies them while it builds each value (:class:`RowTargets`, one lookup per
KPI, centre and queue), so no value is built twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..store.centres import CentreConfig
from .report import KpiColumn, ReportRequest

Centres = Mapping[str, CentreConfig]


def centre_target(
    centres: Centres, centre: str | None, kpi: str, queue: str | None = None
) -> float | None:
    """The target ``centre``'s settings set for ``kpi`` (and ``queue``), or ``None``."""
    config = centres.get(centre) if centre is not None else None
    target = config.settings.kpi_targets.get(kpi) if config is not None else None
    return target.for_queue(queue) if target is not None else None


def _target(
    centres: Centres, centre: str | None, column: KpiColumn, queue: str | None, default: Any
) -> float | None:
    found = centre_target(centres, centre, column.target_key or column.kpi, queue)
    return found if found is not None else default


class RowTargets:
    """The targets of a report's columns and rows, each (KPI, centre, queue) looked up once
    with the precedence above, applied while values are built."""

    def __init__(self, request: ReportRequest, centres: Centres) -> None:
        self._selections = request.selections()
        self._centre = request.centre
        self._centres = centres
        self._rows: list[dict[str, Any]] | None = None
        self._row_places: list[tuple[Any, Any]] = []

    def column(
        self, index: int, column: KpiColumn, rows: list[dict[str, Any]]
    ) -> tuple[KpiColumn, list[float | None]]:
        """The column with its centre target, and the target of each row (by its dimensions)."""
        if self._selections[index].target is not None:
            return column, [column.target] * len(rows)
        default = column.target  # the KPI's own, no target being asked for
        places = self._places(rows)
        found = {
            place: _target(self._centres, place[0], column, place[1], default) for place in set(places)
        }
        top = _target(self._centres, self._centre, column, None, default)
        if len(found) == 1:
            return replace(column, target=top), [found.popitem()[1]] * len(rows)
        return replace(column, target=top), [found[place] for place in places]

    def _places(self, rows: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
        """Each row's (centre, queue), worked out once for every column of the report."""
        if self._rows is not rows:
            self._rows = rows
            self._row_places = [(d.get("centre", self._centre), d.get("queue")) for d in rows]
        return self._row_places
