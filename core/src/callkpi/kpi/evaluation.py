"""Applying every KPI's formula to every report row, one KPI at a time.

The queries' results hold one tuple of measure values per group (in the plan's measure
order). Evaluating column by column lets each KPI find its measures' positions, its
target per (centre, queue) and its fine groups once, instead of once per row; each value
is built once, with its final target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from ..projector.gc_pause import cyclic_gc_paused
from ..store.centres import CentreConfig
from .centre_values import centre_values
from .facts import TIME_OF_DAY_HOURS
from .grain import add_parts, fine_groups, rollup
from .model import PERIOD_END_EPOCH, PERIOD_HOURS, Estimate, Formula, NoValue
from .period import period_hours
from .plan import Plan, PlannedKpi
from .report import KpiValue, Report, ReportRequest, ReportRow
from .targets import RowTargets, met
from .validation import InvalidKpi

GroupKey = tuple[Any, ...]
FactResults = dict[str, dict[GroupKey, tuple[Any, ...]]]
"""Fact table → group key → its measure values, in the plan's measure order."""
Results = dict[tuple[str, ...], FactResults]
""":data:`FactResults` by the dimensions they are grouped by."""
UTC = ZoneInfo("UTC")
_NO_DETAILS: dict[str, float | None] = {}
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
    }
    keys = sorted({key for groups in fine.values() for key in groups}, key=_sort_key)
    dimensions = [dict(zip(request.group_by, key, strict=True)) for key in keys]
    specials = _row_specials(plan, request, zones, centres, dimensions)
    targets = RowTargets(request, centres)
    columns = []
    values: list[dict[str, KpiValue]] = [{} for _ in keys]
    for index, planned in enumerate(plan.kpis):
        if planned.spec.grain is None:
            measures = _plain_measures(plan, planned, results, keys)
        else:
            measures = _grained_measures(plan, planned, results, fine, keys)
        for measured, special in zip(measures, specials, strict=True):
            measured.update(special)
        column, row_targets = targets.column(index, planned.column, dimensions)
        columns.append(column)
        key = column.key
        for row, value in zip(values, _kpi_values(planned, measures, row_targets), strict=True):
            row[key] = value
    rows = tuple(ReportRow(d, v) for d, v in zip(dimensions, values, strict=True))
    return Report(request, tuple(columns), rows)


def _row_specials(
    plan: Plan,
    request: ReportRequest,
    zones: Mapping[str, ZoneInfo],
    centres: Mapping[str, CentreConfig],
    rows: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each row's specials. Rows of one centre that agree on the dimensions the period's
    hours depend on share them, worked out once (by agent × date: once per date)."""
    known: dict[tuple[Any, ...], dict[str, Any]] = {}
    specials = []
    for dimensions in rows:
        centre = dimensions.get("centre", request.centre)
        key = (centre, *(dimensions.get(name) for name in _PERIOD_DIMENSIONS))
        if key not in known:
            known[key] = _specials(plan, request, zones, centres, dimensions)
        specials.append(known[key])
    return specials


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


def _sort_key(key: GroupKey) -> tuple[Any, ...]:
    return tuple((value is None, value) for value in key)


def _measure_rows(
    plan: Plan, planned: PlannedKpi, facts: FactResults, keys: Sequence[GroupKey]
) -> list[dict[str, Any]]:
    """One KPI's measures of each group in ``keys``, by measure name.

    Read a column at a time: each fact table's groups are looked up once per key and
    each measure picked out of them in one pass, where reading group by group walked
    the KPI's measures again for every group (~1.5M times for the catalogue by agent ×
    date). A count or sum over no rows is 0; a minimum or maximum of nothing stays None."""
    queries = plan.grained.get(planned.dimensions, plan.queries)
    found: dict[str, list[tuple[Any, ...] | None]] = {}
    columns = []
    for bound in planned.measures.values():
        if bound.fact not in found:
            table = facts.get(bound.fact, {})
            found[bound.fact] = [table.get(key) for key in keys]
        columns.append(_column(found[bound.fact], queries[bound.fact].index(bound), bound.aggregate))
    names = tuple(planned.measures)
    if not names:
        return [{} for _ in keys]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _column(groups: list[tuple[Any, ...] | None], position: int, aggregate: str) -> list[Any]:
    values = [None if group is None else group[position] for group in groups]
    if aggregate in ("min", "max"):
        return values
    return [0 if value is None else value for value in values]


def _plain_measures(
    plan: Plan, planned: PlannedKpi, results: Results, keys: Sequence[GroupKey]
) -> list[dict[str, Any]]:
    return _measure_rows(plan, planned, results.get(planned.dimensions, {}), keys)


def _grained_measures(
    plan: Plan,
    planned: PlannedKpi,
    results: Results,
    fine: Mapping[tuple[str, ...], Mapping[GroupKey, list[GroupKey]]],
    keys: Sequence[GroupKey],
) -> list[dict[str, Any]]:
    """Per row: the measures summed over its fine groups, and its grain's parts, summed."""
    fine_keys = fine.get(planned.dimensions, {})
    per_row = [fine_keys.get(key, []) for key in keys]
    facts = results.get(planned.dimensions, {})
    groups = iter(_measure_rows(plan, planned, facts, [k for ks in per_row for k in ks]))
    aggregates = {name: bound.aggregate for name, bound in planned.measures.items()}
    grain, parameters = planned.spec.grain, planned.column.parameters
    measures = []
    for row_keys in per_row:
        row_groups = list(islice(groups, len(row_keys)))
        row = rollup(aggregates, row_groups)
        try:
            measures.append(row | add_parts(grain, row_groups, row, parameters))  # type: ignore[arg-type]
        except Exception as exc:
            raise _failed(planned, "grain parts", row, exc) from exc
    return measures


