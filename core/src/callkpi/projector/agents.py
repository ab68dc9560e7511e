"""Agent time per 15-minute interval (a pure function over one agent's events).

* A state lasts from its ``agent.state_changed`` event until the agent's next state event
  (ties in time are ordered as :mod:`.timeline` says). The last, still-open episode is not in
  these rows: until the event that ends it arrives, its time up to the centre's data end is
  counted apart (:func:`open_interval_rows`, kept by :mod:`.open_episodes`), and once it has
  arrived, here, exactly as any closed episode.
* Episodes are split over the 15-minute UTC intervals they span. ``staffed_s`` is every
  state but logged_out; ``available_s``, ``on_contact_s``, ``acw_s`` (after_contact_work)
  and ``not_ready_s`` the time in each state.
* ``breaks_started`` counts not_ready episodes that are breaks — ``data.is_break`` true, or
  absent and the reason (case-insensitive) one of the centre's break reasons — in the
  interval where the episode starts.
* ``scheduled_s`` is planned time (activity other than off) in the interval; ``adherent_s``
  the planned time in which the agent's state matched the plan, or that tolerance forgives
  (see ``schedule``). Time without a known state (before the first state event, or in the
  open episode) is not adherent unless forgiven.

Durations are summed as exact timedeltas and turned into seconds once, so a sum cannot
depend on how the time was cut.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from ..store.centres import CentreSettings
from .buckets import INTERVAL, ceil_interval, floor_interval, interval_buckets
from .schedule import (
    ACTIVITY_CATEGORY,
    STATE_CATEGORY,
    Piece,
    boundaries,
    effective_schedule,
    forgiven,
)
from .timeline import Entry

STATE_COLUMNS = {
    "available": "available_s",
    "on_contact": "on_contact_s",
    "after_contact_work": "acw_s",
    "not_ready": "not_ready_s",
}
DURATION_COLUMNS = ("staffed_s", *STATE_COLUMNS.values(), "scheduled_s", "adherent_s")


class Episode(NamedTuple):
    start: datetime
    end: datetime
    state: str
    is_break: bool


class Window(NamedTuple):
    """The intervals [start, end) being rewritten; both ends on interval boundaries."""

    start: datetime
    end: datetime


def interval_rows(
    centre: str,
    agentid: str,
    window: Window,
    states: list[Entry],
    planned: list[Piece],
    settings: CentreSettings,
    zone: ZoneInfo,
) -> list[dict[str, Any]]:
    """The fact rows of the agent's intervals in ``window`` that have any time or break."""
    tolerance = timedelta(seconds=settings.adherence_tolerance_s)
    episodes = closed_episodes(states, frozenset(r.casefold() for r in settings.break_reasons))
    pieces = effective_schedule(planned, window.start - tolerance, window.end + tolerance)
    changes = [(entry.time, entry.data["state"]) for entry in states]
    excused = forgiven(boundaries(pieces), changes, tolerance) if tolerance else []
    totals = _sweep(window, episodes, pieces, excused)
    breaks = _breaks(window, episodes)
    return [
        _row(centre, agentid, start, totals.get(start, {}), breaks.get(start, 0), zone)
        for start in _interval_starts(window)
        if start in totals or start in breaks
    ]


