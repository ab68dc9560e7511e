"""Applying every KPI's formula to every report row, one KPI at a time.

The queries' results are columns: the groups' keys, then the measures in the plan's
order. The groups are found among the report's rows (or a grain's fine groups) by integer
codes (:mod:`.keys`), and each measure is lined up on them once, into one list per measure
shared by every KPI that reads it; each KPI is then evaluated a column at a time (:mod:`.cells`),
with its target per (centre, queue) looked up once. The report's ``KpiValue`` objects
are built only when its rows are first read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from ..projector.gc_pause import cyclic_gc_paused
from ..store.centres import CentreConfig
from .cells import KpiCells, failed, kpi_cells, unavailable_cells
from .centre_values import centre_values
from .columns import ArrayCache, MeasureColumns
from .compiler import BoundMeasure
from .facts import TIME_OF_DAY_HOURS
from .grain import FineRows, GrainFailure, grained_columns
from .keys import Frame, KeyIndex
from .model import PERIOD_END_EPOCH, PERIOD_HOURS
from .open_time import OPEN_MEASURE, with_open_time
from .period import period_hours
from .plan import Plan, PlannedKpi
from .report import Report, ReportRequest, ReportRow
from .targets import RowTargets

FactResults = dict[str, Frame]
"""Fact table → its query's result: key columns, then measure columns in the plan's order."""
Results = dict[tuple[str, ...], FactResults]
""":data:`FactResults` by the dimensions they are grouped by."""
UTC = ZoneInfo("UTC")
# What ``period_hours`` reads of a row (see :mod:`.period`); the other specials depend on
# the row's centre alone.
_PERIOD_DIMENSIONS = ("date", "week", "month", "weekday", *TIME_OF_DAY_HOURS)


def evaluate(
    plan: Plan,
    request: ReportRequest,
    results: Results,
    zones: Mapping[str, ZoneInfo],
    centres: Mapping[str, CentreConfig] | None = None,
    data_ends: Mapping[str, datetime] | None = None,
) -> Report:
    """Every KPI's value in every group found in any fact table, against the centres' targets;
    ``data_ends`` (centre → the end of its data) date the still-open agent time (:mod:`.open_time`)."""
    with cyclic_gc_paused():
        return _evaluate(plan, request, results, zones, centres or {}, data_ends or {})


def _evaluate(
    plan: Plan,
    request: ReportRequest,
    results: Results,
    zones: Mapping[str, ZoneInfo],
    centres: Mapping[str, CentreConfig],
    data_ends: Mapping[str, datetime],
) -> Report:
    index = KeyIndex(results, request.group_by)
    keys = index.row_keys()
    dimensions = [dict(zip(request.group_by, key, strict=True)) for key in keys]
    specials = _special_columns(plan, request, zones, centres, dimensions)
    tables = _Tables(plan, request.group_by, results, index, len(keys))
    targets = RowTargets(request, centres)
    arrays: ArrayCache = {}
    cells = []
    for position, planned in enumerate(plan.kpis):
        column, row_targets = targets.column(position, planned.column, dimensions)
        if column.unavailable is not None:
            cells.append(unavailable_cells(column, row_targets))
            continue
        lists = tables.measures(planned, arrays) | specials
        kpi = kpi_cells(planned, column, MeasureColumns(lists, len(keys), arrays), row_targets)
        if OPEN_MEASURE in planned.measures:
            row_centres = [row.get("centre", request.centre) for row in dimensions]
            kpi = with_open_time(kpi, lists[OPEN_MEASURE], row_centres, data_ends, zones)
        cells.append(kpi)
    return Report(request, tuple(c.column for c in cells), lambda: _rows(dimensions, cells))


def _rows(dimensions: list[dict[str, Any]], cells: list[KpiCells]) -> tuple[ReportRow, ...]:
    keys = [c.column.key for c in cells]
    columns = [c.values() for c in cells]
    return tuple(
        ReportRow(d, dict(zip(keys, values, strict=True)))
        for d, values in zip(dimensions, zip(*columns, strict=True) if columns else [()] * len(dimensions), strict=True)
    )


class _Tables:
    """Each KPI's measures in row order (for a grained KPI: in fine-group order), every
    column built once per report."""

    def __init__(self, plan: Plan, group_by: tuple[str, ...], results: Results, index: KeyIndex, size: int) -> None:
        self._plan, self._group_by, self._results = plan, group_by, results
        self._index, self._size = index, size
        self._plain: _MeasureTable | None = None
        self._fine: dict[tuple[str, ...], tuple[FineRows, _MeasureTable]] = {}

    def measures(self, planned: PlannedKpi, arrays: ArrayCache) -> dict[str, Sequence[Any]]:
        if planned.spec.grain is None:
            return self._plain_table().lists(planned)
        rows, table = self._fine_table(planned.dimensions)
        try:
            return grained_columns(planned, table.arrays(planned), rows, arrays)
        except GrainFailure as failure:
            raise failed(planned, "grain parts", failure.row, failure.error) from failure.error

    def _plain_table(self) -> _MeasureTable:
        if self._plain is None:
            facts = self._results.get(self._group_by, {})
            positions = {fact: self._index.row_positions(fact) for fact in facts}
            self._plain = _MeasureTable(self._plan.queries, facts, positions, self._size)
        return self._plain

    def _fine_table(self, dims: tuple[str, ...]) -> tuple[FineRows, _MeasureTable]:
        if dims == self._group_by:
            # the report's dimensions cover the grain: each row is its own one fine group,
            # and the plan queried the grain's measures with the plain ones
            return FineRows(np.arange(self._size), self._size), self._plain_table()
        if dims not in self._fine:
            found = self._results.get(dims, {})
            row_of, positions = self._index.fine_groups(dims) if found else (np.zeros(0, np.intp), {})
            table = _MeasureTable(self._plan.grained.get(dims, {}), found, positions, len(row_of))
            self._fine[dims] = (FineRows(row_of, self._size), table)
        return self._fine[dims]


class _MeasureTable:
    """One grouping's query results lined up on a list of groups, an array per measure.

    A count or sum over no rows is 0; a minimum or maximum of nothing stays None."""

    def __init__(
        self,
        queries: Mapping[str, tuple[BoundMeasure, ...]],
        facts: Mapping[str, Frame],
        positions: Mapping[str, np.ndarray],
        size: int,
    ) -> None:
        self._queries, self._facts, self._positions, self._size = queries, facts, positions, size
        self._columns: dict[BoundMeasure, np.ndarray] = {}
        self._lists: dict[BoundMeasure, list[Any]] = {}

    def arrays(self, planned: PlannedKpi) -> dict[str, np.ndarray]:
        return {name: self._column(bound) for name, bound in planned.measures.items()}

    def lists(self, planned: PlannedKpi) -> dict[str, Sequence[Any]]:
        """The measures as Python values; one list per measure, shared by every KPI."""
        for bound in planned.measures.values():
            if bound not in self._lists:
                self._lists[bound] = self._column(bound).tolist()
        return {name: self._lists[bound] for name, bound in planned.measures.items()}

    def _column(self, bound: BoundMeasure) -> np.ndarray:
        if bound not in self._columns:
            frame = self._facts.get(bound.fact)
            if frame is None:
                values, positions = np.zeros(0, np.int64), np.zeros(0, np.intp)
            else:
                values = frame.measures[self._queries[bound.fact].index(bound)]
                positions = self._positions[bound.fact]
            zero = bound.aggregate not in ("min", "max")
            self._columns[bound] = _lined_up(values, positions, self._size, zero=zero)
        return self._columns[bound]


def _lined_up(values: np.ndarray, positions: np.ndarray, size: int, *, zero: bool) -> np.ndarray:
    """``values`` placed at ``positions`` of ``size`` groups; the others 0 (``zero``) or
    unknown (masked: ``None``)."""
    if zero:
        found = np.ma.filled(values, 0)
        column = np.zeros(size, found.dtype)
        column[positions] = found
        return column
    column = np.ma.masked_all(size, values.dtype)
    column[positions] = values
    return column


def _special_columns(
    plan: Plan,
    request: ReportRequest,
    zones: Mapping[str, ZoneInfo],
    centres: Mapping[str, CentreConfig],
    rows: list[dict[str, Any]],
) -> dict[str, list[Any]]:
    """Each special's value in every row. Rows of one centre that agree on the dimensions
    the period's hours depend on share them, worked out once (by agent × date: once per date)."""
    known: dict[tuple[Any, ...], dict[str, Any]] = {}
    specials = []
    for dimensions in rows:
        centre = dimensions.get("centre", request.centre)
        key = (centre, *(dimensions.get(name) for name in _PERIOD_DIMENSIONS))
        if key not in known:
            known[key] = _specials(plan, request, zones, centres, dimensions)
        specials.append(known[key])
    names = specials[0] if specials else _specials(plan, request, zones, centres, {})
    return {name: [special[name] for special in specials] for name in names}


def _specials(
    plan: Plan,
    request: ReportRequest,
    zones: Mapping[str, ZoneInfo],
    centres: Mapping[str, CentreConfig],
    dimensions: dict[str, Any],
) -> dict[str, Any]:
    """The values every formula may read beside its measures, for one row."""
    centre = dimensions.get("centre", request.centre)
    zone = zones.get(centre, UTC)
    end = datetime.combine(request.date_to + timedelta(days=1), time(), zone).timestamp()
    specials: dict[str, Any] = {PERIOD_HOURS: None, PERIOD_END_EPOCH: end}
    if plan.needs_period_hours:
        specials[PERIOD_HOURS] = period_hours(dimensions, request.date_from, request.date_to, zone)
    if plan.needs_centre_values:
        specials |= centre_values(centres, centre)
    return specials
