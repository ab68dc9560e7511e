"""``callkpi demo``: simulate a week of a mid-size centre into a fresh store and show its KPIs.

Everything printed comes from :func:`callkpi.kpi.run_report` on the new store, exactly as
``callkpi report`` would compute it; nothing needs the network.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..kpi import ReportRequest, run_report
from ..kpi.facts import interval_label
from ..kpi.report import KpiValue, Report, ReportRow
from ..settings import Settings
from ..simulator import demo_config
from .report_formats import format_number
from .runtime import UserError, opened_store, out
from .simulate import simulate_into_store

SUMMARY_KPIS = (
    "service_level",
    "asa",
    "abandon_rate",
    "aht",
    "fcr",
    "occupancy",
    "nps",
    "csat",
    "ces",
)
UNIT_SUFFIX = {"%": " %", "s": " s"}
WORST_INTERVALS = 3
MIN_INTERVAL_OFFERED = 10
"""An interval with fewer contacts says more about chance than about staffing."""
MIN_AGENT_HANDLED = 30
AGENTS_SHOWN = 3


def demo(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", metavar="DIR", help="Where to create the demo store. [default: a new temp dir]"
        ),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=31, help="Days to simulate.")] = 7,
    agents: Annotated[int, typer.Option(min=1, max=500, help="Agents on the roster.")] = 50,
    contacts_per_day: Annotated[
        float, typer.Option(min=1, help="Contacts on an average weekday.")
    ] = 1600,
    seed: Annotated[int, typer.Option(help="Random seed of the simulation.")] = 1,
) -> None:
    """Simulate a week of a 50-agent centre (three queues, voice and chat, surveys) into a
    fresh SQLite store and print its KPIs."""
    settings = demo_settings(directory)
    first = datetime.now().astimezone().date() - timedelta(days=days)
    config = demo_config(
        first, days=days, agents=agents, contacts_per_day=contacts_per_day, seed=seed
    )
    summary, elapsed = simulate_into_store(config, settings)
    out().print(
        f"Simulated {days} days of a centre with {agents} agents from {first}: "
        f"{summary.accepted:,} events stored, {summary.quarantined} quarantined, "
        f"in {elapsed:.1f} s.",
        soft_wrap=True,
    )
    last = first + timedelta(days=days - 1)
    with opened_store(settings) as store:
        print_kpis(store, first, last)
    print_next_steps(settings, first, last)


def demo_settings(directory: Path | None) -> Settings:
    """Settings for a new store in ``directory`` (default: a new temporary directory)."""
    folder = (directory or Path(tempfile.mkdtemp(prefix="callkpi-demo-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "callkpi.db"
    if database.exists():
        raise UserError(
            f"--dir = '{folder}': already holds callkpi.db; expected a new or empty directory"
        )
    return Settings(database_url=f"sqlite:///{database}", key_file=folder / "callkpi.key")


def print_kpis(store: Any, first: date, last: date) -> None:
    """The week's KPIs, its worst intervals and its fastest and slowest agents."""
    console = out()
    console.print(summary_table(run_report(store, ReportRequest(SUMMARY_KPIS, first, last))))
    intervals = ReportRequest(
        ("service_level", "offered", "abandon_rate"), first, last, ("date", "interval15")
    )
    console.print(worst_intervals_table(run_report(store, intervals)))
    agents = ReportRequest(("aht", "csat"), first, last, ("agent",))
    console.print(agents_table(run_report(store, agents)))


def kpi_text(value: KpiValue) -> str:
    """A KPI value as the demo prints it: rounded like ``callkpi report``, with its unit."""
    if value.value is None:
        return "–"
    return format_number(value.value, value.unit) + UNIT_SUFFIX.get(value.unit, "")


def _styled(value: KpiValue) -> Text:
    style = {True: "green", False: "red"}.get(value.met, "") if value.enough_sample else "dim"
    return Text(kpi_text(value), style=style)


def summary_table(report: Report) -> Table:
    """One row per KPI: its value (green when it meets its target, red when not) and target."""
    table = Table("KPI", "value", "target", title="The week at a glance")
    row = report.rows[0] if report.rows else None
    for column in report.columns:
        value = row.values[column.key] if row else None
        target = "–" if column.target is None else _target(column.target, column.higher_is_better)
        table.add_row(column.title, _styled(value) if value else Text("–"), target)
    return table


def _target(target: float, higher_is_better: bool | None) -> str:
    return {True: "≥ ", False: "≤ ", None: ""}[higher_is_better] + f"{target:g}"


def worst_intervals(report: Report) -> list[ReportRow]:
    """The intervals with the lowest service level, among those with enough contacts."""
    busy = [
        row
        for row in report.rows
        if row["service_level"] is not None and (row["offered"] or 0) >= MIN_INTERVAL_OFFERED
    ]
    return sorted(busy, key=lambda row: row["service_level"])[:WORST_INTERVALS]


def worst_intervals_table(report: Report) -> Table:
    """The worst intervals by service level: when, how many contacts, SL and abandons."""
    table = Table(
        "date",
        "interval",
        "offered",
        "service level",
        "abandoned",
        title=f"The {WORST_INTERVALS} worst intervals by service level",
    )
    for row in worst_intervals(report):
        table.add_row(
            str(row.dimensions["date"]),
            interval_label(row.dimensions["interval15"]),
            kpi_text(row.values["offered"]),
            _styled(row.values["service_level"]),
            _styled(row.values["abandon_rate"]),
        )
    return table


def ranked_agents(report: Report) -> tuple[list[ReportRow], list[ReportRow]]:
    """The three fastest and the three slowest agents by AHT, among those who handled
    enough contacts to be compared."""
    handled = [
        row
        for row in report.rows
        if row["aht"] is not None and row.values["aht"].n >= MIN_AGENT_HANDLED
    ]
    ranked = sorted(handled, key=lambda row: row["aht"])
    shown = min(AGENTS_SHOWN, len(ranked) // 2)  # nobody is both fastest and slowest
    return ranked[:shown], ranked[::-1][:shown]


def agents_table(report: Report) -> Table:
    """Best and worst agents by AHT, with their CSAT (withheld below its minimum sample)."""
    table = Table("", "agent", "handled", "AHT", "CSAT", title="Fastest and slowest agents")
    fastest, slowest = ranked_agents(report)
    _agent_rows(table, "fastest", fastest)
    _agent_rows(table, "slowest", slowest)
    return table


def _agent_rows(table: Table, label: str, rows: Sequence[ReportRow]) -> None:
    for index, row in enumerate(rows):
        table.add_row(
            label if index == 0 else "",
            str(row.dimensions["agent"]),
            f"{row.values['aht'].n:,.0f}",
            kpi_text(row.values["aht"]),
            _styled(row.values["csat"]),
        )


def print_next_steps(settings: Settings, first: date, last: date) -> None:
    """Where the store is and the commands to go on with."""
    url = settings.database_url
    console = out()
    console.print(f"Demo store: {url}", soft_wrap=True)
    console.print("Next, try:")
    for command in (
        f"callkpi serve --database {url}",
        f"callkpi report --database {url} --from {first} --to {last} --by queue",
        f"callkpi staffing --database {url} --date {first} --queue support",
    ):
        console.print(f"  {command}", soft_wrap=True)