def open_interval_rows(
    centre: str, agentid: str, episode: Episode, since: datetime, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """The rows of a still-open ``episode`` (its ``end`` the centre's data end) for the
    intervals from the one holding ``since`` on: the time in each, and the break in the
    interval where it started, exactly as :func:`interval_rows` counts a closed episode.
    Adherence is left to the closed rows: the plan's time is in them already."""
    start = floor_interval(since)
    window = Window(start, max(ceil_interval(episode.end), start + INTERVAL))
    totals, breaks = _state_totals(window, [episode]), _breaks(window, [episode])
    return [
        {
            key: value
            for key, value in _row(
                centre, agentid, start, totals.get(start, {}), breaks.get(start, 0), zone
            ).items()
            if key not in ("scheduled_s", "adherent_s")
        }
        for start in _interval_starts(window)
        if start in totals or start in breaks
    ]


def is_break(data: dict[str, Any], break_reasons: Iterable[str]) -> bool:
    """Whether a state event's episode is a break (see the module docstring)."""
    return _is_break(data, frozenset(reason.casefold() for reason in break_reasons))


def closed_episodes(states: list[Entry], break_reasons: frozenset[str]) -> list[Episode]:
    return [
        Episode(
            entry.time, following.time, entry.data["state"], _is_break(entry.data, break_reasons)
        )
        for entry, following in pairwise(states)
    ]


def _is_break(data: dict[str, Any], break_reasons: frozenset[str]) -> bool:
    if data["state"] != "not_ready":
        return False
    if data.get("is_break") is not None:
        return bool(data["is_break"])
    return (data.get("reason") or "").casefold() in break_reasons


def _interval_starts(window: Window) -> Iterable[datetime]:
    start = window.start
    while start < window.end:
        yield start
        start += INTERVAL


class _Lookup:
    """What holds at a moment among sorted, non-overlapping stretches (start, end, …)."""

    def __init__(self, stretches: Sequence[tuple[Any, ...]]):
        self.stretches = stretches
        self.starts = [stretch[0] for stretch in stretches]

    def at(self, moment: datetime) -> tuple[Any, ...] | None:
        index = bisect_right(self.starts, moment) - 1
        if index >= 0 and moment < self.stretches[index][1]:
            return self.stretches[index]
        return None


def _sweep(
    window: Window,
    episodes: list[Episode],
    pieces: list[Piece],
    excused: list[tuple[datetime, datetime]],
) -> dict[datetime, dict[str, timedelta]]:
    """Cut the window at every change of interval, state, plan or forgiveness; add up the pieces."""
    if not pieces and not excused:
        return _state_totals(window, episodes)
    points = {*_interval_starts(window), window.end}
    for stretch in (*episodes, *pieces, *excused):
        points.update(moment for moment in stretch[:2] if window.start < moment < window.end)
    states, plan, excuse = _Lookup(episodes), _Lookup(pieces), _Lookup(excused)
    totals: dict[datetime, dict[str, timedelta]] = {}
    ordered = sorted(points)
    for start, end in pairwise(ordered):
        episode, piece = states.at(start), plan.at(start)
        columns = _columns(
            episode.state if episode else None,
            piece.activity if piece else "off",
            excuse.at(start) is not None,
        )
        if columns:
            interval = totals.setdefault(floor_interval(start), defaultdict(timedelta))
            for column in columns:
                interval[column] += end - start
    return totals


def _state_totals(window: Window, episodes: list[Episode]) -> dict[datetime, dict[str, timedelta]]:
    """``_sweep`` without a plan, where only states count: each episode's time in each
    interval, without looking up the plan and forgiveness at every cut."""
    totals: dict[datetime, dict[str, timedelta]] = {}
    for episode in episodes:
        column = STATE_COLUMNS.get(episode.state)
        start, end = max(episode.start, window.start), min(episode.end, window.end)
        while column and start < end:
            interval = floor_interval(start)
            cut = min(interval + INTERVAL, end)
            spent = totals.setdefault(interval, defaultdict(timedelta))
            spent["staffed_s"] += cut - start
            spent[column] += cut - start
            start = cut
    return totals


def _columns(state: str | None, activity: str, excused: bool) -> list[str]:
    columns = ["staffed_s", STATE_COLUMNS[state]] if state in STATE_COLUMNS else []
    planned = ACTIVITY_CATEGORY[activity]
    if planned != "off":
        columns.append("scheduled_s")
        if excused or (state is not None and STATE_CATEGORY[state] == planned):
            columns.append("adherent_s")
    return columns


def _breaks(window: Window, episodes: list[Episode]) -> dict[datetime, int]:
    counts: dict[datetime, int] = defaultdict(int)
    for episode in episodes:
        if episode.is_break and window.start <= episode.start < window.end:
            counts[floor_interval(episode.start)] += 1
    return counts


def _row(
    centre: str,
    agentid: str,
    start: datetime,
    totals: dict[str, timedelta],
    breaks: int,
    zone: ZoneInfo,
) -> dict[str, Any]:
    seconds = {
        column: totals.get(column, timedelta()).total_seconds() for column in DURATION_COLUMNS
    }
    return {
        "centre": centre,
        "agentid": agentid,
        "interval_start": start,
        **seconds,
        "breaks_started": breaks,
        **interval_buckets(start, zone),
    }
