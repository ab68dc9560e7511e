"""Running a report: one ``GROUP BY`` per fact table, then each KPI's formula in Python.

The SQL side is behind one seam, a :data:`QueryRunner` (compiled ``Select`` → rows as
mappings). :func:`run_report` uses the store's own connection; a columnar snapshot
engine (DuckDB over Parquet) only needs another runner for the very same queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select

from ..store.centres import load_centres
from .compiler import BoundMeasure, Period, compile_query
from .model import PERIOD_HOURS
from .period import period_hours
from .plan import Plan, PlannedKpi, plan_report
from .registry import KpiRegistry
from .report import KpiValue, Report, ReportRequest, ReportRow
from .validation import InvalidKpi

QueryRunner = Callable[[Select], Iterable[Mapping[str, Any]]]
GroupKey = tuple[Any, ...]
FactResults = dict[str, dict[GroupKey, dict[BoundMeasure, Any]]]
UTC = ZoneInfo("UTC")


def run_report(
    store: Any, request: ReportRequest, *, registry: KpiRegistry | None = None
) -> Report:
    """Compute ``request`` on ``store`` with the KPIs of ``registry`` (default: every installed KPI plugin)."""
    registry = registry if registry is not None else installed_kpis()
    plan = plan_report(registry, request)
    with store.transaction() as connection:
        results = run_queries(
            plan, request, lambda query: connection.execute(query).mappings().all()
        )
        zones = (
            {name: c.zone for name, c in load_centres(connection).items()}
            if plan.needs_period_hours
            else {}
        )
    return evaluate(plan, request, results, zones)


def installed_kpis() -> KpiRegistry:
    """The KPIs every installed plugin registers."""
    from ..plugins import get_plugin_manager

    return get_plugin_manager().catalog.kpis


def run_queries(plan: Plan, request: ReportRequest, runner: QueryRunner) -> FactResults:
    """Run the plan's one query per fact table; measure values by fact, group and measure."""
    period = Period(request.date_from, request.date_to, request.centre)
    results: FactResults = {}
    for fact, measures in plan.queries.items():
        groups = results[fact] = {}
        for row in runner(compile_query(fact, request.group_by, measures, period)):
            key = tuple(row[name] for name in request.group_by)
            groups[key] = {measure: _number(row[f"m{i}"]) for i, measure in enumerate(measures)}
    return results


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def evaluate(
    plan: Plan, request: ReportRequest, results: FactResults, zones: Mapping[str, ZoneInfo]
) -> Report:
    """Apply every KPI's formula to every group found in any fact table."""
    keys = sorted({key for groups in results.values() for key in groups}, key=_sort_key)
    rows = []
    for key in keys:
        dimensions = dict(zip(request.group_by, key, strict=True))
        hours = _hours(dimensions, request, zones) if plan.needs_period_hours else None
        values = {p.column.key: _kpi_value(p, results, key, hours) for p in plan.kpis}
        rows.append(ReportRow(dimensions, values))
    return Report(request, tuple(p.column for p in plan.kpis), tuple(rows))


def _sort_key(key: GroupKey) -> tuple[Any, ...]:
    return tuple((value is None, value) for value in key)


def _hours(
    dimensions: dict[str, Any], request: ReportRequest, zones: Mapping[str, ZoneInfo]
) -> float | None:
    centre = dimensions.get("centre", request.centre)
    return period_hours(dimensions, request.date_from, request.date_to, zones.get(centre, UTC))


def _kpi_value(
    planned: PlannedKpi, results: FactResults, key: GroupKey, hours: float | None
) -> KpiValue:
    values = {name: _measure_value(results, key, bound) for name, bound in planned.measures.items()}
    values[PERIOD_HOURS] = hours
    column = planned.column
    try:
        value = planned.spec.formula(values, column.parameters)
    except Exception as exc:
        raise InvalidKpi(
            f"KPI {column.kpi!r} variant {column.variant!r}: formula failed on {values!r}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    n = sum(values[name] or 0 for name in planned.spec.sample)
    enough = n >= column.min_sample
    return KpiValue(
        column.key,
        value,
        n,
        column.unit,
        column.variant,
        column.parameters,
        column.target,
        _met(value, column.target, column.higher_is_better) if enough else None,
        enough,
    )


def _measure_value(results: FactResults, key: GroupKey, measure: BoundMeasure) -> Any:
    value = results.get(measure.fact, {}).get(key, {}).get(measure)
    if value is None and measure.aggregate not in ("min", "max"):
        return 0  # a count or sum over no rows is 0; a minimum or maximum of nothing stays None
    return value


def _met(value: float | None, target: float | None, higher_is_better: bool | None) -> bool | None:
    if value is None or target is None or higher_is_better is None:
        return None
    return value >= target if higher_is_better else value <= target
