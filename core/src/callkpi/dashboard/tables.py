"""KPI tables: per queue and per agent on the dashboard (sortable, exportable to CSV), and
any grouped report in the self-contained HTML file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..kpi import KpiRegistry, KpiValue, Report
from ..store.centres import CentreConfig
from ..store.db import Store
from .display import sort_value, state, value_text
from .queries import agent_names, usable_kpis, view_report
from .query import DashboardQuery

TABLE_KPIS = {
    "queues": ("queue", ("offered", "answered", "service_level", "asa", "abandon_rate", "aht")),
    "agents": ("agent", ("answered", "aht", "avg_talk_time", "avg_hold_time", "avg_acw", "transfer_rate",
                         "occupancy")),
}
TITLES = {"queues": "Queues", "agents": "Agents"}


@dataclass(frozen=True)
class Cell:
    text: str
    sort: str
    state: str
    note: str = ""
    """How much of the value is agents' still-open time (``callkpi.kpi.open_time``), as a tooltip."""


@dataclass(frozen=True)
class KpiTable:
    """Rows of a report: ``dimension`` heads the label column, ``headers`` are (title, unit) per KPI."""

    name: str
    title: str
    dimension: str
    headers: list[tuple[str, str]]
    rows: list[tuple[str, list[Cell]]]


def table_report(
    store: Store, registry: KpiRegistry, query: DashboardQuery, config: CentreConfig | None, name: str
) -> Report | None:
    """The report behind table ``name`` (``queues`` or ``agents``)."""
    dimension, kpis = TABLE_KPIS[name]
    selections = usable_kpis(registry, kpis, config, {dimension, *query.filters})
    return view_report(store, registry, query, selections, (dimension,))


def queue_table(
    store: Store, registry: KpiRegistry, query: DashboardQuery, config: CentreConfig | None
) -> KpiTable:
    """KPIs per queue."""
    return report_table("queues", TITLES["queues"], table_report(store, registry, query, config, "queues"))


def agent_table(
    store: Store, registry: KpiRegistry, query: DashboardQuery, config: CentreConfig | None
) -> KpiTable:
    """KPIs per agent, agents shown by name where the agent dimension knows it."""
    report = table_report(store, registry, query, config, "agents")
    names = agent_names(store, query.centre) if query.centre else {}
    return report_table("agents", TITLES["agents"], report, {"agent": names})


def report_table(
    name: str, title: str, report: Report | None, labels: dict[str, dict[str, str]] | None = None
) -> KpiTable:
    """``report`` as a table, one row per group; ``labels`` maps a dimension's values to display text."""
    if report is None:
        return KpiTable(name, title, "", [], [])
    group_by = report.request.group_by
    headers = [(column.title, column.unit) for column in report.columns]
    rows = [
        (
            " · ".join(_label(row.dimensions[d], (labels or {}).get(d, {})) for d in group_by),
            [Cell(value_text(v.value, v.unit), sort_value(v), state(v), _open_note(v))
             for v in (row.values[column.key] for column in report.columns)],
        )
        for row in report.rows
    ]
    return KpiTable(name, title, " · ".join(group_by), headers, rows)


def _open_note(value: KpiValue) -> str:
    return (value.note or "") if value.details.get("open_s") else ""


def _label(value: Any, labels: dict[str, str]) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, date):
        return value.isoformat()
    return labels.get(value, str(value))


def table_csv(report: Report | None, dimension: str) -> str:
    """A table's report as CSV: the dimension, then ``title [unit]`` per KPI; raw numbers, empty for no data."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = report.columns if report is not None else ()
    writer.writerow([dimension, *(f"{column.title} [{column.unit}]" for column in columns)])
    for row in report.rows if report is not None else ():
        values = ("" if v is None else round(v, 6) for v in (row.values[c.key].value for c in columns))
        writer.writerow([_csv_dimension(row.dimensions[dimension]), *values])
    return buffer.getvalue()


def _csv_dimension(value: Any) -> str:
    """As ``callkpi report --format csv`` writes dimension values: ``(none)`` for a missing one."""
    return "(none)" if value is None else _label(value, {})
