"""Checking a KPI declaration at registration, so a broken plugin fails there and not mid-report.

Every message names the plugin, the KPI, the field, the value and the fix. The formula
is a Python callable, so it is *probed*: called with every measure at 1, and with every
measure empty (counts and sums 0, minima and maxima ``None``), while recording which
measures and parameters it reads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .facts import DIMENSIONS, FACT_TABLES
from .model import (
    AGGREGATES,
    CENTRE_VALUES,
    OPERATORS,
    PERIOD_END_EPOCH,
    PERIOD_HOURS,
    UNITS,
    Kpi,
    Measure,
    NoValue,
    Param,
    Parameter,
)
from .variants import VariantSpec, filter_params, merged, used

KPI_ID = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class InvalidKpi(ValueError):
    """A KPI declaration (or a request for one) that cannot be computed; the message says why and how to fix it."""


@dataclass
class _Recorder(Mapping[str, Any]):
    """A read-only mapping that remembers every key asked for, known or not."""

    values: Mapping[str, Any]
    asked: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        if key not in self.values:
            self.unknown.add(key)
            raise KeyError(key)
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self.values else self._missing(key, default)

    def _missing(self, key: str, default: Any) -> Any:
        self.asked.add(key)
        self.unknown.add(key)
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def validate(kpi: Kpi, plugin: str) -> dict[str, VariantSpec]:
    """Check ``kpi`` and return its variants by name, or raise :class:`InvalidKpi`."""
    if not isinstance(kpi, Kpi):
        raise InvalidKpi(f"plugin {plugin!r} registered {kpi!r}; expected a callkpi.kpi.Kpi")
    where = f"plugin {plugin!r}, KPI {kpi.id!r}"
    _check_header(kpi, where)
    _check_parameters(kpi.parameters, where)
    names = [kpi.default_variant, *(v.name for v in kpi.variants)]
    _unique(names, f"{where}: variant", "rename one")
    specs = [merged(kpi, None), *(merged(kpi, v) for v in kpi.variants)]
    return {spec.name: _checked_variant(spec, where) for spec in specs}


def _fail(where: str, message: str) -> InvalidKpi:
    return InvalidKpi(f"{where}: {message}")


def _check_header(kpi: Kpi, where: str) -> None:
    checks = [
        (
            KPI_ID.match(kpi.id or ""),
            f"id = {kpi.id!r}; expected lower-case letters, digits and '_', starting with a letter",
        ),
        (kpi.unit in UNITS, f"unit = {kpi.unit!r}; expected one of {', '.join(UNITS)}"),
        (kpi.fact in FACT_TABLES, f"fact = {kpi.fact!r}; expected one of {', '.join(FACT_TABLES)}"),
        (
            kpi.higher_is_better in (True, False, None),
            f"higher_is_better = {kpi.higher_is_better!r}; expected True, False or None",
        ),
        (
            callable(kpi.formula),
            f"formula = {kpi.formula!r}; expected a callable (measures, parameters) -> number or None",
        ),
        (bool(kpi.measures), "measures = (); expected at least one Measure"),
        (
            isinstance(kpi.min_sample, int) and kpi.min_sample >= 0,
            f"min_sample = {kpi.min_sample!r}; expected a whole number ≥ 0",
        ),
        (
            kpi.target is None or _is_number(kpi.target),
            f"target = {kpi.target!r}; expected a number or None",
        ),
        (
            set(kpi.not_by) <= set(DIMENSIONS),
            f"not_by = {kpi.not_by!r}; expected dimensions among {', '.join(DIMENSIONS)}",
        ),
        (
            bool(kpi.title and kpi.definition),
            "title and definition must not be empty; expected a title and one paragraph",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise _fail(where, message)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _unique(names: list[str], what: str, fix: str) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise InvalidKpi(f"{what} {name!r} is declared twice; {fix}")
        seen.add(name)


def _check_parameters(parameters: tuple[Parameter, ...], where: str) -> None:
    _unique([p.name for p in parameters], f"{where}: parameter", "remove one")
    for parameter in parameters:
        if not NAME.match(parameter.name):
            raise _fail(
                where,
                f"parameter name {parameter.name!r}; expected lower-case letters, digits and '_'",
            )
        check_parameter_value(
            parameter, parameter.default, f"{where}: parameter {parameter.name} default"
        )


def check_parameter_value(parameter: Parameter, value: Any, what: str) -> float:
    """Return ``value`` if it is a valid value of ``parameter``, else raise naming ``what``."""
    if not _is_number(value) or value < parameter.minimum:
        raise InvalidKpi(f"{what} = {value!r}; expected a number ≥ {parameter.minimum:g}")
    return value


def _checked_variant(spec: VariantSpec, where: str) -> VariantSpec:
    where = f"{where}, variant {spec.name!r}"
    if spec.target is not None and not _is_number(spec.target):
        raise _fail(where, f"target = {spec.target!r}; expected a number, None or INHERIT")
    declared = {p.name: p for p in spec.kpi.parameters}
    for name, value in spec.defaults.items():
        if name not in declared:
            raise _fail(
                where,
                f"parameters sets {name!r}, which the KPI does not declare; declared: {_names(declared)}",
            )
        check_parameter_value(declared[name], value, f"{where}: parameter {name}")
    if spec.unit not in UNITS:
        raise _fail(where, f"unit = {spec.unit!r}; expected one of {', '.join(UNITS)}")
    _unique([m.name for m in spec.measures.values()], f"{where}: measure", "rename one")
    for measure in spec.measures.values():
        _check_measure(measure, declared, f"{where}, measure {measure.name!r}")
    if not spec.sample or not set(spec.sample) <= set(spec.measures):
        raise _fail(
            where,
            f"sample = {spec.sample!r}; expected names of its measures ({_names(spec.measures)})",
        )
    if spec.higher_is_better not in (True, False, None):
        raise _fail(
            where, f"higher_is_better = {spec.higher_is_better!r}; expected True, False or None"
        )
    _check_grain(spec, where)
    measures_read, params_read = _probe(spec, where)
    return used(spec, measures_read, params_read)


def _names(items: Mapping[str, Any]) -> str:
    return ", ".join(sorted(items)) or "none"


def _check_measure(measure: Measure, parameters: Mapping[str, Parameter], where: str) -> None:
    specials = (PERIOD_HOURS, PERIOD_END_EPOCH, *CENTRE_VALUES)
    if not NAME.match(measure.name) or measure.name in specials:
        reserved = ", ".join(repr(name) for name in specials)
        raise _fail(
            where,
            f"name {measure.name!r}; expected lower-case letters, digits and '_' (not {reserved})",
        )
    if measure.aggregate not in AGGREGATES:
        raise _fail(
            where, f"aggregate = {measure.aggregate!r}; expected one of {', '.join(AGGREGATES)}"
        )
    if measure.fact not in FACT_TABLES:
        raise _fail(where, f"fact = {measure.fact!r}; expected one of {', '.join(FACT_TABLES)}")
    if measure.aggregate != "count" and not measure.columns:
        raise _fail(where, f"a {measure.aggregate} needs a column; expected column='…'")
    for column in measure.columns:
        _check_column(column, measure.fact, where)
    for condition in measure.filter:
        _check_condition(condition, measure.fact, parameters, where)


def _check_column(column: Any, fact: str, where: str) -> None:
    if column not in FACT_TABLES[fact].columns:
        known = ", ".join(sorted(FACT_TABLES[fact].columns))
        raise _fail(where, f"column {column!r} is not a column of {fact}; expected one of {known}")


def _check_condition(
    condition: Any, fact: str, parameters: Mapping[str, Parameter], where: str
) -> None:
    if not isinstance(condition, tuple) or len(condition) not in (2, 3):
        raise _fail(
            where,
            f"filter condition {condition!r}; expected (column, operator, value) or (column, 'is null'/'not null')",
        )
    _check_column(condition[0], fact, where)
    operator, has_value = condition[1], len(condition) == 3
    if operator not in OPERATORS or has_value == (operator in ("is null", "not null")):
        raise _fail(
            where,
            f"filter {condition!r}: operator {operator!r}; expected one of {', '.join(OPERATORS)}, "
            "with a value except for 'is null' and 'not null'",
        )
    value = condition[2] if has_value else None
    if operator in ("in", "not in") and not isinstance(value, tuple | list | frozenset):
        raise _fail(where, f"filter {condition!r}: {operator!r} needs a tuple of values")
    if isinstance(value, Param) and value.name not in parameters:
        raise _fail(
            where,
            f"filter {condition!r} names parameter {value.name!r}, which the KPI does not declare; "
            f"declared: {_names(parameters)} (add Parameter({value.name!r}, default))",
        )


def _probe(spec: VariantSpec, where: str) -> tuple[set[str], set[str]]:
    """Call the formula and the details on full and on empty data; return the measures and
    parameters they read."""
    full = {name: 1.0 for name in spec.measures} | {PERIOD_HOURS: 1.0}
    full |= dict.fromkeys((*CENTRE_VALUES, PERIOD_END_EPOCH), 1.0)
    empty = {
        name: None if m.aggregate in ("min", "max") else 0 for name, m in spec.measures.items()
    } | {PERIOD_HOURS: 0.0}
    empty |= dict.fromkeys(CENTRE_VALUES, None) | {PERIOD_END_EPOCH: 0.0}
    formulas = {"formula": spec.formula} | {f"details[{k!r}]": f for k, f in spec.details.items()}
    measures_read, params_read = set(), set()
    for label, values in (
        ("every measure 1", full),
        ("no data (counts and sums 0, min/max None)", empty),
    ):
        if spec.grain is not None:
            params_read |= _probe_parts(spec, values, label, where)
            values = values | dict.fromkeys(spec.grain.names, 1.0 if values is full else 0)
        for name, formula in formulas.items():
            measures, params = _Recorder(values), _Recorder(dict(spec.defaults))
            result = _call(formula, name, spec, measures, params, label, where)
            if result is not None and not _is_number(result):
                raise _fail(
                    where, f"{name} returned {result!r} with {label}; expected a number or None"
                )
            measures_read |= measures.asked
            params_read |= params.asked
    return measures_read, params_read | set(filter_params(spec.measures))


def _call(
    formula: Any,
    name: str,
    spec: VariantSpec,
    measures: _Recorder,
    params: _Recorder,
    label: str,
    where: str,
) -> Any:
    try:
        return formula(measures, params)
    except NoValue:
        return None
    except Exception as exc:
        raise _probe_error(spec, measures, params, label, exc, where, name) from None


def _probe_parts(spec: VariantSpec, values: dict[str, Any], label: str, where: str) -> set[str]:
    """Call the grain's parts on one fine group equal to its row; check what comes back."""
    grain = spec.grain
    assert grain is not None
    measures = {name: values[name] for name in spec.measures}
    params = _Recorder(dict(spec.defaults))
    try:
        parts = grain.parts(measures, measures, params)
    except Exception as exc:
        raise _fail(
            where, f"grain parts raised {type(exc).__name__}: {exc} with {label}"
        ) from None
    unknown = sorted(set(parts) - set(grain.names)) if isinstance(parts, Mapping) else None
    if unknown is None or unknown:
        raise _fail(
            where,
            f"grain parts returned {parts!r} with {label}; expected a mapping with keys among "
            f"{', '.join(grain.names)}",
        )
    bad = {k: v for k, v in parts.items() if v is not None and not _is_number(v)}
    if bad:
        raise _fail(where, f"grain parts returned {bad!r} with {label}; expected numbers or None")
    return params.asked


