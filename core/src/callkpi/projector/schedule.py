"""Agent schedules: the effective plan from all publications, and adherence tolerance.

Publications apply in (event time, id) order; each segment of a later publication
replaces whatever earlier publications planned for the same stretch of time, and leaves
the rest. Activities and agent states meet in three categories: ``work`` (activity work ↔
states available, on_contact, after_contact_work), ``away`` (break, lunch, meeting,
training ↔ not_ready) and ``off`` (activity off or nothing planned ↔ logged_out).

Tolerance: a schedule boundary B (where the planned category changes) and an agent's
state change S at most ``adherence_tolerance_s`` apart, with S entering the category
planned from B on, forgive the mismatch between them: both the early (S < B) and the
late (S > B) change count as adherent.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .timeline import parse_time

ACTIVITY_CATEGORY = {
    "work": "work",
    "break": "away",
    "lunch": "away",
    "meeting": "away",
    "training": "away",
    "off": "off",
}
STATE_CATEGORY = {
    "available": "work",
    "on_contact": "work",
    "after_contact_work": "work",
    "not_ready": "away",
    "logged_out": "off",
}


class Piece(NamedTuple):
    """A stretch of time with one planned activity."""

    start: datetime
    end: datetime
    activity: str


def segments(data: dict[str, Any]) -> list[Piece]:
    """The segments of a ``schedule.published`` event's data."""
    return [Piece(parse_time(s["start"]), parse_time(s["end"]), s["activity"]) for s in data.get("segments", ())]


def effective_schedule(planned: list[Piece], start: datetime, end: datetime) -> list[Piece]:
    """The plan in force over [start, end), from segments in the order publications apply
    (by time, then id; within one, in its order): a later one overwrites what it covers."""
    pieces: list[Piece] = []
    for segment in planned:
        if segment.end > start and segment.start < end:
            pieces = _overwrite(pieces, segment)
    return pieces


def _overwrite(pieces: list[Piece], new: Piece) -> list[Piece]:
    kept = [p for p in pieces if p.end <= new.start or p.start >= new.end]
    for p in pieces:
        if p.start < new.end and p.end > new.start:
            kept += [Piece(p.start, new.start, p.activity)] if p.start < new.start else []
            kept += [Piece(new.end, p.end, p.activity)] if p.end > new.end else []
    return sorted([*kept, new])


def boundaries(pieces: list[Piece]) -> list[tuple[datetime, str]]:
    """Where the planned category changes, with the category planned from there on."""
    found: list[tuple[datetime, str]] = []
    end, category = None, "off"
    for piece in pieces:
        if end is not None and end != piece.start and category != "off":
            found.append((end, "off"))
        before = category if end == piece.start else "off"
        category = ACTIVITY_CATEGORY[piece.activity]
        if category != before:
            found.append((piece.start, category))
        end = piece.end
    if end is not None and category != "off":
        found.append((end, "off"))
    return found


def forgiven(
    plan_changes: list[tuple[datetime, str]],
    state_changes: list[tuple[datetime, str]],
    tolerance: timedelta,
) -> list[tuple[datetime, datetime]]:
    """Merged stretches of mismatch that tolerance forgives; ``state_changes`` sorted by time."""
    times = [moment for moment, _ in state_changes]
    stretches = []
    for boundary, category in plan_changes:
        nearby = state_changes[
            bisect_left(times, boundary - tolerance) : bisect_right(times, boundary + tolerance)
        ]
        stretches += [
            (min(moment, boundary), max(moment, boundary))
            for moment, state in nearby
            if moment != boundary and STATE_CATEGORY[state] == category
        ]
    return _merge(sorted(stretches))


def _merge(stretches: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in stretches:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
