"""``callkpi staffing``: one day's 15-minute intervals, the agents Erlang says were needed
beside the agents who were logged in.

The target is a service level (``--target-percent`` within ``--threshold-s``, 80 % in 20 s
by default) or an ASA (``--target-asa-s``); the model Erlang C, Erlang A with the measured
patience, or both (``--model``). Each model's whole requirement comes with its fractional
one (the target measure interpolated between N − 1 and N agents; see
:mod:`callkpi.kpi.erlang`), for plans that add up intervals or part-time seats.

All queues together are the ``required_agents`` KPI itself (variants default and
``erlang_a``, or ``asa`` and ``erlang_a_asa``), grouped by ``interval15``. Agents are not
assigned to queues, so for one queue (``--queue``) the required agents come from the same
Erlang maths on that queue's own traffic, and *staffed* stays everyone logged in: the gap
then says how much room the whole floor left for that queue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..kpi import KpiSelection, ReportRequest, run_report
from ..kpi.erlang import AsaTarget, ServiceLevelTarget, Target, Traffic, requirement
from ..kpi.report import Report
from ..kpi.request_builder import RequestError
from ..store.centres import load_centres
from .kpis import find_centre
from .periods import PeriodOption, chosen_period
from .runtime import DatabaseOption, UserError, opened_store, out, settings_for

INTERVAL_S = 900


class Model(StrEnum):
    """Which Erlang model to staff by."""

    c = "c"
    a = "a"
    both = "both"


@dataclass(frozen=True)
class Goal:
    """What to staff for, by which models: ``parameters`` are the ``required_agents`` KPI's."""

    parameters: Mapping[str, float]
    model: Model = Model.both

    @property
    def for_asa(self) -> bool:
        return "target_asa_s" in self.parameters

    @property
    def target(self) -> Target:
        if self.for_asa:
            return AsaTarget(self.parameters["target_asa_s"])
        share = self.parameters["target_percent"] / 100
        return ServiceLevelTarget(share, self.parameters["threshold_s"])

    @property
    def variants(self) -> dict[str, str | None]:
        """The ``required_agents`` variant of each model staffed by."""
        names = {"c": "asa", "a": "erlang_a_asa"} if self.for_asa else {"c": None, "a": "erlang_a"}
        models = ("c", "a") if self.model is Model.both else (self.model.value,)
        return {model: names[model] for model in models}

    @property
    def text(self) -> str:
        if self.for_asa:
            return f"ASA ≤ {self.parameters['target_asa_s']:g} s"
        return f"{self.parameters['target_percent']:g} % in {self.parameters['threshold_s']:g} s"


@dataclass(frozen=True)
class IntervalStaffing:
    """One 15-minute interval: the traffic, what Erlang C and A require (whole and
    fractional; ``None`` for a model not asked for, or without a handle time), who was there."""

    minute: int
    offered: float
    aht_s: float | None
    erlang_c: float | None
    erlang_a: float | None
    staffed: float
    erlang_c_fractional: float | None = None
    erlang_a_fractional: float | None = None

    @property
    def gap(self) -> float | None:
        """Staffed − required by Erlang C (by Erlang A when only it is asked for); negative
        is under-staffed."""
        required = self.erlang_c if self.erlang_c is not None else self.erlang_a
        return None if required is None else self.staffed - required


def staffing(
    day: Annotated[
        str | None,
        typer.Option("--date", metavar="YYYY-MM-DD", help="The local day (instead of --period)."),
    ] = None,
    period: PeriodOption = None,
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
    target_asa_s: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS",
            help="Staff for this ASA (answered contacts' mean wait) instead of a service level.",
        ),
    ] = None,
    model: Annotated[
        Model, typer.Option(case_sensitive=False, help="Erlang C, Erlang A (measured patience) or both.")
    ] = Model.both,
    database: DatabaseOption = None,
) -> None:
    """Required agents per 15-minute interval, whole and fractional (Erlang C, and Erlang A
    with the measured patience) beside the agents staffed; under-staffed intervals in red."""
    if target_asa_s is None:
        parameters = {"threshold_s": threshold_s, "target_percent": target_percent}
    elif target_asa_s > 0:
        parameters = {"target_asa_s": target_asa_s}
    else:
        raise UserError(f"--target-asa-s = {target_asa_s:g}: expected a number of seconds > 0")
    goal = Goal(parameters, model)
    with opened_store(settings_for(database)) as store:
        when = _day(store, day, period, centre)
        rows = staffing_rows(store, when, centre, queue, goal)
    out().print(staffing_table(rows, when, centre, queue, goal))


