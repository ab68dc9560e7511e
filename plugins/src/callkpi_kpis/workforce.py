"""KPIS.md "Agents and workforce": how agents spend their time, schedules, forecasts, staffing."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callkpi.kpi import (
    PERIOD_END,
    PERIOD_START,
    Grain,
    Kpi,
    Measure,
    Variant,
    columnar,
    divide,
    percent,
    percent_of,
)
from callkpi.kpi.model import Columns, Values

from .measures import IS_QUEUED
from .staffing import required_agents

AGENT_FACT = "fact_agent_interval"
BUSY = Measure("busy", "sum", ("on_contact_s", "acw_s"))
STAFFED = Measure("staffed", "sum", "staffed_s")
SCHEDULED = Measure("scheduled", "sum", "scheduled_s")
STATE_NOTE = (
    "Agent time comes from agent state changes, split over 15-minute intervals: on contact, "
    "after-contact work (ACW), available, not ready; staffed is every state but logged out. "
    "An episode still open (no later state change yet) counts up to the end of the centre's "
    "data or of the report, whichever is earlier; each value says how much of it is open "
    "(details open_s)."
)

occupancy = Kpi(
    "occupancy",
    "Occupancy",
    "%",
    None,
    "Busy share of the time agents were ready for contacts: (on contact + ACW) ÷ (on contact + "
    "ACW + available) × 100. Too low wastes paid time, too high burns agents out, so it has no "
    "direction. " + STATE_NOTE,
    AGENT_FACT,
    (BUSY, Measure("ready", "sum", ("on_contact_s", "acw_s", "available_s"))),
    percent_of("busy", "ready"),
    sample="ready",
)

utilization = Kpi(
    "utilization",
    "Utilization",
    "%",
    True,
    "Productive share of paid time: (on contact + ACW) ÷ staffed (logged-in) time × 100. Variant "
    "scheduled divides by the scheduled time instead (planned activities other than off). "
    f"{STATE_NOTE}",
    AGENT_FACT,
    (BUSY, STAFFED),
    percent_of("busy", "staffed"),
    sample="staffed",
    target=90,
    variants=(
        Variant(
            "scheduled",
            "(on contact + ACW) ÷ scheduled time",
            measures=(SCHEDULED,),
            formula=percent_of("busy", "scheduled"),
            sample="scheduled",
        ),
    ),
)

availability = Kpi(
    "availability",
    "Availability",
    "%",
    True,
    "Phone availability: (available + on contact + ACW) ÷ staffed time × 100; the rest is "
    f"not-ready time (breaks, meetings, training). {STATE_NOTE}",
    AGENT_FACT,
    (Measure("on_phones", "sum", ("available_s", "on_contact_s", "acw_s")), STAFFED),
    percent_of("on_phones", "staffed"),
    sample="staffed",
)

break_count = Kpi(
    "break_count",
    "Breaks per agent-day",
    "n",
    False,
    "Not-ready episodes that are breaks ÷ agent-days, an agent-day being one agent's local day "
    "with staffed time. A not-ready episode is a break when its event says is_break, or else its "
    "reason is one of the centre's break_reasons; it counts in the interval it starts in, a "
    "break still going on too (once). The default target is a policy maximum of 5.",
    AGENT_FACT,
    (
        Measure("breaks", "sum", "breaks_started"),
        Measure(
            "agent_days",
            "count_distinct",
            ("agentid", "local_date"),
            filter=(("staffed_s", ">", 0),),
        ),
    ),
    columnar(lambda m, p: divide(m["breaks"], m["agent_days"])),
    sample="agent_days",
    target=5,
)

schedule_adherence = Kpi(
    "schedule_adherence",
    "Schedule adherence",
    "%",
    True,
    "Share of scheduled time the agent spent in the scheduled state: adherent ÷ scheduled × 100. "
    "Planned work matches available, on contact and ACW; planned break, lunch, meeting and "
    "training match not ready. A state change within the centre's adherence_tolerance_s of a "
    "schedule boundary counts as adherent (the projector applies it, so it is a centre setting, "
    "not a report parameter).",
    AGENT_FACT,
    (Measure("adherent", "sum", "adherent_s"), SCHEDULED),
    percent_of("adherent", "scheduled"),
    sample="scheduled",
)


def forecast_parts(
    fine: Values, row: Values, parameters: Mapping[str, float]
) -> dict[str, float | None]:
    """One queue's interval: its absolute error, and its percentage error where volume came."""
    if not fine["forecast_rows"]:
        return {}  # no forecast published for this queue and interval: nothing to compare
    actual, forecast = fine["actual"], fine["forecast"]
    error = abs(actual - forecast)
    parts = {"abs_error": error, "intervals": 1.0}
    if actual:
        parts |= {"percentage_error": error / actual * 100, "intervals_with_volume": 1.0}
    return parts


