"""``required_agents``: Erlang C / A staffing per 15-minute interval, for a service level or an
ASA, whole and fractional, beside the agents really staffed."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from callkpi.kpi import Grain, Kpi, Measure, Parameter, Variant, columnar, divide
from callkpi.kpi.erlang import AsaTarget, ServiceLevelTarget, Target, Traffic, requirement
from callkpi.kpi.erlang_columns import requirement_c
from callkpi.kpi.model import Columns, Formula, Values

from .measures import IS_ABANDONED, IS_HANDLED, IS_QUEUED, OFFERED

INTERVAL_S = 900.0
"""The grain's interval: the projector's 15-minute local intervals."""

THRESHOLD = Parameter(
    "threshold_s", 20, "The service-level threshold: answered within this many seconds."
)
TARGET = Parameter("target_percent", 80, "The service level to staff for, in percent (below 100).")
TARGET_ASA = Parameter(
    "target_asa_s", 30, "The ASA to staff for, in seconds (above 0): variants asa and erlang_a_asa."
)
HANDLE = Measure("handle", "sum", "handle_s", filter=IS_HANDLED)
HANDLED = Measure("handled", "count", filter=IS_HANDLED)
STAFFED = Measure("staffed", "sum", "staffed_s", fact="fact_agent_interval")
QUEUE_WAIT = Measure("queue_wait", "sum", "wait_s", filter=(IS_QUEUED,))
ABANDONED = Measure("abandoned", "count", filter=(IS_ABANDONED,))
PART_NAMES = ("required", "required_fractional", "staffed_agents", "intervals", "understaffed")


def _aht(fine: Values, row: Values) -> float | None:
    """The interval's AHT; an interval none of whose contacts was handled borrows the row's."""
    return divide(fine["handle"], fine["handled"]) or divide(row["handle"], row["handled"])


def service_level_target(parameters: Mapping[str, float]) -> Target:
    """Staff for target_percent answered within threshold_s."""
    return ServiceLevelTarget(parameters["target_percent"] / 100, parameters["threshold_s"])


def asa_target(parameters: Mapping[str, float]) -> Target:
    """Staff for an ASA of target_asa_s at most."""
    return AsaTarget(parameters["target_asa_s"])


TargetOf = Callable[[Mapping[str, float]], Target]


def _parts(
    fine: Values, row: Values, parameters: Mapping[str, float], target_of: TargetOf, patience_s: float
) -> dict[str, float | None]:
    staffed = fine["staffed"] / INTERVAL_S
    required, fractional = (
        _required(fine, row, target_of(parameters), patience_s) if fine["offered"] else (0.0, 0.0)
    )
    short = None if required is None else float(staffed < required)
    return {
        "required": required,
        "required_fractional": fractional,
        "staffed_agents": staffed,
        "intervals": 1.0,
        "understaffed": short,
    }


def _required(
    fine: Values, row: Values, target: Target, patience_s: float
) -> tuple[float | None, float | None]:
    aht = _aht(fine, row)
    if aht is None:
        return None, None  # no contact of the row was handled: no handle time to staff for
    found = requirement(Traffic(fine["offered"], aht, INTERVAL_S), target, patience_s)
    return float(found.agents), found.fractional


def _patience(row: Values) -> float:
    """The row's mean patience: Σ wait of queued contacts ÷ abandoned (none: infinite)."""
    return divide(row["queue_wait"], row["abandoned"]) or math.inf


def erlang_c_parts(
    fine: Values, row: Values, parameters: Mapping[str, float]
) -> dict[str, float | None]:
    """One interval's required agents by Erlang C (callers never hang up)."""
    return _parts(fine, row, parameters, service_level_target, math.inf)


def erlang_a_parts(
    fine: Values, row: Values, parameters: Mapping[str, float]
) -> dict[str, float | None]:
    """One interval's required agents by Erlang A, with the patience measured over the row."""
    return _parts(fine, row, parameters, service_level_target, _patience(row))


def asa_c_parts(fine: Values, row: Values, parameters: Mapping[str, float]) -> dict[str, float | None]:
    """One interval's agents for the target ASA by Erlang C."""
    return _parts(fine, row, parameters, asa_target, math.inf)


def asa_a_parts(fine: Values, row: Values, parameters: Mapping[str, float]) -> dict[str, float | None]:
    """One interval's agents for the target ASA by Erlang A, the patience measured over the row."""
    return _parts(fine, row, parameters, asa_target, _patience(row))


