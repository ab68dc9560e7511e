"""Running a report: one ``GROUP BY`` per fact table, then each KPI's formula in Python.

The SQL side is behind one seam, a :data:`QueryRunner` (compiled ``Select`` → rows as
mappings). :func:`run_report` uses the store's own connection or, for
``engine="duckdb"``, a DuckDB reader over the columnar snapshot (``callkpi.snapshot``)
that runs the very same queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from ..store.centres import CentreConfig, load_centres
from .centre_values import centre_values
from .compiler import BoundMeasure, Period, compile_query, reads_data_end
from .facts import FACT_TABLES
from .grain import add_parts, fine_groups, rollup
from .model import PERIOD_END_EPOCH, PERIOD_HOURS, Estimate, Formula, NoValue
from .period import period_hours
from .plan import Plan, PlannedKpi, plan_report
from .registry import KpiRegistry
from .report import KpiValue, Report, ReportRequest, ReportRow
from .targets import met, with_centre_targets
from .validation import InvalidKpi

QueryRunner = Callable[[Select], Iterable[Mapping[str, Any]]]
GroupKey = tuple[Any, ...]
FactResults = dict[str, dict[GroupKey, dict[BoundMeasure, Any]]]
Results = dict[tuple[str, ...], FactResults]
"""Measure values by the dimensions they are grouped by, then as :data:`FactResults`."""
UTC = ZoneInfo("UTC")
ENGINES = ("sql", "duckdb")


def run_report(
    store: Any,
    request: ReportRequest,
    *,
    registry: KpiRegistry | None = None,
    snapshot_dir: Path | None = None,
) -> Report:
    """Compute ``request`` on ``store`` with the KPIs of ``registry`` (default: every
    installed KPI plugin).

    With ``request.engine == "duckdb"`` the queries run on the snapshot in ``snapshot_dir``
    (default: :func:`callkpi.snapshot.snapshot_directory`), refreshed first when it is behind.
    """
    registry = registry if registry is not None else installed_kpis()
    plan = plan_report(registry, request)
    with store.transaction() as connection:
        centres = load_centres(connection)
    zones = {name: c.zone for name, c in centres.items()}
    with _query_runner(store, request, snapshot_dir) as runner:
        results = run_queries(plan, request, runner, zones)
    return with_centre_targets(evaluate(plan, request, results, zones, centres), centres)


@contextmanager
def _query_runner(
    store: Any, request: ReportRequest, snapshot_dir: Path | None
) -> Iterator[QueryRunner]:
    if request.engine == "sql":
        with store.transaction() as connection:
            yield lambda query: connection.execute(query).mappings().all()
    elif request.engine == "duckdb":
        # imported here: DuckDB is an optional extra, needed only by this engine
        from ..snapshot import open_reader, refresh, snapshot_directory

        directory = snapshot_directory(store.url, snapshot_dir)
        refresh(store, directory, centre=request.centre)
        with open_reader(directory) as reader:
            yield reader.run
    else:
        raise InvalidKpi(f"engine = {request.engine!r}; expected one of {', '.join(ENGINES)}")


def installed_kpis() -> KpiRegistry:
    """The KPIs every installed plugin registers."""
    from ..plugins import get_plugin_manager

    return get_plugin_manager().catalog.kpis


def run_queries(
    plan: Plan,
    request: ReportRequest,
    runner: QueryRunner,
    zones: Mapping[str, ZoneInfo] | None = None,
) -> Results:
    """Run the plan's one query per fact table (and per grain); measure values by grouping
    dimensions, fact, group and measure. ``zones`` place period bounds in local time."""
    data_end = _data_end(plan, request, runner)
    period = Period(request.date_from, request.date_to, request.centre, zones or {}, data_end)
    results: Results = {}
    for dimensions, queries in ((request.group_by, plan.queries), *plan.grained.items()):
        facts = results.setdefault(dimensions, {})
        for fact, measures in queries.items():
            groups = facts[fact] = {}
            for row in runner(compile_query(fact, dimensions, measures, period)):
                key = tuple(row[name] for name in dimensions)
                groups[key] = {m: _number(row[f"m{i}"]) for i, m in enumerate(measures)}
    return results


def _data_end(plan: Plan, request: ReportRequest, runner: QueryRunner) -> datetime | None:
    """The latest offered_at of the report's centre (of every centre without one), read
    with one small query only when a KPI censors near the end of the data."""
    queries = [plan.queries, *plan.grained.values()]
    if not any(reads_data_end(measures) for q in queries for measures in q.values()):
        return None
    contacts = FACT_TABLES["fact_contact"].table
    query = select(func.max(contacts.c.offered_at).label("data_end"))
    if request.centre is not None:
        query = query.where(contacts.c.centre == request.centre)
    (row,) = runner(query)
    end = row["data_end"]
    # DuckDB and raw drivers may hand back text or a naive UTC time
    end = datetime.fromisoformat(end) if isinstance(end, str) else end
    return end.replace(tzinfo=UTC) if end is not None and end.tzinfo is None else end


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def evaluate(
    plan: Plan,
    request: ReportRequest,
    results: Results,
    zones: Mapping[str, ZoneInfo],
    centres: Mapping[str, CentreConfig] | None = None,
) -> Report:
    """Apply every KPI's formula to every group found in any fact table."""
    width = len(request.group_by)
    fine = {
        dimensions: fine_groups((k for groups in facts.values() for k in groups), width)
        for dimensions, facts in results.items()
    }
    keys = sorted({key for groups in fine.values() for key in groups}, key=_sort_key)
    rows = []
    for key in keys:
        dimensions = dict(zip(request.group_by, key, strict=True))
        specials: dict[str, Any] = {PERIOD_HOURS: None, PERIOD_END_EPOCH: None}
        specials[PERIOD_END_EPOCH] = _period_end(dimensions, request, zones)
        if plan.needs_period_hours:
            specials[PERIOD_HOURS] = _hours(dimensions, request, zones)
        if plan.needs_centre_values:
            specials |= centre_values(centres or {}, dimensions.get("centre", request.centre))
        values = {
            p.column.key: _kpi_value(p, _measures(p, results, fine, key), specials)
            for p in plan.kpis
        }
        rows.append(ReportRow(dimensions, values))
    return Report(request, tuple(p.column for p in plan.kpis), tuple(rows))