def _check_grain(spec: VariantSpec, where: str) -> None:
    grain = spec.grain
    if grain is None:
        return
    for name in grain.dimensions:
        missing = [f for f in spec.facts if name not in FACT_TABLES[f].dimensions]
        if missing:
            raise _fail(
                where,
                f"grain dimension {name!r} is not a dimension of {missing[0]}; expected among "
                f"{', '.join(FACT_TABLES[missing[0]].dimensions)}",
            )
    for measure in spec.measures.values():
        if measure.aggregate == "count_distinct":
            raise _fail(
                where,
                f"measure {measure.name!r} is a count_distinct, which does not add up over a "
                "grain's fine groups; expected count, sum, min or max",
            )
    _unique(list(grain.names), f"{where}: grain part", "rename one")
    clash = sorted(set(grain.names) & set(spec.measures))
    if clash:
        raise _fail(where, f"grain part {clash[0]!r} has a measure's name; rename one")


def _probe_error(
    spec: VariantSpec,
    measures: _Recorder,
    params: _Recorder,
    label: str,
    exc: Exception,
    where: str,
    name: str = "formula",
) -> InvalidKpi:
    if measures.unknown:
        unknown = sorted(measures.unknown)[0]
        return _fail(
            where,
            f"{name} reads measure {unknown!r}, which is not declared; declared: "
            f"{_names(spec.measures)} (add Measure({unknown!r}, …) or fix the name)",
        )
    if params.unknown:
        unknown = sorted(params.unknown)[0]
        return _fail(
            where,
            f"{name} reads parameter {unknown!r}, which is not declared; declared: {_names(spec.defaults)}",
        )
    return _fail(
        where,
        f"{name} raised {type(exc).__name__}: {exc} with {label}; expected a number or None "
        "(use callkpi.kpi.divide/percent: a zero denominator is None, no data)",
    )