def _failed(planned: PlannedKpi, what: str, values: Any, exc: Exception) -> InvalidKpi:
    column = planned.column
    return InvalidKpi(
        f"KPI {column.kpi!r} variant {column.variant!r}: {what} failed on {values!r}: "
        f"{type(exc).__name__}: {exc}"
    )


def _apply(
    planned: PlannedKpi, what: str, formula: Formula, values: Mapping[str, Any]
) -> tuple[float | None, str | None]:
    """The formula's value, or ``None`` and the reason it gives for having none."""
    try:
        return formula(values, planned.column.parameters), None
    except NoValue as reason:
        return None, str(reason)
    except Exception as exc:
        raise _failed(planned, what, dict(values), exc) from exc


def _kpi_values(
    planned: PlannedKpi, measures: list[dict[str, Any]], targets: list[float | None]
) -> list[KpiValue]:
    """One KPI's value in every row (``measures``: each row's values). What is the same
    in every row is looked up once, outside the loop over ~10⁴ rows."""
    spec, column = planned.spec, planned.column
    formula, parameters, sample = spec.formula, column.parameters, spec.sample
    key, unit, variant = column.key, column.unit, column.variant
    estimate = formula if isinstance(formula, Estimate) else None
    cells = []
    for values, target in zip(measures, targets, strict=True):
        try:  # inline, not _apply: this runs once per KPI and row
            value, note = formula(values, parameters), None
        except NoValue as reason:
            value, note = None, str(reason)
        except Exception as exc:
            raise _failed(planned, "formula", dict(values), exc) from exc
        n = 0
        for name in sample:
            n += values[name] or 0
        enough = n >= column.min_sample
        low = high = None
        if estimate is not None:
            value, (low, high) = _estimated(planned, estimate, values, value, enough)
        reached = met(value, target, column.higher_is_better) if enough else None
        details = _details(planned, values) if spec.details else _NO_DETAILS
        cells.append(
            KpiValue(key, value, n, unit, variant, parameters, target, reached, enough, details, note, low, high)
        )
    return cells


def _details(planned: PlannedKpi, values: Mapping[str, Any]) -> dict[str, float | None]:
    return {
        name: _apply(planned, f"details[{name!r}]", formula, values)[0]
        for name, formula in planned.spec.details.items()
    }


def _estimated(
    planned: PlannedKpi, formula: Estimate, values: Mapping[str, Any], value: float | None, enough: bool
) -> tuple[float | None, tuple[float | None, float | None]]:
    """A sample statistic and its interval; both withheld below the minimum sample, where
    there are too few answers to say anything."""
    interval = _interval(planned, formula, values)
    if not enough:
        return None, (None, None)
    return value, interval or (None, None)


def _interval(
    planned: PlannedKpi, formula: Estimate, values: Mapping[str, Any]
) -> tuple[float, float] | None:
    try:
        return formula.interval(values, planned.column.parameters)
    except Exception as exc:
        raise _failed(planned, "interval", dict(values), exc) from exc
