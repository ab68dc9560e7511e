"""Applying every KPI's formula to every report row, one KPI at a time.

The queries' results hold one tuple of measure values per group (in the plan's measure
order). Evaluating column by column lets each KPI find its measures' positions, its
target per (centre, queue) and its fine groups once, instead of once per row; each value
is built once, with its final target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..store.centres import CentreConfig
from .centre_values import centre_values
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


def evaluate(
    plan: Plan,
    request: ReportRequest,
    results: Results,
    zones: Mapping[str, ZoneInfo],
    centres: Mapping[str, CentreConfig] | None = None,
) -> Report:
    """Every KPI's value in every group found in any fact table, against the centres' targets."""
    width = len(request.group_by)
    # a grained KPI whose grain the report's dimensions already cover reads these too
    fine = {
        dims: fine_groups((k for groups in facts.values() for k in groups), width)
        for dims, facts in results.items()
    }
    keys = sorted({key for groups in fine.values() for key in groups}, key=_sort_key)
    dimensions = [dict(zip(request.group_by, key, strict=True)) for key in keys]
    specials = [_specials(plan, request, zones, centres or {}, d) for d in dimensions]
    targets = RowTargets(request, centres or {})
    columns = []
    values: list[dict[str, KpiValue]] = [{} for _ in keys]
    for index, planned in enumerate(plan.kpis):
        if planned.spec.grain is None:
            measures = _plain_measures(plan, planned, results, keys)
        else:
            measures = _grained_measures(plan, planned, results, fine, keys)
        column, row_targets = targets.column(index, planned.column, dimensions)
        columns.append(column)
        key = column.key
        for row, measured, special, target in zip(
            values, measures, specials, row_targets, strict=True
        ):
            measured.update(special)
            row[key] = _kpi_value(planned, measured, target)
    rows = tuple(ReportRow(d, v) for d, v in zip(dimensions, values, strict=True))
    return Report(request, tuple(columns), rows)


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


class _Reader:
    """Reads one KPI's measures of a group: where each sits in its fact table's values."""

    def __init__(self, plan: Plan, planned: PlannedKpi, facts: FactResults) -> None:
        queries = plan.grained.get(planned.dimensions, plan.queries)
        names = list(dict.fromkeys(bound.fact for bound in planned.measures.values()))
        self.tables = [facts.get(name, {}) for name in names]
        self.getters = [
            (name, names.index(b.fact), queries[b.fact].index(b), _empty(b.aggregate))
            for name, b in planned.measures.items()
        ]

    def __call__(self, key: GroupKey) -> dict[str, Any]:
        found = [table.get(key) for table in self.tables]
        values: dict[str, Any] = {}
        for name, table, position, empty in self.getters:
            row = found[table]
            value = None if row is None else row[position]
            values[name] = empty if value is None else value
        return values


def _empty(aggregate: str) -> Any:
    # a count or sum over no rows is 0; a minimum or maximum of nothing stays None
    return None if aggregate in ("min", "max") else 0


def _plain_measures(
    plan: Plan, planned: PlannedKpi, results: Results, keys: Sequence[GroupKey]
) -> list[dict[str, Any]]:
    read = _Reader(plan, planned, results.get(planned.dimensions, {}))
    return [read(key) for key in keys]


def _grained_measures(
    plan: Plan,
    planned: PlannedKpi,
    results: Results,
    fine: Mapping[tuple[str, ...], Mapping[GroupKey, list[GroupKey]]],
    keys: Sequence[GroupKey],
) -> list[dict[str, Any]]:
    """Per row: the measures summed over its fine groups, and its grain's parts, summed."""
    read = _Reader(plan, planned, results.get(planned.dimensions, {}))
    fine_keys = fine.get(planned.dimensions, {})
    aggregates = {name: bound.aggregate for name, bound in planned.measures.items()}
    grain, parameters = planned.spec.grain, planned.column.parameters
    measures = []
    for key in keys:
        groups = [read(fine_key) for fine_key in fine_keys.get(key, [])]
        row = rollup(aggregates, groups)
        try:
            measures.append(row | add_parts(grain, groups, row, parameters))  # type: ignore[arg-type]
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


def _kpi_value(planned: PlannedKpi, values: dict[str, Any], target: float | None) -> KpiValue:
    spec, column = planned.spec, planned.column
    try:  # inline, not _apply: this runs once per KPI and row
        value, note = spec.formula(values, column.parameters), None
    except NoValue as reason:
        value, note = None, str(reason)
    except Exception as exc:
        raise _failed(planned, "formula", dict(values), exc) from exc
    details = _NO_DETAILS
    if spec.details:
        details = {
            name: _apply(planned, f"details[{name!r}]", formula, values)[0]
            for name, formula in spec.details.items()
        }
    n = 0
    for name in spec.sample:
        n += values[name] or 0
    enough = n >= column.min_sample
    interval = None
    if isinstance(spec.formula, Estimate):
        interval = _interval(planned, spec.formula, values)
        if not enough:
            value, interval = None, None  # withheld: too few answers to say anything
    reached = met(value, target, column.higher_is_better) if enough else None
    low, high = interval or (None, None)
    return KpiValue(
        column.key,
        value,
        n,
        column.unit,
        column.variant,
        column.parameters,
        target,
        reached,
        enough,
        details,
        note,
        low,
        high,
    )


def _interval(
    planned: PlannedKpi, formula: Estimate, values: Mapping[str, Any]
) -> tuple[float, float] | None:
    try:
        return formula.interval(values, planned.column.parameters)
    except Exception as exc:
        raise _failed(planned, "interval", dict(values), exc) from exc
