"""Building a :class:`ReportRequest` from text, the way ``callkpi report`` and
``GET /v1/reports.csv`` take it: ``aht,service_level``, ``queue,date``, ``KPI=VARIANT``,
``KPI.NAME=VALUE``.

Both front ends share these rules so that the same words ask for the same report; only
what they call each part differs (``--variant`` on the command line, ``variant`` in a query
string), which :class:`FieldNames` supplies. Every mistake is a :class:`RequestError`
naming the part, the value and what was expected.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .facts import DIMENSIONS, FACT_TABLES
from .named_periods import DEFAULT_PERIOD, Period, UnknownPeriod, resolve_period
from .registry import KpiRegistry, RegisteredKpi
from .report import KpiSelection
from .validation import InvalidKpi


class RequestError(InvalidKpi):
    """A bad part of a report request; ``field`` is its name without prefix (``variant``)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FieldNames:
    """How the caller spells a part of the request: ``--by`` for the CLI, ``by`` for the API."""

    prefix: str = ""
    spelled: tuple[tuple[str, str], ...] = ()
    """Fields the caller names otherwise, e.g. ``("from", "date_from")`` in a JSON body."""

    def __call__(self, field: str) -> str:
        return self.prefix + dict(self.spelled).get(field, field)


def close_match(value: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, else nothing."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_choice(names: FieldNames, field: str, value: str, choices: Iterable[str]) -> None:
    """``value`` must be one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise RequestError(
            field,
            f"{names(field)} = {value!r}: expected one of {', '.join(choices)}{close_match(value, choices)}",
        )


def parse_date(names: FieldNames, field: str, text: str) -> date:
    """``YYYY-MM-DD`` as a date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RequestError(field, f"{names(field)} = {text!r}: not a date; expected YYYY-MM-DD") from None


def choose_period(
    names: FieldNames,
    period: str | None,
    date_from: date | None,
    date_to: date | None,
    zone: ZoneInfo,
    now: datetime,
) -> Period:
    """The dates asked for: a named ``period`` in ``zone`` at ``now``, or ``from``…``to``
    (``to`` defaults to ``from``); neither: :data:`DEFAULT_PERIOD`. Both is a mistake."""
    if period is not None and (date_from is not None or date_to is not None):
        raise RequestError(
            "period",
            f"{names('period')} = {period!r} with {names('from')}/{names('to')}: expected "
            f"either a named period or dates, not both",
        )
    if date_from is None:
        if date_to is not None:
            raise RequestError("date_from", f"{names('from')}: missing; expected it with {names('to')}")
        try:
            return resolve_period(period or DEFAULT_PERIOD, zone, now)
        except UnknownPeriod as exc:
            raise RequestError("period", f"{names('period')} = {exc}") from None
    return date_from, date_to or date_from


def parse_dimensions(names: FieldNames, text: str) -> tuple[str, ...]:
    """``queue,date`` as the dimensions to group by."""
    dimensions = tuple(split_list([text]))
    for name in dimensions:
        check_choice(names, "by", name, DIMENSIONS)
    return dimensions


def split_list(values: Iterable[str]) -> list[str]:
    """Comma-separated items of every value, stripped, empty ones dropped."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def find_kpi(registry: KpiRegistry, kpi_id: str) -> RegisteredKpi:
    """The KPI ``kpi_id``, or an error naming the closest installed id."""
    try:
        return registry.get(kpi_id)
    except InvalidKpi as exc:
        raise RequestError("kpi", str(exc)) from None


def named_kpi_ids(registry: KpiRegistry, named: Iterable[str]) -> list[str]:
    """The KPIs named (``aht,service_level`` …), each once, in the order named."""
    return list(dict.fromkeys(find_kpi(registry, kpi_id).kpi.id for kpi_id in split_list(named)))


def groupable(registered: RegisteredKpi, group_by: tuple[str, ...]) -> bool:
    """Whether every fact table of the KPI's default variant has every dimension of ``group_by``,
    and none is one the KPI is ``not_by``."""
    if set(group_by) & set(registered.kpi.not_by):
        return False
    return all(set(group_by) <= set(FACT_TABLES[fact].dimensions) for fact in registered.default.facts)


def parse_pair(names: FieldNames, field: str, text: str, separator: str) -> tuple[str, str]:
    """``left<separator>right``, both parts non-empty."""
    left, found, right = text.partition(separator)
    if not found or not left or not right:
        shape = "KPI=VARIANT" if field == "variant" else "KPI.NAME=VALUE"
        raise RequestError(field, f"{names(field)} = {text!r}: expected {shape}")
    return left.strip(), right.strip()


def build_selections(
    registry: KpiRegistry,
    kpi_ids: list[str],
    variants: list[str],
    params: list[str],
    names: FieldNames = FieldNames(),
) -> list[KpiSelection]:
    """One selection per KPI and variant asked for, each with the parameters that apply to it."""
    chosen = _variants(registry, variants, kpi_ids, names)
    overrides = _parameters(registry, params, kpi_ids, names)
    selections = [
        _selection(registry, kpi_id, name, overrides.get(kpi_id, {}))
        for kpi_id in kpi_ids
        for name in chosen.get(kpi_id, [None])
    ]
    _check_parameters_used(registry, overrides, selections, names)
    return selections


def _variants(registry: KpiRegistry, texts: list[str], kpi_ids: list[str], names: FieldNames) -> dict[str, list]:
    chosen: dict[str, list] = {}
    for text in texts:
        kpi_id, name = parse_pair(names, "variant", text, "=")
        known = _reported_kpi(registry, names, "variant", text, kpi_id, kpi_ids).variants
        if name not in known:
            raise RequestError(
                "variant",
                f"{names('variant')} = {text!r}: KPI {kpi_id!r} has no variant {name!r}"
                f"{close_match(name, known)}; expected one of {', '.join(known)}",
            )
        chosen.setdefault(kpi_id, []).append(name)
    return chosen


def _reported_kpi(
    registry: KpiRegistry, names: FieldNames, field: str, text: str, kpi_id: str, kpi_ids: list[str]
) -> RegisteredKpi:
    registered = find_kpi(registry, kpi_id)
    if kpi_id not in kpi_ids:
        raise RequestError(
            field,
            f"{names(field)} = {text!r}: KPI {kpi_id!r} is not in this report; expected one of "
            f"{', '.join(kpi_ids)}, or name it in {names('kpi')}",
        )
    return registered


def _parameters(
    registry: KpiRegistry, texts: list[str], kpi_ids: list[str], names: FieldNames
) -> dict[str, dict[str, float]]:
    overrides: dict[str, dict[str, float]] = {}
    for text in texts:
        name, raw = parse_pair(names, "param", text, "=")
        kpi_id, dot, parameter = name.partition(".")
        if not dot or not parameter:
            raise RequestError("param", f"{names('param')} = {text!r}: expected KPI.NAME=VALUE")
        _reported_kpi(registry, names, "param", text, kpi_id, kpi_ids)
        try:
            overrides.setdefault(kpi_id, {})[parameter] = float(raw)
        except ValueError:
            raise RequestError(
                "param", f"{names('param')} = {text!r}: {raw!r} is not a number; expected KPI.NAME=NUMBER"
            ) from None
    return overrides


def _selection(
    registry: KpiRegistry, kpi_id: str, variant: str | None, overrides: dict[str, float]
) -> KpiSelection:
    applies = registry.get(kpi_id).variant(variant).defaults
    return KpiSelection(kpi_id, variant, {k: v for k, v in overrides.items() if k in applies})


def _check_parameters_used(
    registry: KpiRegistry,
    overrides: dict[str, dict[str, float]],
    selections: list[KpiSelection],
    names: FieldNames,
) -> None:
    for kpi_id, values in overrides.items():
        mine = [s for s in selections if s.kpi == kpi_id]
        used = {name for selection in mine for name in selection.parameters}
        known = {n for s in mine for n in registry.get(kpi_id).variant(s.variant).defaults}
        for name in values:
            if name not in used:
                raise RequestError(
                    "param",
                    f"{names('param')} {kpi_id}.{name}: KPI {kpi_id!r} (as reported) has no parameter "
                    f"{name!r}{close_match(name, known)}; its parameters: {', '.join(sorted(known)) or 'none'}",
                )


def enabled_kpi_ids(registry: KpiRegistry, enabled: list[str] | None) -> list[str]:
    """The installed KPIs a centre reports by default (``enabled``: its ``enabled_kpis``,
    ``None`` for every one), in catalogue order."""
    return [r.kpi.id for r in registry if enabled is None or r.kpi.id in enabled]
