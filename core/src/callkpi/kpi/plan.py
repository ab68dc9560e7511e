"""Planning a report: resolve each KPI selection and collect the distinct measures per fact table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .compiler import BoundMeasure, bind
from .facts import DIMENSIONS, FACT_TABLES
from .model import Measure
from .open_time import with_open_measure
from .queue_map import BY_QUEUE, MAPPED_DIMENSIONS
from .registry import KpiRegistry
from .report import FILTER_DIMENSIONS, KpiColumn, KpiSelection, ReportRequest
from .request_builder import RequestError
from .validation import InvalidKpi, check_parameter_value
from .variants import VariantSpec


@dataclass(frozen=True)
class PlannedKpi:
    """A KPI column and the bound measure behind each of its measure names."""

    column: KpiColumn
    spec: VariantSpec
    measures: Mapping[str, BoundMeasure]
    """Its measures by name; one that reads agent time also has the open-time measure
    (:mod:`.open_time`)."""
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


def plan_report(registry: KpiRegistry, request: ReportRequest, unmapped: Mapping[str, str] | None = None) -> Plan:
    """Check ``request`` against the registry and group its measures by fact table.

    ``unmapped``: team or site → why queue KPIs have no value by it (:func:`.queue_map.unmapped_reason`).

    A mistake raises :class:`RequestError` whose ``field`` is the path of the part at
    fault, as in the API's request body: ``kpis/0/variant``, ``group_by/1``, ``filters/queue``."""
    _check_request(request)
    planned = [
        _plan_kpi(registry, selection, request, f"kpis/{index}", unmapped or {})
        for index, selection in enumerate(request.selections())
    ]
    keys = [p.column.key for p in planned]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise RequestError(
            f"kpis/{keys.index(duplicates[0], keys.index(duplicates[0]) + 1)}",
            f"kpis: {', '.join(duplicates)} asked for twice with the same variant and parameters; expected each once",
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
        raise RequestError(
            "date_to",
            f"date_to = {request.date_to} is before date_from = {request.date_from}; expected from ≤ to",
        )
    for index, name in enumerate(request.group_by):
        if name not in DIMENSIONS:
            raise RequestError(f"group_by/{index}", f"group_by = {name!r}; expected one of {', '.join(DIMENSIONS)}")
        if name in request.group_by[:index]:
            raise RequestError(
                f"group_by/{index}", f"group_by = {request.group_by!r} names a dimension twice; expected each once"
            )
    if not request.kpis:
        raise RequestError("kpis", "kpis = (); expected at least one KPI id")
    for name, values in request.filters.items():
        _check_filter(name, values)


def _check_filter(name: str, values: tuple[str, ...]) -> None:
    if name not in FILTER_DIMENSIONS:
        raise RequestError(f"filters/{name}", f"filters: {name!r}; expected one of {', '.join(FILTER_DIMENSIONS)}")
    if isinstance(values, str) or not values or not all(isinstance(v, str) for v in values):
        raise RequestError(f"filters/{name}", f"filters[{name!r}] = {values!r}; expected a non-empty tuple of texts")


def _plan_kpi(
    registry: KpiRegistry, selection: KpiSelection, request: ReportRequest, where: str, unmapped: Mapping[str, str]
) -> PlannedKpi:
    spec = _variant(registry, selection, where)
    parameters = _parameters(spec, selection.parameters, where)
    group_by = request.group_by
    _check_dimensions(spec, "filters", tuple(request.filters), "filtered")
    column = _column(spec, selection, parameters)
    asked = (*group_by, *request.filters)
    reason = _unavailable(spec, group_by) or _not_by(spec, asked) or _unmapped(spec, asked, unmapped)
    if reason is not None:
        return PlannedKpi(replace(column, unavailable=reason), spec, {}, group_by)
    extra = tuple(d for d in spec.grain.dimensions if d not in group_by) if spec.grain else ()
    measures = {name: bind(m, parameters) for name, m in _by_queue(spec, asked).items()}
    if spec.grain is None:
        measures = with_open_measure(spec.facts, measures)
    return PlannedKpi(column, spec, measures, group_by + extra)


def _variant(registry: KpiRegistry, selection: KpiSelection, where: str) -> VariantSpec:
    try:
        registered = registry.get(selection.kpi)
    except InvalidKpi as exc:
        raise RequestError(f"{where}/kpi", str(exc)) from None
    try:
        return registered.variant(selection.variant)
    except InvalidKpi as exc:
        raise RequestError(f"{where}/variant", str(exc)) from None


def _check_dimensions(spec: VariantSpec, field: str, names: tuple[str, ...], verb: str) -> None:
    """Every dimension in ``names`` must be one of every fact table the KPI reads."""
    missing = _missing_dimension(spec, names, verb)
    if missing is not None:
        name, message = missing
        raise RequestError(f"{field}/{name if verb == 'filtered' else names.index(name)}", f"{field} = {message}")


def _missing_dimension(spec: VariantSpec, names: tuple[str, ...], verb: str) -> tuple[str, str] | None:
    """The first of ``names`` that a fact table of the KPI lacks, and why, or ``None``."""
    for fact in spec.facts:
        available = FACT_TABLES[fact].dimensions
        missing = [name for name in names if name not in available]
        if missing:
            if verb == "filtered":
                available = tuple(d for d in available if d in FILTER_DIMENSIONS)
            return missing[0], (
                f"{missing[0]!r} is not available for KPI {spec.kpi.id!r}: it reads {fact}, "
                f"which can be {verb} by {', '.join(available) or 'nothing'}"
            )
    return None


def _unavailable(spec: VariantSpec, group_by: tuple[str, ...]) -> str | None:
    """Why the KPI cannot be grouped as asked (its fact table lacks a dimension), or ``None``:
    a report asking for it leaves its column empty with this reason and computes the rest."""
    missing = _missing_dimension(spec, group_by, "grouped")
    return None if missing is None else f"not available by {missing[0]}: {missing[1]}"


def _not_by(spec: VariantSpec, dimensions: tuple[str, ...]) -> str | None:
    lacking = [name for name in dimensions if name in spec.kpi.not_by]
    if not lacking:
        return None
    return (
        f"not available by {lacking[0]}: KPI {spec.kpi.id!r} counts contacts that have no "
        f"{lacking[0]} (those never answered), so by {lacking[0]} it would mean something else"
    )


def _by_queue(spec: VariantSpec, asked: tuple[str, ...]) -> Mapping[str, Measure]:
    """The variant's measures, read from the facts whose team and site are their queue's when
    it is a queue KPI asked by team or site."""
    if not (spec.kpi.queue_attributed and set(asked) & set(MAPPED_DIMENSIONS)):
        return spec.measures
    return {name: replace(m, fact=BY_QUEUE.get(m.fact, m.fact)) for name, m in spec.measures.items()}


def _unmapped(spec: VariantSpec, asked: tuple[str, ...], unmapped: Mapping[str, str]) -> str | None:
    if not spec.kpi.queue_attributed:
        return None
    return next((unmapped[name] for name in asked if name in unmapped), None)


def _parameters(spec: VariantSpec, overrides: Mapping[str, float], where: str) -> dict[str, float]:
    declared = {p.name: p for p in spec.kpi.parameters}
    for name, value in overrides.items():
        if name not in spec.defaults:
            used = ", ".join(spec.defaults) or "none"
            raise RequestError(
                f"{where}/parameters/{name}",
                f"parameter {name!r} does not apply to KPI {spec.kpi.id!r} variant {spec.name!r}; "
                f"its parameters: {used}",
            )
        try:
            check_parameter_value(declared[name], value, f"KPI {spec.kpi.id!r} parameter {name}")
        except InvalidKpi as exc:
            raise RequestError(f"{where}/parameters/{name}", str(exc)) from None
    return {**spec.defaults, **overrides}


def _column(spec: VariantSpec, selection: KpiSelection, parameters: dict[str, float]) -> KpiColumn:
    kpi = spec.kpi
    key = kpi.id if spec.name == kpi.default_variant else f"{kpi.id}:{spec.name}"
    settings = [f"{name}={selection.parameters[name]:g}" for name in sorted(selection.parameters)]
    if selection.target is not None:
        settings.append(f"target={selection.target:g}")
    if settings:
        key += f"({','.join(settings)})"
    target = selection.target if selection.target is not None else spec.target
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
        spec.target_key,
    )