def _period_end(
    dimensions: dict[str, Any], request: ReportRequest, zones: Mapping[str, ZoneInfo]
) -> float:
    zone = zones.get(dimensions.get("centre", request.centre), UTC)
    return datetime.combine(request.date_to + timedelta(days=1), time(), zone).timestamp()


def _sort_key(key: GroupKey) -> tuple[Any, ...]:
    return tuple((value is None, value) for value in key)


def _hours(
    dimensions: dict[str, Any], request: ReportRequest, zones: Mapping[str, ZoneInfo]
) -> float | None:
    centre = dimensions.get("centre", request.centre)
    return period_hours(dimensions, request.date_from, request.date_to, zones.get(centre, UTC))


def _measures(
    planned: PlannedKpi,
    results: Results,
    fine: Mapping[tuple[str, ...], Mapping[GroupKey, list[GroupKey]]],
    key: GroupKey,
) -> dict[str, Any]:
    """The KPI's measure values for row ``key`` (and its grain's parts, summed)."""
    facts = results.get(planned.dimensions, {})
    if planned.spec.grain is None:
        return {name: _measure_value(facts, key, bound) for name, bound in planned.measures.items()}
    groups = [
        {name: _measure_value(facts, fine_key, bound) for name, bound in planned.measures.items()}
        for fine_key in fine.get(planned.dimensions, {}).get(key, [])
    ]
    row = rollup({name: b.aggregate for name, b in planned.measures.items()}, groups)
    try:
        return row | add_parts(planned.spec.grain, groups, row, planned.column.parameters)
    except Exception as exc:
        raise _failed(planned, "grain parts", row, exc) from exc


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


def _kpi_value(planned: PlannedKpi, measures: Any, specials: Mapping[str, Any]) -> KpiValue:
    values = {**measures, **specials}
    value, note = _apply(planned, "formula", planned.spec.formula, values)
    details = {
        name: _apply(planned, f"details[{name!r}]", formula, values)[0]
        for name, formula in planned.spec.details.items()
    }
    column = planned.column
    n = sum(values[name] or 0 for name in planned.spec.sample)
    enough = n >= column.min_sample
    interval = _interval(planned, values)
    if isinstance(planned.spec.formula, Estimate) and not enough:
        value, interval = None, None  # withheld: too few answers to say anything
    return KpiValue(
        column.key,
        value,
        n,
        column.unit,
        column.variant,
        column.parameters,
        column.target,
        met(value, column.target, column.higher_is_better) if enough else None,
        enough,
        details,
        note,
        *(interval or (None, None)),
    )


def _interval(planned: PlannedKpi, values: Mapping[str, Any]) -> tuple[float, float] | None:
    formula = planned.spec.formula
    if not isinstance(formula, Estimate):
        return None
    try:
        return formula.interval(values, planned.column.parameters)
    except Exception as exc:
        raise _failed(planned, "interval", dict(values), exc) from exc


def _measure_value(results: FactResults, key: GroupKey, measure: BoundMeasure) -> Any:
    value = results.get(measure.fact, {}).get(key, {}).get(measure)
    if value is None and measure.aggregate not in ("min", "max"):
        return 0  # a count or sum over no rows is 0; a minimum or maximum of nothing stays None
    return value
