"""The dashboard page's content for one view: KPI tiles and trend charts.

Tables and the heat map live in :mod:`.tables` and :mod:`.heatmap`; this module puts
the page together (:func:`dashboard_view`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..kpi import KpiColumn, KpiRegistry, KpiSelection, KpiValue, Report
from ..store.centres import CentreConfig
from ..store.db import Store
from .charts import Chart
from .display import state, target_text, value_text
from .heatmap import HeatMap, service_level_heat_map
from .queries import usable_kpis, view_report
from .query import DashboardQuery
from .tables import KpiTable, agent_table, queue_table

TILE_KPIS = ("offered", "answered", "service_level", "asa", "abandon_rate", "aht", "occupancy", "longest_wait")
TREND_KPIS = (("offered", "bar"), ("service_level", "line"))
INTERVAL_DIMENSION = "interval30"
INTERVAL_MINUTES = 30


@dataclass(frozen=True)
class Tile:
    """One KPI's headline value; ``state`` is met, missed, thin, nodata or plain (see :func:`.display.state`)."""

    kpi: str
    title: str
    value: str
    variant: str
    target: str
    state: str
    n: float
    note: str | None = None


@dataclass(frozen=True)
class DashboardView:
    """Everything the dashboard page shows for one query."""

    query: DashboardQuery
    tiles: list[Tile]
    charts: list[Chart]
    heat_map: HeatMap | None
    tables: list[KpiTable] = field(default_factory=list)


def dashboard_view(
    store: Store, registry: KpiRegistry, query: DashboardQuery, config: CentreConfig | None
) -> DashboardView:
    """Tiles, trend charts, heat map and per-queue and per-agent tables of ``query``."""
    return DashboardView(
        query,
        kpi_tiles(store, registry, query, config, TILE_KPIS),
        trend_charts(store, registry, query, config),
        service_level_heat_map(store, registry, query, config),
        [queue_table(store, registry, query, config), agent_table(store, registry, query, config)],
    )


def kpi_tiles(
    store: Store,
    registry: KpiRegistry,
    query: DashboardQuery,
    config: CentreConfig | None,
    kpis: Sequence[str | KpiSelection],
) -> list[Tile]:
    """One tile per KPI of ``kpis`` the centre enables and the filters apply to."""
    report = view_report(store, registry, query, usable_kpis(registry, kpis, config, query.filters))
    return tiles_of(report) if report is not None else []


def tiles_of(report: Report) -> list[Tile]:
    """The tiles of an ungrouped report (no rows: every tile shows no data)."""
    row = report.rows[0].values if report.rows else {}
    return [_tile(column, row.get(column.key)) for column in report.columns]


def _tile(column: KpiColumn, value: KpiValue | None) -> Tile:
    if value is None:
        return Tile(column.kpi, column.title, value_text(None, column.unit), column.variant,
                    target_text(column), "nodata", 0)
    return Tile(column.kpi, column.title, value_text(value.value, column.unit), column.variant,
                target_text(column), state(value), value.n, value.note)


def trend_charts(
    store: Store, registry: KpiRegistry, query: DashboardQuery, config: CentreConfig | None
) -> list[Chart]:
    """Contacts offered and service level per half hour of the day and per date of the period."""
    charts = []
    for dimension, slots, labels in (
        (INTERVAL_DIMENSION, _interval_slots, _interval_label),
        ("date", lambda found: _date_slots(query), date.isoformat),
    ):
        charts += _charts_by(store, registry, query, config, dimension, slots, labels)
    return charts


def _charts_by(
    store: Store,
    registry: KpiRegistry,
    query: DashboardQuery,
    config: CentreConfig | None,
    dimension: str,
    slots: Callable[[list[Any]], list[Any]],
    label: Callable[[Any], str],
) -> list[Chart]:
    """The trend KPIs grouped by ``dimension``: one chart each over ``slots`` (the keys found → the x axis)."""
    wanted = [kpi for kpi, _ in TREND_KPIS]
    report = view_report(
        store, registry, query, usable_kpis(registry, wanted, config, {dimension, *query.filters}), (dimension,)
    )
    if report is None:
        return []
    kinds = dict(TREND_KPIS)
    by_slot = {row.dimensions[dimension]: row.values for row in report.rows}
    keys = slots(sorted(by_slot))
    per = "half hour" if dimension == INTERVAL_DIMENSION else "day"
    return [
        Chart(
            f"{column.kpi}-by-{dimension}", f"{column.title} per {per}", column.unit, kinds[column.kpi],
            [label(key) for key in keys],
            [by_slot[key][column.key].value if key in by_slot else None for key in keys],
            column.target,
        )
        for column in report.columns
    ]


def _interval_slots(found: list[int]) -> list[int]:
    """Every half hour from the first with data to the last (gaps show as gaps)."""
    return list(range(found[0], found[-1] + 1, INTERVAL_MINUTES)) if found else []


def _interval_label(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _date_slots(query: DashboardQuery) -> list[date]:
    days = (query.date_to - query.date_from).days + 1
    return [query.date_from + timedelta(days=offset) for offset in range(days)]
