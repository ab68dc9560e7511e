"""``required_agents``: Erlang staffing per 15-minute interval beside the agents really staffed."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from callkpi.kpi import Grain, Kpi, Measure, Parameter, Variant, columnar, divide
from callkpi.kpi.erlang import Traffic, agents_required
from callkpi.kpi.erlang_columns import agents_required_c
from callkpi.kpi.model import Columns, Formula, Values

from .measures import IS_ABANDONED, IS_HANDLED, IS_QUEUED, OFFERED

INTERVAL_S = 900.0
"""The grain's interval: the projector's 15-minute local intervals."""

THRESHOLD = Parameter(
    "threshold_s", 20, "The service-level threshold: answered within this many seconds."
)
TARGET = Parameter("target_percent", 80, "The service level to staff for, in percent (below 100).")
HANDLE = Measure("handle", "sum", "handle_s", filter=IS_HANDLED)
HANDLED = Measure("handled", "count", filter=IS_HANDLED)
STAFFED = Measure("staffed", "sum", "staffed_s", fact="fact_agent_interval")
QUEUE_WAIT = Measure("queue_wait", "sum", "wait_s", filter=(IS_QUEUED,))
ABANDONED = Measure("abandoned", "count", filter=(IS_ABANDONED,))
PART_NAMES = ("required", "staffed_agents", "intervals", "understaffed")


def _aht(fine: Values, row: Values) -> float | None:
    """The interval's AHT; an interval none of whose contacts was handled borrows the row's."""
    return divide(fine["handle"], fine["handled"]) or divide(row["handle"], row["handled"])


def _parts(
    fine: Values, row: Values, parameters: Mapping[str, float], patience_s: float
) -> dict[str, float | None]:
    staffed = fine["staffed"] / INTERVAL_S
    required = _required(fine, row, parameters, patience_s) if fine["offered"] else 0.0
    short = None if required is None else float(staffed < required)
    return {
        "required": required,
        "staffed_agents": staffed,
        "intervals": 1.0,
        "understaffed": short,
    }


def _required(
    fine: Values, row: Values, parameters: Mapping[str, float], patience_s: float
) -> float | None:
    aht = _aht(fine, row)
    if aht is None:
        return None  # no contact of the row was handled: no handle time to staff for
    traffic = Traffic(fine["offered"], aht, INTERVAL_S)
    target, threshold = parameters["target_percent"] / 100, parameters["threshold_s"]
    return float(agents_required(traffic, target, threshold, patience_s).agents)


def erlang_c_parts(
    fine: Values, row: Values, parameters: Mapping[str, float]
) -> dict[str, float | None]:
    """One interval's required agents by Erlang C (callers never hang up)."""
    return _parts(fine, row, parameters, math.inf)


def erlang_a_parts(
    fine: Values, row: Values, parameters: Mapping[str, float]
) -> dict[str, float | None]:
    """One interval's required agents by Erlang A, with the patience measured over the row."""
    patience = divide(row["queue_wait"], row["abandoned"])
    return _parts(fine, row, parameters, patience or math.inf)


def _column_parts(
    fine: Columns, row: Columns, parameters: Mapping[str, float], patience_s: np.ndarray
) -> dict[str, np.ndarray] | None:
    """:func:`_parts` of every interval at once (``patience_s``: each one's, inf for Erlang C)."""
    target, threshold = parameters["target_percent"] / 100, parameters["threshold_s"]
    if not 0 <= target < 1:
        return None  # _parts says what is wrong, for the row it is wrong in
    staffed = fine["staffed"] / INTERVAL_S
    aht = divide(fine["handle"], fine["handled"])
    aht = np.where(np.isnan(aht) | (aht == 0), divide(row["handle"], row["handled"]), aht)
    required = np.where(fine["offered"] != 0, np.where(aht == 0, 0.0, aht), 0.0)
    erlang = (fine["offered"] != 0) & ~np.isnan(aht) & (aht != 0)
    patient = erlang & np.isinf(patience_s) & (aht > 0)
    required[patient] = agents_required_c(fine["offered"][patient], aht[patient], INTERVAL_S, target, threshold)
    for index in np.flatnonzero(erlang & ~patient):  # Erlang A (or bad data): one at a time
        traffic = Traffic(float(fine["offered"][index]), float(aht[index]), INTERVAL_S)
        required[index] = agents_required(traffic, target, threshold, float(patience_s[index])).agents
    with np.errstate(invalid="ignore"):
        short = np.where(np.isnan(required), np.nan, (staffed < required).astype(float))
    return {"required": required, "staffed_agents": staffed, "intervals": np.ones(len(staffed)), "understaffed": short}


def erlang_c_columns(fine: Columns, row: Columns, parameters: Mapping[str, float]) -> dict[str, np.ndarray] | None:
    """:func:`erlang_c_parts` of every interval at once."""
    return _column_parts(fine, row, parameters, np.full(len(fine["offered"]), math.inf))


def erlang_a_columns(fine: Columns, row: Columns, parameters: Mapping[str, float]) -> dict[str, np.ndarray] | None:
    """:func:`erlang_a_parts` of every interval at once."""
    patience = divide(row["queue_wait"], row["abandoned"])
    return _column_parts(fine, row, parameters, np.where(np.isnan(patience) | (patience == 0), math.inf, patience))


def _per_interval(name: str) -> Formula:
    return columnar(lambda m, p: divide(m[name], m["intervals"]))


required_agents = Kpi(
    "required_agents",
    "Required agents",
    "n",
    None,
    "Agents needed to answer target_percent of contacts within threshold_s seconds (default 80 % "
    "in 20 s), by Erlang C, for each 15-minute local interval from the contacts offered in it and "
    "their measured AHT (an interval none of whose contacts was handled uses the row's AHT). "
    "The value is the mean over the row's intervals with contacts or staffed agents, so a row per "
    "interval15 is exactly that interval. Beside it: staffed_agents (mean agents logged in: "
    "staffed seconds ÷ 900), staffing_gap (staffed − required; negative is under-staffed) and "
    "understaffed_intervals. Agents are not assigned to queues, so all queues of an interval are "
    "one pool: group by centre, team, site, agent or time only. Variant erlang_a lets callers "
    "hang up, with an exponential patience whose mean is estimated over the row as Σ wait of "
    "queued contacts ÷ abandoned contacts (no abandons: Erlang C). On the day clocks go back the "
    "repeated hour's intervals are counted as one.",
    "fact_contact",
    (OFFERED, HANDLE, HANDLED, STAFFED),
    _per_interval("required"),
    parameters=(THRESHOLD, TARGET),
    sample="offered",
    grain=Grain(("date", "interval15"), erlang_c_parts, PART_NAMES, erlang_c_columns),
    details={
        "staffed_agents": _per_interval("staffed_agents"),
        "staffing_gap": columnar(lambda m, p: divide(
            None if m["required"] is None else m["staffed_agents"] - m["required"], m["intervals"]
        )),
        "understaffed_intervals": columnar(lambda m, p: m["understaffed"]),
    },
    variants=(
        Variant(
            "erlang_a",
            "Erlang A with the callers' patience measured from the data",
            measures=(QUEUE_WAIT, ABANDONED),
            grain=Grain(("date", "interval15"), erlang_a_parts, PART_NAMES, erlang_a_columns),
        ),
    ),
)
