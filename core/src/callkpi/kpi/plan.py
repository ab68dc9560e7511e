"""Planning a report: resolve each KPI selection and collect the distinct measures per fact table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .compiler import BoundMeasure, bind
from .facts import DIMENSIONS, FACT_TABLES
from .registry import KpiRegistry
from .report import KpiColumn, KpiSelection, ReportRequest
from .validation import InvalidKpi, check_parameter_value
from .variants import VariantSpec


@dataclass(frozen=True)
class PlannedKpi:
    """A KPI column and the bound measure behind each of its measure names."""

    column: KpiColumn
    spec: VariantSpec
    measures: Mapping[str, BoundMeasure]
    dimensions: tuple[str, ...] = ()
    """What its measures are grouped by: the report's dimensions, plus its grain's."""


@dataclass(frozen=True)
class Plan:
    kpis: tuple[PlannedKpi, ...]
    queries: Mapping[str, tuple[BoundMeasure, ...]]
    """Fact table → its distinct measures, each computed once however many KPIs use it."""
    grained: Mapping[tuple[str, ...], Mapping[str, tuple[BoundMeasure, ...]]] = field(
        default_factory=dict
    )
    """The same for KPIs with a grain: finer dimensions → fact table → measures."""

    @property
    def needs_period_hours(self) -> bool:
        return any(planned.spec.uses_period_hours for planned in self.kpis)

    @property
    def needs_centre_values(self) -> bool:
        return any(planned.spec.uses_centre_values for planned in self.kpis)


def plan_report(registry: KpiRegistry, request: ReportRequest) -> Plan:
    """Check ``request`` against the registry and group its measures by fact table."""
    _check_request(request)
    planned = [
        _plan_kpi(registry, selection, request.group_by) for selection in request.selections()
    ]
    keys = [p.column.key for p in planned]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise InvalidKpi(
            f"kpis: {', '.join(duplicates)} asked for twice with the same variant and parameters; expected each once"
        )
    queries: dict[tuple[str, ...], dict[str, dict[BoundMeasure, None]]] = {}
    for kpi in planned:
        facts = queries.setdefault(kpi.dimensions, {})
        for measure in kpi.measures.values():
            facts.setdefault(measure.fact, {})[measure] = None  # a dict keeps first-seen order
    by_dimensions = {
        dimensions: {fact: tuple(measures) for fact, measures in facts.items()}
        for dimensions, facts in queries.items()
    }
    plain = by_dimensions.pop(request.group_by, {})
    return Plan(tuple(planned), plain, by_dimensions)


def _check_request(request: ReportRequest) -> None:
    if request.date_from > request.date_to:
        raise InvalidKpi(
            f"date_to = {request.date_to} is before date_from = {request.date_from}; expected from ≤ to"
        )
    for name in request.group_by:
        if name not in DIMENSIONS:
            raise InvalidKpi(f"group_by = {name!r}; expected one of {', '.join(DIMENSIONS)}")
    if len(set(request.group_by)) != len(request.group_by):
        raise InvalidKpi(
            f"group_by = {request.group_by!r} names a dimension twice; expected each once"
        )
    if not request.kpis:
        raise InvalidKpi("kpis = (); expected at least one KPI id")


def _plan_kpi(
    registry: KpiRegistry, selection: KpiSelection, group_by: tuple[str, ...]
) -> PlannedKpi:
    spec = registry.get(selection.kpi).variant(selection.variant)
    parameters = _parameters(spec, selection.parameters)
    for fact in spec.facts:
        missing = [name for name in group_by if name not in FACT_TABLES[fact].dimensions]
        if missing:
            raise InvalidKpi(
                f"group_by = {missing[0]!r} is not available for KPI {spec.kpi.id!r}: it reads {fact}, "
                f"which can be grouped by {', '.join(FACT_TABLES[fact].dimensions)}"
            )
    column = _column(spec, selection, parameters)
    extra = tuple(d for d in spec.grain.dimensions if d not in group_by) if spec.grain else ()
    return PlannedKpi(
        column,
        spec,
        {name: bind(m, parameters) for name, m in spec.measures.items()},
        group_by + extra,
    )


def _parameters(spec: VariantSpec, overrides: Mapping[str, float]) -> dict[str, float]:
    declared = {p.name: p for p in spec.kpi.parameters}
    for name, value in overrides.items():
        if name not in spec.defaults:
            used = ", ".join(spec.defaults) or "none"
            raise InvalidKpi(
                f"parameter {name!r} does not apply to KPI {spec.kpi.id!r} variant {spec.name!r}; "
                f"its parameters: {used}"
            )
        check_parameter_value(declared[name], value, f"KPI {spec.kpi.id!r} parameter {name}")
    return {**spec.defaults, **overrides}


def _column(spec: VariantSpec, selection: KpiSelection, parameters: dict[str, float]) -> KpiColumn:
    kpi = spec.kpi
    key = kpi.id if spec.name == kpi.default_variant else f"{kpi.id}:{spec.name}"
    settings = [f"{name}={selection.parameters[name]:g}" for name in sorted(selection.parameters)]
    if selection.target is not None:
        settings.append(f"target={selection.target:g}")
    if settings:
        key += f"({','.join(settings)})"
    target = selection.target if selection.target is not None else kpi.target
    return KpiColumn(
        key,
        kpi.id,
        kpi.title,
        spec.unit,
        spec.name,
        parameters,
        spec.higher_is_better,
        target,
        kpi.min_sample,
    )
