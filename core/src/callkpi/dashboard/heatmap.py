"""Service level by weekday × hour of the period, coloured against the centre's target:
the grid that shows the bad Tuesday mornings."""

from __future__ import annotations

from dataclasses import dataclass

from ..kpi import KpiRegistry
from ..store.centres import CentreConfig
from ..store.db import Store
from .display import value_text
from .queries import usable_kpis, view_report
from .query import DashboardQuery

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # ISO 1..7
HOURS = tuple(range(24))
EMPTY_COLOUR = "#eceff3"
# how far below the target a cell turns fully red, in percentage points
RED_AT_POINTS_BELOW = 30.0


@dataclass(frozen=True)
class HeatCell:
    hour: int
    value: float | None
    text: str
    colour: str


@dataclass(frozen=True)
class HeatMap:
    """Rows Monday to Sunday, 24 hour cells each; ``target`` the service-level target (if any)."""

    title: str
    target: float | None
    rows: list[tuple[str, list[HeatCell]]]


def cell_colour(value: float | None, target: float | None) -> str:
    """Green at or above the target (darker the further above), orange to red below it;
    without a target, a red-to-green scale over 0–100 %."""
    if value is None:
        return EMPTY_COLOUR
    if target is None:
        return f"hsl({120 * _clamp(value / 100):.0f}, 60%, 50%)"
    if value >= target:
        lightness = 62 - 20 * _clamp((value - target) / max(100 - target, 1))
        return f"hsl(130, 50%, {lightness:.0f}%)"
    return f"hsl({40 * _clamp(1 - (target - value) / RED_AT_POINTS_BELOW):.0f}, 75%, 55%)"


def _clamp(fraction: float) -> float:
    return min(max(fraction, 0.0), 1.0)


def service_level_heat_map(
    store: Store, registry: KpiRegistry, query: DashboardQuery, config: CentreConfig | None
) -> HeatMap | None:
    """The heat map of ``query``; ``None`` when the centre does not report service level."""
    dimensions = ("weekday", "hour")
    selections = usable_kpis(registry, ["service_level"], config, {*dimensions, *query.filters})
    report = view_report(store, registry, query, selections, dimensions)
    if report is None:
        return None
    (column,) = report.columns
    values = {(row.dimensions["weekday"], row.dimensions["hour"]): row[column.key] for row in report.rows}
    rows = [
        (name, [_cell(values.get((weekday, hour)), hour, column.target, column.unit) for hour in HOURS])
        for weekday, name in enumerate(WEEKDAYS, start=1)
    ]
    return HeatMap(f"{column.title} by weekday and hour", column.target, rows)


def _cell(value: float | None, hour: int, target: float | None, unit: str) -> HeatCell:
    return HeatCell(hour, value, value_text(value, unit), cell_colour(value, target))
