"""``callkpi staffing``: one day's 15-minute intervals, the agents Erlang says were needed
beside the agents who were logged in.

All queues together are the ``required_agents`` KPI itself (Erlang C and its Erlang A
variant), grouped by ``interval15``. Agents are not assigned to queues, so for one queue
(``--queue``) the required agents come from the same Erlang maths on that queue's own
traffic, and *staffed* stays everyone logged in: the gap then says how much room the
whole floor left for that queue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..kpi import KpiSelection, ReportRequest, run_report
from ..kpi.erlang import Traffic, agents_required
from ..kpi.report import Report
from .runtime import DatabaseOption, UserError, opened_store, out, settings_for

INTERVAL_S = 900


@dataclass(frozen=True)
class IntervalStaffing:
    """One 15-minute interval: the traffic, what Erlang C and A require, who was there."""

    minute: int
    offered: float
    aht_s: float | None
    erlang_c: float | None
    erlang_a: float | None
    staffed: float

    @property
    def gap(self) -> float | None:
        """Staffed − required by Erlang C; negative is under-staffed."""
        return None if self.erlang_c is None else self.staffed - self.erlang_c


def staffing(
    day: Annotated[str, typer.Option("--date", metavar="YYYY-MM-DD", help="The local day.")],
    queue: Annotated[
        str | None, typer.Option(metavar="NAME", help="One queue. [default: all queues]")
    ] = None,
    centre: Annotated[
        str | None, typer.Option(metavar="NAME", help="One centre. [default: every centre]")
    ] = None,
    threshold_s: Annotated[
        float, typer.Option(min=0, help="Service level threshold, seconds.")
    ] = 20,
    target_percent: Annotated[
        float, typer.Option(min=0, max=99.9, help="Service level to staff for, percent.")
    ] = 80,
    database: DatabaseOption = None,
) -> None:
    """Required agents per 15-minute interval (Erlang C, and Erlang A with the measured
    patience) beside the agents staffed; under-staffed intervals in red."""
    when = _date(day)
    parameters = {"threshold_s": threshold_s, "target_percent": target_percent}
    with opened_store(settings_for(database)) as store:
        rows = staffing_rows(store, when, centre, queue, parameters)
    out().print(staffing_table(rows, when, centre, queue, parameters))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--date = {text!r}: not a date; expected YYYY-MM-DD") from None


def staffing_rows(
    store: Any, day: date, centre: str | None, queue: str | None, parameters: Mapping[str, float]
) -> list[IntervalStaffing]:
    """The day's intervals for all queues, or for ``queue``."""
    pool = _pool(store, day, centre, parameters)
    if queue is None:
        return pool
    staffed = {row.minute: row.staffed for row in pool}
    return _queue_rows(store, day, centre, queue, parameters, staffed)


def _pool(
    store: Any, day: date, centre: str | None, parameters: Mapping[str, float]
) -> list[IntervalStaffing]:
    kpis = (
        "offered",
        "aht",
        KpiSelection("required_agents", parameters=parameters),
        KpiSelection("required_agents", "erlang_a", parameters=parameters),
    )
    report = run_report(store, ReportRequest(kpis, day, day, ("interval15",), centre))
    offered, aht, erlang_c, erlang_a = (column.key for column in report.columns)
    return [
        IntervalStaffing(
            row.dimensions["interval15"],
            row[offered] or 0,
            row[aht],
            row[erlang_c],
            row[erlang_a],
            row.values[erlang_c].details.get("staffed_agents") or 0.0,
        )
        for row in report.rows
    ]


def _queue_rows(
    store: Any,
    day: date,
    centre: str | None,
    queue: str,
    parameters: Mapping[str, float],
    staffed: Mapping[int, float],
) -> list[IntervalStaffing]:
    traffic = ("offered", "aht", "avg_queue_time", "abandon_rate")
    whole_day = run_report(store, ReportRequest(traffic, day, day, ("queue",), centre))
    day_row = _queue_row(whole_day, queue, day)
    patience = _patience(day_row)
    per_interval = run_report(
        store, ReportRequest(traffic, day, day, ("queue", "interval15"), centre)
    )
    rows = []
    for row in per_interval.rows:
        if row.dimensions["queue"] != queue:
            continue
        minute, offered = row.dimensions["interval15"], row["offered"] or 0
        aht = row["aht"] or day_row["aht"]
        rows.append(
            IntervalStaffing(
                minute,
                offered,
                row["aht"],
                _required(offered, aht, parameters, math.inf),
                _required(offered, aht, parameters, patience),
                staffed.get(minute, 0.0),
            )
        )
    return rows


def _queue_row(report: Report, queue: str, day: date) -> Any:
    known = sorted(str(row.dimensions["queue"]) for row in report.rows)
    for row in report.rows:
        if row.dimensions["queue"] == queue:
            return row
    raise UserError(
        f"--queue = {queue!r}: no contacts on {day}; expected one of {', '.join(known) or '(none)'}"
    )


def _patience(row: Any) -> float:
    """Mean patience as the ``erlang_a`` variant measures it: Σ wait of the queued contacts
    ÷ contacts abandoned (no abandons: infinitely patient)."""
    waits = (row["avg_queue_time"] or 0) * row.values["avg_queue_time"].n
    abandoned = (row["abandon_rate"] or 0) * row.values["abandon_rate"].n / 100
    return waits / abandoned if abandoned and waits else math.inf


def _required(
    offered: float, aht: float | None, parameters: Mapping[str, float], patience_s: float
) -> float | None:
    if not offered:
        return 0.0
    if aht is None:
        return None
    traffic = Traffic(offered, aht, INTERVAL_S)
    target, threshold = parameters["target_percent"] / 100, parameters["threshold_s"]
    return float(agents_required(traffic, target, threshold, patience_s).agents)


def staffing_table(
    rows: list[IntervalStaffing],
    day: date,
    centre: str | None,
    queue: str | None,
    parameters: Mapping[str, float],
) -> Table:
    """The intervals as a Rich table; a negative gap (under-staffed) in red."""
    target = f"{parameters['target_percent']:g} % in {parameters['threshold_s']:g} s"
    title = f"Staffing, {day}, {centre or 'all centres'}, {queue or 'all queues'} ({target})"
    table = Table(title=title)
    for name in (
        "interval",
        "offered",
        "AHT (s)",
        "required\nErlang C",
        "required\nErlang A",
        "staffed",
        "gap",
    ):
        table.add_column(name, justify="left" if name == "interval" else "right")
    for row in rows:
        table.add_row(
            f"{row.minute // 60:02d}:{row.minute % 60:02d}",
            f"{row.offered:.0f}",
            _number(row.aht_s, 0),
            _number(row.erlang_c, 0),
            _number(row.erlang_a, 0),
            f"{row.staffed:.1f}",
            _gap(row.gap),
        )
    if queue:
        table.caption = "staffed: every agent logged in (agents serve several queues)"
    if not rows:
        table.caption = "no contacts and no agents on this day"
    return table


def _number(value: float | None, decimals: int) -> str:
    return "–" if value is None else f"{value:.{decimals}f}"


def _gap(gap: float | None) -> Text:
    if gap is None:
        return Text("–")
    return Text(f"{gap:+.1f}", style="red" if gap < 0 else "green")