def _day(store: Any, day: str | None, period: str | None, centre: str | None) -> date:
    """The day of ``--date``, else of a one-day ``--period`` (default: yesterday), in the
    centre's time zone."""
    if day is not None:
        if period is not None:
            raise UserError(f"--period = {period!r} with --date: expected one of them, not both")
        return _date(day)
    with store.transaction() as connection:
        centres = load_centres(connection)
    config = find_centre(centres, centre) if centre is not None else None
    try:
        first, last = chosen_period(period, None, None, centres, config)
    except RequestError as exc:
        raise UserError(str(exc)) from None
    if first != last:
        raise UserError(
            f"--period = {period!r}: covers {first} to {last}; expected one day "
            "(today, yesterday, last-1-days) or --date YYYY-MM-DD"
        )
    return first


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--date = {text!r}: not a date; expected YYYY-MM-DD") from None


def staffing_rows(
    store: Any, day: date, centre: str | None, queue: str | None, goal: Goal
) -> list[IntervalStaffing]:
    """The day's intervals for all queues, or for ``queue``."""
    pool = _pool(store, day, centre, goal)
    if queue is None:
        return pool
    staffed = {row.minute: row.staffed for row in pool}
    return _queue_rows(store, day, centre, queue, goal, staffed)


def _pool(store: Any, day: date, centre: str | None, goal: Goal) -> list[IntervalStaffing]:
    variants = goal.variants
    kpis = (
        "offered",
        "aht",
        *(KpiSelection("required_agents", v, parameters=goal.parameters) for v in variants.values()),
    )
    report = run_report(store, ReportRequest(kpis, day, day, ("interval15",), centre))
    offered, aht, *required = (column.key for column in report.columns)
    by_model = dict(zip(variants, required, strict=True))
    rows = []
    for row in report.rows:
        values = {model: row.values[key] for model, key in by_model.items()}
        whole = {model: value.value for model, value in values.items()}
        fractional = {model: value.details.get("required_fractional") for model, value in values.items()}
        any_value = next(iter(values.values()))
        rows.append(
            IntervalStaffing(
                row.dimensions["interval15"],
                row[offered] or 0,
                row[aht],
                whole.get("c"),
                whole.get("a"),
                any_value.details.get("staffed_agents") or 0.0,
                fractional.get("c"),
                fractional.get("a"),
            )
        )
    return rows


def _queue_rows(
    store: Any,
    day: date,
    centre: str | None,
    queue: str,
    goal: Goal,
    staffed: Mapping[int, float],
) -> list[IntervalStaffing]:
    traffic = ("offered", "aht", "avg_queue_time", "abandon_rate")
    whole_day = run_report(store, ReportRequest(traffic, day, day, ("queue",), centre))
    day_row = _queue_row(whole_day, queue, day)
    patience = {"c": math.inf, "a": _patience(day_row)}
    per_interval = run_report(
        store, ReportRequest(traffic, day, day, ("queue", "interval15"), centre)
    )
    rows = []
    for row in per_interval.rows:
        if row.dimensions["queue"] != queue:
            continue
        minute, offered = row.dimensions["interval15"], row["offered"] or 0
        aht = row["aht"] or day_row["aht"]
        found = {
            model: _required(offered, aht, goal.target, patience[model]) for model in goal.variants
        }
        c, a = found.get("c", (None, None)), found.get("a", (None, None))
        rows.append(
            IntervalStaffing(
                minute, offered, row["aht"], c[0], a[0], staffed.get(minute, 0.0), c[1], a[1]
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
    offered: float, aht: float | None, target: Target, patience_s: float
) -> tuple[float | None, float | None]:
    """The whole and the fractional requirement of one interval of the queue."""
    if not offered:
        return 0.0, 0.0
    if aht is None:
        return None, None
    found = requirement(Traffic(offered, aht, INTERVAL_S), target, patience_s)
    return float(found.agents), found.fractional


def staffing_table(
    rows: list[IntervalStaffing], day: date, centre: str | None, queue: str | None, goal: Goal
) -> Table:
    """The intervals as a Rich table; a negative gap (under-staffed) in red."""
    title = f"Staffing, {day}, {centre or 'all centres'}, {queue or 'all queues'} ({goal.text})"
    table = Table(title=title)
    models = tuple(goal.variants)
    names = ["interval", "offered", "AHT (s)"]
    for model in models:
        names += [f"required\nErlang {model.upper()}", f"fractional\nErlang {model.upper()}"]
    for name in (*names, "staffed", "gap"):
        table.add_column(name, justify="left" if name == "interval" else "right")
    for row in rows:
        required = {
            "c": (row.erlang_c, row.erlang_c_fractional),
            "a": (row.erlang_a, row.erlang_a_fractional),
        }
        cells = [f"{row.minute // 60:02d}:{row.minute % 60:02d}", f"{row.offered:.0f}", _number(row.aht_s, 0)]
        for model in models:
            whole, fractional = required[model]
            cells += [_number(whole, 0), _number(fractional, 2)]
        table.add_row(*cells, f"{row.staffed:.1f}", _gap(row.gap))
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
