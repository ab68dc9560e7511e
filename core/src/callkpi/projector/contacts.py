"""Folding one contact's events into its ``fact_contact`` row (a pure function).

Every rule reads the contact's events in (time, type rank, tie, id) order (:mod:`.timeline`):

* ``offered_at`` is the earliest ``contact.offered``; a contact never offered takes the time
  of its blocked / setup_failed / self_served / recorded event. ``queue`` is the queue of the
  earliest event that has one, ``channel`` the first one given; ``direction`` and ``language``
  come from the offer (else from the blocked / setup_failed / self_served event);
  ``customer_hmac`` and ``callback_of`` (the contact it calls back) from the first event that
  carries one.
* ``outcome``: blocked, setup_failed or self_served when such an event exists; else
  ``answered`` if any ``contact.answered``; else ``abandoned`` if any ``contact.abandoned``;
  else, ended without an answer: ``timed_out`` when the end says ``timed_out`` or
  ``ended_by == "system"``, None when the agent ended it (its answer is missing from the
  input), else ``abandoned`` (see :func:`unanswered_end`); else None (still in progress).
* ``answered_at`` is the earliest answer, ``agentid`` and ``ring_s`` are that answer's.
* ``wait_s`` = answered_at − offered_at (answered) or abandon/end time − offered_at
  (abandoned, timed_out); never negative.
* Hold episodes pair ``hold_started``/``hold_ended`` in time order; an unmatched start closes
  at ``ended_at`` (dropped when the contact has not ended). ``hold_s`` (0 for an answered
  contact without holds), ``hold_count``, ``longest_hold_s``.
* ``ended_at`` is the earliest end (with parts that carry ``data.leg``, the last part's end:
  :func:`contact_end`), so a conference's overlapping agents count once; ``talk_s`` = (ended_at − answered_at) − hold_s;
  ``wrapup_ended_at`` the latest wrap-up, ``acw_s`` = wrapup_ended_at − ended_at, and
  disposition / resolved from that latest wrap-up; ``handle_s`` = talk + hold + acw (a
  missing part counts 0) for answered contacts that ended. Durations are never negative.
* ``transfers`` counts ``contact.transferred``; ``revenue`` / ``sales`` sum / count the
  ``sale.recorded`` events carrying this contactid.
* A ``contact.recorded`` summary (the latest in that order) is authoritative: its times,
  outcome, durations, counts, disposition and resolved flag replace the lifecycle's; its
  direction, language and customer replace them when given. Absent ``wait_s`` is derived
  (answered_at − offered_at, or ended_at − offered_at when abandoned or timed out), absent
  ``talk_s`` is (ended_at − answered_at) − hold_s, and ``handle_s`` = talk + hold + acw.
* Summaries with different ``data.leg`` are the contact's legs (one record per leg, as an
  Amazon Connect transfer chain): the latest record of each leg counts, the legs ordered by
  (offered_at, leg) (:func:`recorded_legs`), each folded alone as above
  (:func:`summary_parts`; every leg but the last passed the contact on, so counts at least
  one transfer and, unanswered, left its queue ``transferred``). The contact takes the first
  leg's offered_at, queue, wait and first response; the first answered leg's answer, agent
  and ring; the last leg's end, wrap-up, disposition and resolved flag; the summed talk,
  hold, hold count, ACW and transfers, the longest hold; outcome ``answered`` when any leg
  was answered, else the last leg's; direction, language and customer from the first leg
  that gives them. One summary (or none with ``leg``) is the single-record rule above.
* The local bucket columns come from ``offered_at`` in the centre's zone. The gap to the
  customer's next contact and the recovery of a missed contact need the customer's other
  contacts, so ``gaps`` and ``recovery`` fill them in.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..store.tables import ContactFact
from .buckets import local_buckets
from .timeline import Entry, parse_time

RANKS: dict[str, int] = {
    "contact.offered": 0,
    "contact.blocked": 1,
    "contact.setup_failed": 1,
    "contact.self_served": 1,
    "contact.answered": 2,
    "contact.hold_started": 3,
    "contact.hold_ended": 4,
    "contact.transferred": 5,
    "contact.abandoned": 6,
    "contact.ended": 7,
    "contact.wrapup_completed": 8,
    "contact.recorded": 9,
    "sale.recorded": 10,
}
CONTACT_TYPES = frozenset(RANKS)
TERMINAL_WITHOUT_AGENT = ("blocked", "setup_failed", "self_served")
FACT_COLUMNS = tuple(column.name for column in ContactFact.__table__.columns)
_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(FACT_COLUMNS),
    "hold_count": 0,
    "transfers": 0,
    "revenue": 0.0,
    "sales": 0,
}
_SUMMARY_TIMES = ("offered_at", "answered_at", "ended_at", "wrapup_ended_at")
_SUMMARY_MEASURES = (
    "outcome",
    "wait_s",
    "ring_s",
    "talk_s",
    "hold_s",
    "hold_count",
    "longest_hold_s",
    "acw_s",
    "transfers",
    "disposition",
    "resolved",
    "first_response_s",
)
_SUMMARY_DESCRIPTIONS = ("direction", "language", "customer_hmac")


def fold_contact(
    centre: str, contactid: str, entries: list[Entry], zone: ZoneInfo
) -> dict[str, Any]:
    """The fact row of one contact from all of its events, sorted (see the module rules)."""
    by_type: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_type[entry.type].append(entry)
    row = {**_DEFAULTS, "centre": centre, "contactid": contactid}
    _identity(row, entries, by_type)
    _lifecycle(row, entries, by_type)
    if "contact.recorded" in by_type:
        _summaries(row, recorded_legs(by_type["contact.recorded"]))
    _sales(row, by_type.get("sale.recorded", ()))
    row.update(local_buckets(row["offered_at"], zone))
    return row


def _first(values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _seconds(span: timedelta | None) -> float | None:
    return None if span is None else max(span.total_seconds(), 0.0)


def _between(later: datetime | None, earlier: datetime | None) -> float | None:
    return None if later is None or earlier is None else _seconds(later - earlier)


def _identity(row: dict[str, Any], entries: list[Entry], by_type: dict[str, list[Entry]]) -> None:
    row["queue"] = _first(e.body.get("queue") for e in entries)
    row["channel"] = _first(e.body.get("channel") for e in entries)
    row["customer_hmac"] = _first(e.data.get("customer_hmac") for e in entries)
    row["callback_of"] = _first(e.data.get("callback_of") for e in entries)
    opening = [
        *by_type.get("contact.offered", ()),
        *(e for kind in TERMINAL_WITHOUT_AGENT for e in by_type.get(f"contact.{kind}", ())),
    ]
    row["direction"] = _first(e.data.get("direction") for e in opening)
    row["language"] = _first(e.data.get("language") for e in opening)


def _lifecycle(row: dict[str, Any], entries: list[Entry], by_type: dict[str, list[Entry]]) -> None:
    offered = by_type.get("contact.offered") or sorted(
        e
        for kind in (*TERMINAL_WITHOUT_AGENT, "recorded")
        for e in by_type.get(f"contact.{kind}", ())
    )
    answered = by_type.get("contact.answered", ())
    row["offered_at"] = offered[0].time if offered else None
    if answered:
        row.update(
            answered_at=answered[0].time,
            agentid=answered[0].body.get("agentid"),
            ring_s=answered[0].data.get("ring_s"),
        )
    row["ended_at"] = contact_end(answered, by_type.get("contact.ended", ()))
    row["outcome"] = _outcome(by_type)
    row["wait_s"] = _between(_wait_end(row, by_type), row["offered_at"])
    _holds(row, [e for e in entries if e.type in ("contact.hold_started", "contact.hold_ended")])
    _wrapup(row, by_type.get("contact.wrapup_completed", ()))
    row["transfers"] = len(by_type.get("contact.transferred", ()))
    row["talk_s"] = _talk(row)
    row["handle_s"] = _handle(row)


def _outcome(by_type: dict[str, list[Entry]]) -> str | None:
    for kind in TERMINAL_WITHOUT_AGENT:
        if f"contact.{kind}" in by_type:
            return kind
    if "contact.answered" in by_type:
        return "answered"
    if "contact.abandoned" in by_type:
        return "abandoned"
    if "contact.ended" in by_type:
        ends = by_type["contact.ended"]
        return unanswered_end(next((e for e in ends if e.data.get("leg") is None), ends[0]).data)
    return None


def contact_end(answers: Any, ends: Any) -> datetime | None:
    """When the contact ended, from its answers and ends (each in timeline order).

    Without ``leg`` on any end it is the earliest end, as it always was. Parts that ran
    beside the others (``data.leg``: a conference, a new task for a transfer) end on their
    own, so the contact lasts until the last of them: the latest of its first end without
    ``leg`` and of each part's first end; it has not ended while its end without ``leg`` is
    missing or an answered part has not ended."""
    plain = next((e.time for e in ends if e.data.get("leg") is None), None)
    parts: dict[str, datetime] = {}
    for end in ends:
        if end.data.get("leg") is not None:
            parts.setdefault(end.data["leg"], end.time)
    answered_parts = {e.data["leg"] for e in answers if e.data.get("leg") is not None}
    if plain is None or not answered_parts <= parts.keys():
        return None
    return max([plain, *parts.values()])


def unanswered_end(end: dict[str, Any]) -> str | None:
    """How a contact (or a queue leg, :mod:`.legs`) that ended without an answer ended, from
    its ``contact.ended`` data: ``timed_out`` when the queue gave up (``timed_out``, or ended
    by the system); None when the agent ended it, since an agent cannot end a contact nobody
    answered, so its answer is missing from the input (a log cut mid-call; a connector that
    sees the call's end emits the answer) and calling it an abandon would inflate the abandon
    rate; otherwise ``abandoned``: the caller left, or the source does not say who ended it,
    which for an unanswered contact almost always means the caller gave up, and dropping it
    would lose the offer."""
    if end.get("timed_out") or end.get("ended_by") == "system":
        return "timed_out"
    return None if end.get("ended_by") == "agent" else "abandoned"


def _wait_end(row: dict[str, Any], by_type: dict[str, list[Entry]]) -> datetime | None:
    if row["outcome"] == "answered":
        return row["answered_at"]
    if row["outcome"] in ("abandoned", "timed_out"):
        abandoned = by_type.get("contact.abandoned")
        return abandoned[0].time if abandoned else row["ended_at"]
    return None


def _holds(row: dict[str, Any], holds: list[Entry]) -> None:
    episodes: list[timedelta] = []
    opened: datetime | None = None
    for entry in holds:
        if entry.type == "contact.hold_started":
            opened = opened or entry.time
        elif opened is not None:
            episodes.append(entry.time - opened)
            opened = None
    if opened is not None and row["ended_at"] is not None and row["ended_at"] >= opened:
        episodes.append(row["ended_at"] - opened)
    if episodes or row["answered_at"] is not None:
        row["hold_s"] = _seconds(sum(episodes, timedelta()))
    row["hold_count"] = len(episodes)
    row["longest_hold_s"] = _seconds(max(episodes)) if episodes else None


def _wrapup(row: dict[str, Any], wrapups: list[Entry]) -> None:
    if not wrapups:
        return
    latest = wrapups[-1]
    row.update(
        wrapup_ended_at=latest.time,
        disposition=latest.data.get("disposition"),
        resolved=latest.data.get("resolved"),
        acw_s=_between(latest.time, row["ended_at"]),
    )


def _talk(row: dict[str, Any]) -> float | None:
    connected = _between(row["ended_at"], row["answered_at"])
    return None if connected is None else max(connected - (row["hold_s"] or 0.0), 0.0)


def _handle(row: dict[str, Any]) -> float | None:
    if row["outcome"] != "answered" or row["ended_at"] is None:
        return None
    return (row["talk_s"] or 0.0) + (row["hold_s"] or 0.0) + (row["acw_s"] or 0.0)


def _summary(row: dict[str, Any], recorded: Entry) -> None:
    data = recorded.data
    row.update({name: parse_time(data[name]) if name in data else None for name in _SUMMARY_TIMES})
    row.update({name: data.get(name, _DEFAULTS[name]) for name in _SUMMARY_MEASURES})
    row.update({name: data[name] for name in _SUMMARY_DESCRIPTIONS if name in data})
    row["agentid"] = recorded.body.get("agentid") or row["agentid"]
    if row["wait_s"] is None:
        end = (
            row["answered_at"]
            if row["outcome"] == "answered"
            else (row["ended_at"] if row["outcome"] in ("abandoned", "timed_out") else None)
        )
        row["wait_s"] = _between(end, row["offered_at"])
    if row["talk_s"] is None:
        row["talk_s"] = _talk(row)
    row["handle_s"] = (
        None
        if row["outcome"] != "answered"
        else ((row["talk_s"] or 0.0) + (row["hold_s"] or 0.0) + (row["acw_s"] or 0.0))
    )


def recorded_legs(recorded: list[Entry]) -> list[Entry]:
    """The latest summary of each ``data.leg`` (``recorded`` is in timeline order), in
    (offered_at, leg) order, so the legs' order does not depend on the arrival order."""
    latest = {entry.data.get("leg"): entry for entry in recorded}
    return sorted(
        latest.values(), key=lambda e: (parse_time(e.data["offered_at"]), e.data.get("leg") or "")
    )


def summary_parts(legs: list[Entry]) -> list[dict[str, Any]]:
    """One fact-shaped row per summarised leg, each folded alone from its own record; every
    leg but the last passed the contact on (a transfer, and an unanswered one left its queue)."""
    parts = []
    for entry in legs:
        part = {**_DEFAULTS, "queue": entry.body.get("queue"), "channel": entry.body.get("channel")}
        _summary(part, entry)
        parts.append(part)
    for part in parts[:-1]:
        part["transfers"] = max(part["transfers"], 1)
        if part["outcome"] in ("abandoned", "timed_out"):
            part["outcome"] = "transferred"
    return parts


def _summaries(row: dict[str, Any], legs: list[Entry]) -> None:
    if len(legs) == 1:
        _summary(row, legs[0])
        return
    parts = summary_parts(legs)
    first, last = parts[0], parts[-1]
    answered = next((part for part in parts if part["outcome"] == "answered"), None)
    row.update(
        {name: first[name] for name in ("offered_at", "wait_s", "first_response_s")},
        queue=first["queue"] or row["queue"],
        outcome="answered" if answered else last["outcome"],
        **{name: (answered or {}).get(name) for name in ("answered_at", "agentid", "ring_s")},
        **{name: last[name] for name in ("ended_at", "wrapup_ended_at", "disposition", "resolved")},
        **{name: _sum(part[name] for part in parts) for name in ("talk_s", "hold_s", "acw_s")},
        hold_count=sum(part["hold_count"] for part in parts),
        transfers=sum(part["transfers"] for part in parts),
        longest_hold_s=max((p["longest_hold_s"] for p in parts if p["longest_hold_s"] is not None), default=None),
    )
    for name in _SUMMARY_DESCRIPTIONS:
        given = _first(entry.data.get(name) for entry in legs)
        if given is not None:
            row[name] = given
    row["handle_s"] = (
        (row["talk_s"] or 0.0) + (row["hold_s"] or 0.0) + (row["acw_s"] or 0.0) if answered else None
    )


def _sum(values: Any) -> float | None:
    given = [value for value in values if value is not None]
    return math.fsum(given) if given else None


def _sales(row: dict[str, Any], sales: Any) -> None:
    amounts = [float(e.data.get("amount", 0.0)) for e in sales]
    # fsum is exactly rounded, so the total cannot depend on the order of the sales.
    row["revenue"], row["sales"] = math.fsum(amounts), len(amounts)
