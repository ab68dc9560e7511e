"""Applying every KPI's formula to every report row, one KPI at a time.

The queries' results hold one tuple of measure values per group (in the plan's measure
order). They are aligned on the report's rows once, into one list per measure shared by
every KPI that reads it; each KPI is then evaluated a column at a time (:mod:`.cells`),
with its target per (centre, queue) looked up once. The report's ``KpiValue`` objects
are built only when its rows are first read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..projector.gc_pause import cyclic_gc_paused
from ..store.centres import CentreConfig
from .cells import KpiCells, failed, kpi_cells
from .centre_values import centre_values
from .columns import ArrayCache, MeasureColumns
from .compiler import BoundMeasure
from .facts import TIME_OF_DAY_HOURS
from .grain import FineRows, GrainFailure, fine_groups, grained_columns, sorted_keys
from .model import PERIOD_END_EPOCH, PERIOD_HOURS
from .period import period_hours
from .plan import Plan, PlannedKpi
from .report import Report, ReportRequest, ReportRow
from .targets import RowTargets

GroupKey = tuple[Any, ...]
FactResults = dict[str, dict[GroupKey, tuple[Any, ...]]]
"""Fact table → group key → its measure values, in the plan's measure order."""
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
) -> Report:
    """Every KPI's value in every group found in any fact table, against the centres' targets."""
    with cyclic_gc_paused():
        return _evaluate(plan, request, results, zones, centres or {})


def _evaluate(
    plan: Plan,
    request: ReportRequest,
    results: Results,
    zones: Mapping[str, ZoneInfo],
    centres: Mapping[str, CentreConfig],
) -> Report:
    width = len(request.group_by)
    # a grained KPI whose grain the report's dimensions already cover reads these too
    fine = {
        dims: fine_groups((k for groups in facts.values() for k in groups), width)
        for dims, facts in results.items()
        if dims != request.group_by
    }
    keys = _row_keys(results.get(request.group_by, {}), fine)
    dimensions = [dict(zip(request.group_by, key, strict=True)) for key in keys]
    specials = _special_columns(plan, request, zones, centres, dimensions)
    tables = _Tables(plan, results, keys, fine)
    targets = RowTargets(request, centres)
    arrays: ArrayCache = {}
    cells = []
    for index, planned in enumerate(plan.kpis):
        lists = tables.measures(planned, arrays) | specials
        column, row_targets = targets.column(index, planned.column, dimensions)
        cells.append(kpi_cells(planned, column, MeasureColumns(lists, len(keys), arrays), row_targets))
    return Report(request, tuple(c.column for c in cells), lambda: _rows(dimensions, cells))


def _row_keys(plain: FactResults, fine: Mapping[Any, Mapping[GroupKey, Any]]) -> list[GroupKey]:
    found = {key for groups in plain.values() for key in groups}
    for groups in fine.values():
        found.update(groups)
    return sorted_keys(found)


def _rows(dimensions: list[dict[str, Any]], cells: list[KpiCells]) -> tuple[ReportRow, ...]:
    keys = [c.column.key for c in cells]
    columns = [c.values() for c in cells]
    return tuple(
        ReportRow(d, dict(zip(keys, values, strict=True)))
        for d, values in zip(dimensions, zip(*columns, strict=True) if columns else [()] * len(dimensions), strict=True)
    )


class _Tables:
    """Each KPI's measures as lists in row order, every list built once per report."""

    def __init__(
        self,
        plan: Plan,
        results: Results,
        keys: list[GroupKey],
        fine: Mapping[tuple[str, ...], Mapping[GroupKey, list[GroupKey]]],
    ) -> None:
        self._plan, self._results, self._keys, self._fine = plan, results, keys, fine
        self._tables: dict[tuple[str, ...], _MeasureTable] = {}
        self._fine_rows: dict[tuple[str, ...], FineRows] = {}

    def measures(self, planned: PlannedKpi, arrays: ArrayCache) -> dict[str, Sequence[Any]]:
        dims = planned.dimensions
        if planned.spec.grain is None:
            return self._table(dims, self._keys).measures(planned)
        if dims not in self._fine_rows:
            self._fine_rows[dims] = FineRows(self._fine.get(dims, {}), self._keys)
        rows = self._fine_rows[dims]
        fine = self._table(dims, rows.keys).measures(planned)
        try:
            return grained_columns(planned, fine, rows, arrays)
        except GrainFailure as failure:
            raise failed(planned, "grain parts", failure.row, failure.error) from failure.error

    def _table(self, dims: tuple[str, ...], keys: list[GroupKey]) -> _MeasureTable:
        if dims not in self._tables:
            queries = self._plan.grained.get(dims, self._plan.queries)
            self._tables[dims] = _MeasureTable(queries, self._results.get(dims, {}), keys)
        return self._tables[dims]


class _MeasureTable:
    """One grouping's query results aligned on a list of group keys, a list per measure.

    A count or sum over no rows is 0; a minimum or maximum of nothing stays None."""

    def __init__(
        self, queries: Mapping[str, tuple[BoundMeasure, ...]], facts: FactResults, keys: list[GroupKey]
    ) -> None:
        self._queries, self._facts, self._keys = queries, facts, keys
        self._groups: dict[str, list[tuple[Any, ...] | None]] = {}
        self._columns: dict[BoundMeasure, list[Any]] = {}

    def measures(self, planned: PlannedKpi) -> dict[str, Sequence[Any]]:
        return {name: self._column(bound) for name, bound in planned.measures.items()}

    def _column(self, bound: BoundMeasure) -> list[Any]:
        if bound not in self._columns:
            if bound.fact not in self._groups:
                table = self._facts.get(bound.fact, {})
                self._groups[bound.fact] = [table.get(key) for key in self._keys]
            position = self._queries[bound.fact].index(bound)
            values = [None if g is None else g[position] for g in self._groups[bound.fact]]
            if bound.aggregate not in ("min", "max"):
                values = [0 if value is None else value for value in values]
            self._columns[bound] = values
        return self._columns[bound]


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
