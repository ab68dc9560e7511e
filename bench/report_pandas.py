"""The 16 core KPIs written by hand in pandas: the yardstick ``bench/report.py`` compares with.

Same definitions as the standard catalogue (``callkpi_kpis``): offered counts answered,
abandoned and timed-out contacts; handled contacts are answered ones with a handle time;
service level is answered within 20 s over offered; a zero denominator is no value (NaN).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

QUEUED = ("answered", "abandoned", "timed_out")
CONTACT_KPIS = (
    "offered",
    "answered",
    "answer_rate",
    "service_level",
    "asa",
    "abandon_rate",
    "avg_abandon_time",
    "aht",
    "avg_talk_time",
    "avg_hold_time",
    "hold_rate",
    "avg_acw",
    "transfer_rate",
    "longest_wait",
)
AGENT_KPIS = ("occupancy", "utilization")
COLUMNS = {
    "agent": "agentid",
    "date": "local_date",
    "queue": "queue",
    "interval15": "local_interval",
}


def contact_kpis(contacts: pd.DataFrame, group_by: tuple[str, ...]) -> pd.DataFrame:
    keys = [COLUMNS[name] for name in group_by]
    outcome = contacts["outcome"]
    answered, abandoned = outcome.eq("answered"), outcome.eq("abandoned")
    queued = outcome.isin(QUEUED)
    handled = answered & contacts["handle_s"].notna()
    wait = contacts["wait_s"]
    parts = pd.DataFrame(
        {
            **{key: contacts[key] for key in keys},
            "offered": queued,
            "answered": answered,
            "fast": answered & (wait <= 20),
            "answered_wait": wait.where(answered),
            "abandoned": abandoned,
            "abandon_wait": wait.where(abandoned),
            "abandoned_timed": abandoned & wait.notna(),
            "handled": handled,
            "handle": contacts["handle_s"].where(handled),
            "talk": contacts["talk_s"].where(handled),
            "hold": contacts["hold_s"].where(handled),
            "held": handled & (contacts["hold_count"] > 0),
            "acw": contacts["acw_s"].where(handled),
            "transferred": handled & (contacts["transfers"] > 0),
            "queued_wait": wait.where(queued),
        }
    )
    sums = parts.groupby(keys, dropna=False).agg(
        **{
            name: (name, "sum")
            for name in parts.columns
            if name not in keys and name != "queued_wait"
        },
        longest_wait=("queued_wait", "max"),
    )
    return pd.DataFrame(
        {
            "offered": sums["offered"],
            "answered": sums["answered"],
            "answer_rate": _percent(sums["answered"], sums["offered"]),
            "service_level": _percent(sums["fast"], sums["offered"]),
            "asa": _ratio(sums["answered_wait"], sums["answered"]),
            "abandon_rate": _percent(sums["abandoned"], sums["offered"]),
            "avg_abandon_time": _ratio(sums["abandon_wait"], sums["abandoned_timed"]),
            "aht": _ratio(sums["handle"], sums["handled"]),
            "avg_talk_time": _ratio(sums["talk"], sums["handled"]),
            "avg_hold_time": _ratio(sums["hold"], sums["held"]),
            "hold_rate": _percent(sums["held"], sums["handled"]),
            "avg_acw": _ratio(sums["acw"], sums["handled"]),
            "transfer_rate": _percent(sums["transferred"], sums["handled"]),
            "longest_wait": sums["longest_wait"],
        }
    )


def agent_kpis(intervals: pd.DataFrame, group_by: tuple[str, ...]) -> pd.DataFrame:
    keys = [COLUMNS[name] for name in group_by]
    busy = intervals["on_contact_s"].fillna(0) + intervals["acw_s"].fillna(0)
    parts = pd.DataFrame(
        {
            **{key: intervals[key] for key in keys},
            "busy": busy,
            "ready": busy + intervals["available_s"].fillna(0),
            "staffed": intervals["staffed_s"],
        }
    )
    sums = parts.groupby(keys, dropna=False).sum()
    return pd.DataFrame(
        {
            "occupancy": _percent(sums["busy"], sums["ready"]),
            "utilization": _percent(sums["busy"], sums["staffed"]),
        }
    )


def _ratio(total: pd.Series, count: pd.Series) -> pd.Series:
    return total.where(count > 0) / count.where(count > 0)


def _percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    return 100 * _ratio(part, whole)


def as_values(frame: pd.DataFrame) -> dict[tuple[Any, ...], dict[str, Any]]:
    """(group key…) → {kpi: value}, with NaN as None and pandas scalars as Python ones."""
    found = {}
    for key, row in frame.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        found[tuple(_plain(k) for k in key)] = {name: _plain(v) for name, v in row.items()}
    return found


def _plain(value: Any) -> Any:
    if (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    ):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if hasattr(value, "item") else value
