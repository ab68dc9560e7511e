"""KPI values as the dashboard shows them: rounded text, unit suffixes and target states."""

from __future__ import annotations

from ..kpi.docs import number
from ..kpi.report import KpiColumn, KpiValue

NO_DATA = "–"
# the CLI's roundings (cli/report_formats.py), with thousands separators for reading at a glance
DECIMALS = {"s": 1, "%": 1, "n": 0, "per_hour": 2, "per_day": 2, "ratio": 2}
UNIT_SUFFIX = {"%": " %", "s": " s", "per_hour": " /h", "per_day": " /day", "n": "", "ratio": ""}


def value_text(value: float | None, unit: str) -> str:
    """``value`` rounded for its unit, with its suffix; a dash without a value."""
    if value is None:
        return NO_DATA
    decimals = DECIMALS.get(unit, 2)
    if unit == "n" and value != int(value):
        decimals = 2  # a mean count, such as breaks per agent-day
    return f"{value:,.{decimals}f}" + UNIT_SUFFIX.get(unit, f" {unit}")


def state(value: KpiValue) -> str:
    """CSS state of a value: ``met`` (green), ``missed`` (red), ``thin`` (sample too small),
    ``nodata`` or ``plain`` (no target or no direction)."""
    if not value.enough_sample and value.n > 0:
        return "thin"  # survey KPIs withhold a value below their minimum sample
    if value.value is None:
        return "nodata"
    return {True: "met", False: "missed"}.get(value.met, "plain")


def target_text(column: KpiColumn) -> str:
    """``target ≥ 80 %`` for a KPI with a target and a direction, else ''."""
    if column.target is None:
        return ""
    comparison = {True: "≥ ", False: "≤ ", None: ""}[column.higher_is_better]
    return f"target {comparison}{number(column.target)}{UNIT_SUFFIX.get(column.unit, ' ' + column.unit)}"


def sort_value(value: KpiValue) -> str:
    """The raw number for client-side sorting ('' sorts last)."""
    return "" if value.value is None else repr(round(value.value, 6))