def _column_parts(
    fine: Columns,
    row: Columns,
    parameters: Mapping[str, float],
    target_of: TargetOf,
    patience_s: np.ndarray,
) -> dict[str, np.ndarray] | None:
    """:func:`_parts` of every interval at once (``patience_s``: each one's, inf for Erlang C)."""
    try:
        target = target_of(parameters)
    except ValueError:
        return None  # _parts says what is wrong, for the row it is wrong in
    staffed = fine["staffed"] / INTERVAL_S
    aht = divide(fine["handle"], fine["handled"])
    aht = np.where(np.isnan(aht) | (aht == 0), divide(row["handle"], row["handled"]), aht)
    required = np.where(fine["offered"] != 0, np.where(aht == 0, 0.0, aht), 0.0)
    fractional = required.copy()
    erlang = (fine["offered"] != 0) & ~np.isnan(aht) & (aht != 0)
    patient = erlang & np.isinf(patience_s) & (aht > 0)
    required[patient], fractional[patient] = requirement_c(
        fine["offered"][patient], aht[patient], INTERVAL_S, target
    )
    for index in np.flatnonzero(erlang & ~patient):  # Erlang A (or bad data): one at a time
        traffic = Traffic(float(fine["offered"][index]), float(aht[index]), INTERVAL_S)
        found = requirement(traffic, target, float(patience_s[index]))
        required[index], fractional[index] = found.agents, found.fractional
    with np.errstate(invalid="ignore"):
        short = np.where(np.isnan(required), np.nan, (staffed < required).astype(float))
    return {
        "required": required,
        "required_fractional": fractional,
        "staffed_agents": staffed,
        "intervals": np.ones(len(staffed)),
        "understaffed": short,
    }


def _row_patience(row: Columns) -> np.ndarray:
    patience = divide(row["queue_wait"], row["abandoned"])
    return np.where(np.isnan(patience) | (patience == 0), math.inf, patience)


def erlang_c_columns(fine: Columns, row: Columns, parameters: Mapping[str, float]) -> dict[str, np.ndarray] | None:
    """:func:`erlang_c_parts` of every interval at once."""
    return _column_parts(fine, row, parameters, service_level_target, np.full(len(fine["offered"]), math.inf))


def erlang_a_columns(fine: Columns, row: Columns, parameters: Mapping[str, float]) -> dict[str, np.ndarray] | None:
    """:func:`erlang_a_parts` of every interval at once."""
    return _column_parts(fine, row, parameters, service_level_target, _row_patience(row))


def asa_c_columns(fine: Columns, row: Columns, parameters: Mapping[str, float]) -> dict[str, np.ndarray] | None:
    """:func:`asa_c_parts` of every interval at once."""
    return _column_parts(fine, row, parameters, asa_target, np.full(len(fine["offered"]), math.inf))


def asa_a_columns(fine: Columns, row: Columns, parameters: Mapping[str, float]) -> dict[str, np.ndarray] | None:
    """:func:`asa_a_parts` of every interval at once."""
    return _column_parts(fine, row, parameters, asa_target, _row_patience(row))


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
    "interval15 is exactly that interval. Beside it: required_fractional (for planning: the "
    "target measure interpolated linearly between N − 1 and N agents, and the point in (N − 1, N] "
    "where it equals the target; N when one agent fewer has an infinite ASA), staffed_agents "
    "(mean agents logged in: staffed seconds ÷ 900), staffing_gap (staffed − required; negative "
    "is under-staffed) and understaffed_intervals. Agents are not assigned to queues, so all "
    "queues of an interval are one pool: group by centre, team, site, agent or time only. Variant "
    "erlang_a lets callers hang up, with an exponential patience whose mean is estimated over the "
    "row as Σ wait of queued contacts ÷ abandoned contacts (no abandons: Erlang C). Variants asa "
    "(Erlang C) and erlang_a_asa (Erlang A, the same patience) staff for an ASA instead: the "
    "fewest agents whose answered contacts wait target_asa_s seconds or less on average. On the "
    "day clocks go back the repeated hour's intervals are counted as one.",
    "fact_contact",
    (OFFERED, HANDLE, HANDLED, STAFFED),
    _per_interval("required"),
    parameters=(THRESHOLD, TARGET, TARGET_ASA),
    sample="offered",
    grain=Grain(("date", "interval15"), erlang_c_parts, PART_NAMES, erlang_c_columns),
    details={
        "required_fractional": _per_interval("required_fractional"),
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
        Variant(
            "asa",
            "Erlang C for a target ASA (target_asa_s) instead of a service level",
            grain=Grain(("date", "interval15"), asa_c_parts, PART_NAMES, asa_c_columns),
        ),
        Variant(
            "erlang_a_asa",
            "Erlang A for a target ASA, with the callers' patience measured from the data",
            measures=(QUEUE_WAIT, ABANDONED),
            grain=Grain(("date", "interval15"), asa_a_parts, PART_NAMES, asa_a_columns),
        ),
    ),
)