def forecast_columns(fine: Columns, row: Columns, parameters: Mapping[str, float]) -> dict[str, np.ndarray]:
    """:func:`forecast_parts` of every queue and interval at once."""
    actual, forecast = fine["actual"], fine["forecast"]
    published = fine["forecast_rows"] != 0
    came = published & (actual != 0)
    error = np.abs(actual - forecast)
    with np.errstate(divide="ignore", invalid="ignore"):
        percentage = error / actual * 100
    return {
        "abs_error": np.where(published, error, 0.0),
        "intervals": published.astype(float),
        "percentage_error": np.where(came, percentage, 0.0),
        "intervals_with_volume": came.astype(float),
    }


FORECAST_GRAIN = Grain(
    ("queue", "date", "interval15"),
    forecast_parts,
    ("abs_error", "intervals", "percentage_error", "intervals_with_volume"),
    forecast_columns,
)

forecast_accuracy = Kpi(
    "forecast_accuracy",
    "Forecast accuracy",
    "%",
    True,
    "How close the published forecast came to the offered volume: (1 − Σ |actual − forecast| ÷ Σ "
    "forecast) × 100, the sums over every queue and 15-minute local interval that has a forecast "
    "(the latest one published); actual is the contacts offered to that queue in that interval. "
    "The error is taken per interval before adding up, so a surplus in one interval does not hide "
    "a shortfall in another; intervals without a forecast are left out. Variant mape is the mean "
    "absolute percentage error, mean of |actual − forecast| ÷ actual × 100 over the intervals "
    "that had contacts (lower is better).",
    "fact_forecast_interval",
    (
        Measure("forecast", "sum", "offered"),
        Measure("forecast_rows", "count"),
        Measure("actual", "count", filter=(IS_QUEUED,), fact="fact_contact"),
    ),
    columnar(lambda m, p: percent(m["forecast"] - m["abs_error"], m["forecast"])),
    sample="forecast_rows",
    grain=FORECAST_GRAIN,
    variants=(
        Variant(
            "mape",
            "mean of |actual − forecast| ÷ actual per interval with contacts",
            formula=columnar(lambda m, p: divide(m["percentage_error"], m["intervals_with_volume"])),
            higher_is_better=False,
        ),
    ),
)

EMPLOYED = ("employed", "==", True)

agent_turnover = Kpi(
    "agent_turnover",
    "Agent turnover",
    "%",
    False,
    "Agents who left in the period ÷ average headcount × 100, the average headcount being the "
    "mean of the headcounts at the period's start and end (local midnight of the centre). An "
    "agent counts from agent.joined (or always, when no join is known) to agent.left; each join "
    "and each leave counts at its own time, so an agent who left and came back counts in both "
    "stretches, and a join re-sent while employed changes nothing. It reads the agent history, "
    "so grouped by team or site an agent counts in the team they were in at each moment (a "
    "leave in the team they left from). Group it by centre, team or site only.",
    "dim_agent_history",
    (
        Measure("agents", "count_distinct", "agentid"),
        Measure(
            "left", "count", filter=(("left_at", ">=", PERIOD_START), ("left_at", "<", PERIOD_END))
        ),
        Measure("employed_versions", "count", filter=(EMPLOYED,)),
        Measure("from_start", "count", filter=(EMPLOYED, ("valid_from", ">=", PERIOD_START))),
        Measure("ended_before_start", "count", filter=(EMPLOYED, ("valid_to", "<", PERIOD_START))),
        Measure("from_end", "count", filter=(EMPLOYED, ("valid_from", ">=", PERIOD_END))),
        Measure("ended_before_end", "count", filter=(EMPLOYED, ("valid_to", "<", PERIOD_END))),
    ),
    columnar(lambda m, p: percent(m["left"], _average_headcount(m))),
    sample="agents",
    details={
        "headcount_start": lambda m, p: _headcount(m, "start"),
        "headcount_end": lambda m, p: _headcount(m, "end"),
        "left": lambda m, p: m["left"],
    },
)


def _headcount(m: Values, edge: str) -> float:
    """Employed versions covering the moment: all of them but those that start at or after
    it and those that ended before it (None bounds compare false: open ends cover it)."""
    return m["employed_versions"] - m[f"from_{edge}"] - m[f"ended_before_{edge}"]


def _average_headcount(m: Values) -> float:
    return (_headcount(m, "start") + _headcount(m, "end")) / 2


KPIS = (
    occupancy,
    utilization,
    availability,
    break_count,
    schedule_adherence,
    forecast_accuracy,
    required_agents,
    agent_turnover,
)
