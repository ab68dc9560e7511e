"""Folding one contact's events into its ``fact_contact_leg`` rows (a pure function).

The canonical leg contract (DESIGN.md "Facts"): a contact's events, in (time, type rank, id)
order, are walked once.

* A ``contact.offered`` opens a QUEUE leg in its ``queue`` (an offer in the queue whose leg
  is still open is the same leg). The leg's wait ends at the next ``contact.answered``
  (outcome answered), ``contact.abandoned`` (abandoned), ``contact.ended`` (timed out,
  abandoned, or, ended by an agent, left without an outcome: :func:`.contacts.unanswered_end`) or
  ``contact.transferred`` / an offer in another queue (transferred: it left that queue).
* A ``contact.answered`` opens an AGENT leg for its ``agentid`` (a second answer by the agent
  already connected is the same leg), answering the open queue leg. It ends at a
  ``contact.transferred`` (outcome transferred, with ``kind``, ``to_queue``, ``to_agent``), at
  an answer by another agent (completed; a transfer by this agent that follows, as in an
  attended transfer whose target picked up first, still marks it transferred) or at the
  first ``contact.ended`` (completed).
* Hold episodes pair ``hold_started`` / ``hold_ended`` in time order, as for the contact.
  Each belongs to the agent leg of the agent its start names, else to the leg connected when
  it started; an episode still open when its leg was passed on ends there, one still open
  at the contact's end ends with it (dropped while the contact lasts).
* A ``contact.wrapup_completed`` is the ACW of its agent's last leg that had ended by then
  (else of the agent's last leg; without an agent, or of an agent with no leg, the same over
  every agent leg); the latest one of a leg wins, ACW = wrap-up − leg end.
* talk = (leg end − answer) − hold, handle = talk + hold + ACW once the leg has ended.
* A leg is in the local interval it was offered in: a queue leg's offer; an agent leg's is
  the offer of the queue leg it answered, else (the first agent leg) the contact's offer,
  else the last transfer that routed the contact on, else its own answer.
* A ``contact.recorded`` summary is authoritative for the contact, so its legs come from the
  contact's fact row: one queue leg, and one agent leg when answered (transferred when the
  summary counts a transfer). Summaries with different ``data.leg`` (one record per leg: an
  Amazon Connect transfer chain, a CSV row per leg) give those legs per record, in
  (offered_at, leg) order, each from its own fields (:func:`.contacts.summary_parts`): every
  record but the last was passed on, so its agent leg is transferred (kind unknown) and,
  unanswered, its queue leg left ``transferred``.
* A contact that never queued (blocked, setup_failed, self_served) has no legs.

Without transfers a contact has one queue leg and at most one agent leg whose numbers are
the contact's own, so queue and agent KPIs over legs equal those over contacts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from ..store.tables import ContactLegFact
from .buckets import local_buckets
from .contacts import recorded_legs, summary_parts, unanswered_end
from .timeline import Entry

LEG_COLUMNS = tuple(column.name for column in ContactLegFact.__table__.columns)
_DEFAULTS: dict[str, Any] = {**dict.fromkeys(LEG_COLUMNS), "hold_count": 0}
_FROM_CONTACT = ("channel", "direction", "language")
_NEVER_QUEUED = ("blocked", "setup_failed", "self_served")
_HOLDS = ("contact.hold_started", "contact.hold_ended")


def fold_legs(
    contact: dict[str, Any], entries: list[Entry], zone: ZoneInfo
) -> list[dict[str, Any]]:
    """The leg rows of the contact whose fact row is ``contact``, from its sorted events."""
    if contact["outcome"] in _NEVER_QUEUED:
        return []
    recorded = recorded_legs([entry for entry in entries if entry.type == "contact.recorded"])
    if len(recorded) > 1:
        legs = [leg for part in summary_parts(recorded) for leg in summary_legs(part)]
    elif recorded:
        legs = summary_legs(contact)
    else:
        legs = _Walk(contact, entries).legs()
    shared = {name: contact[name] for name in ("centre", "contactid", *_FROM_CONTACT)}
    return [
        {**_DEFAULTS, **leg, **shared, "seq": seq, **local_buckets(leg["offered_at"], zone)}
        for seq, leg in enumerate(legs)
    ]


def _seconds(span: timedelta) -> float:
    return max(span.total_seconds(), 0.0)


def _between(later: datetime | None, earlier: datetime | None) -> float | None:
    return None if later is None or earlier is None else _seconds(later - earlier)


class _Walk:
    """One pass over a contact's lifecycle events, opening and closing legs as it goes."""

    def __init__(self, contact: dict[str, Any], entries: list[Entry]) -> None:
        self.contact = contact
        self.entries = entries
        self.queue_legs: list[dict[str, Any]] = []
        self.agent_legs: list[dict[str, Any]] = []
        self.waiting: dict[str, Any] | None = None  # the open queue leg
        self.connected: dict[str, Any] | None = None  # the open agent leg
        self.parts: dict[str, dict[str, Any]] = {}  # open agent legs beside it, by data.leg
        self.routed_at: datetime | None = None  # the last transfer: offers a direct agent leg
        self.ended_at: datetime | None = None

    def legs(self) -> list[dict[str, Any]]:
        steps = {
            "contact.offered": self._offered,
            "contact.answered": self._answered,
            "contact.transferred": self._transferred,
            "contact.abandoned": self._abandoned,
            "contact.ended": self._ended,
        }
        for entry in self.entries:
            step = steps.get(entry.type)
            if step is not None:
                step(entry)
        self._holds([e for e in self.entries if e.type in _HOLDS])
        self._wrapups([e for e in self.entries if e.type == "contact.wrapup_completed"])
        for leg in self.agent_legs:
            _durations(leg)
        # sorted() is stable and the walk deterministic, so equal starts keep one order
        legs = sorted(self.queue_legs + self.agent_legs, key=itemgetter("_start"))
        for leg in legs:
            del leg["_start"], leg["_part"]
        return legs

    def _leave_queue(self, at: datetime, outcome: str) -> None:
        if self.waiting is not None:
            self.waiting.update(ended_at=at, outcome=outcome, wait_s=_between(at, self.waiting["offered_at"]))
            self.waiting = None

    def _end_agent(self, at: datetime) -> None:
        if self.connected is not None:
            self.connected.update(ended_at=at, outcome=self.connected["outcome"] or "completed")
            self.connected = None

    def _end_part(self, part: str, at: datetime) -> None:
        leg = self.parts.pop(part)
        leg.update(ended_at=at, outcome=leg["outcome"] or "completed")

    def _offered(self, entry: Entry) -> None:
        queue = entry.body.get("queue") or (None if self.queue_legs else self.contact["queue"])
        part = entry.data.get("leg")
        if self.waiting is not None and (self.waiting["queue"], self.waiting["_part"]) == (queue, part):
            return
        self._leave_queue(entry.time, "transferred")
        self.waiting = {
            **_DEFAULTS, "leg": "queue", "queue": queue, "offered_at": entry.time, "_start": entry.time,
            "_part": part,
        }
        self.queue_legs.append(self.waiting)

    def _answered(self, entry: Entry) -> None:
        agent, part = entry.body.get("agentid"), entry.data.get("leg")
        if part is not None:
            if part in self.parts:  # the part's agent answered again
                return
        elif self.connected is not None and self.connected["agentid"] == agent:
            return
        else:  # the contact moved on to this agent: who had it is done
            self._end_agent(entry.time)
        answering = self.waiting
        if answering is not None:
            answering["agentid"] = agent
        self._leave_queue(entry.time, "answered")
        leg = {
            **_DEFAULTS,
            "leg": "agent",
            "agentid": agent,
            "queue": answering["queue"] if answering else entry.body.get("queue") or self._last_queue(),
            "offered_at": self._agent_offered_at(answering, entry.time),
            "answered_at": entry.time,
            "ring_s": entry.data.get("ring_s"),
            "_start": entry.time,
            "_holds": [],
            "_part": part,
        }
        if part is None:
            self.connected = leg
        else:  # beside the agents already on the contact (a consult, a conference)
            self.parts[part] = leg
        self.routed_at = None  # a transfer routes the contact to one next agent
        self.agent_legs.append(leg)

    def _agent_offered_at(self, answering: dict[str, Any] | None, answered: datetime) -> datetime | None:
        if answering is not None:
            return answering["offered_at"]
        if not self.agent_legs:
            return self.contact["offered_at"]  # never offered (outbound): no interval, as the contact
        # passed on without a queue: offered by the transfer, or (the target picked up first) now
        return self.routed_at or answered

    def _last_queue(self) -> str | None:
        return self.queue_legs[-1]["queue"] if self.queue_legs else self.contact["queue"]

    def _transferred(self, entry: Entry) -> None:
        self.routed_at = entry.time
        agent = entry.body.get("agentid")
        leg = self.connected
        if agent is not None and (leg is None or leg["agentid"] != agent):
            # an agent beside the others hands over, or the target answered first (attended,
            # consult): the transfer is still this agent's
            open_parts = [g for g in self.parts.values() if g["agentid"] == agent]
            leg = (open_parts or [g for g in self.agent_legs if g["agentid"] == agent] or [None])[-1]
        if leg is None:
            if not self._leads_into_waiting(entry):
                self._leave_queue(entry.time, "transferred")
            return
        data = entry.data
        leg.update(
            outcome="transferred",
            transfer_kind=data.get("kind", "unknown"),
            to_queue=data.get("to_queue"),
            to_agent=data.get("to_agent"),
        )
        if leg is self.connected:
            self._end_agent(entry.time)
        elif leg["_part"] is not None and leg["ended_at"] is None:
            self._end_part(leg["_part"], entry.time)

    def _ends_a_past_agent_part(self, end: Entry) -> bool:
        """Whether ``end`` is the end of the part of an agent who already handed the contact
        back to a queue, where it still waits (Genesys Cloud ends a transferring agent's
        segments so): the contact goes on, so its waiting queue leg is not closed."""
        agent = end.body.get("agentid")
        on_contact = {leg["agentid"] for leg in (self.connected, *self.parts.values()) if leg is not None}
        return self.waiting is not None and agent is not None and agent not in on_contact

    def _leads_into_waiting(self, transfer: Entry) -> bool:
        """Whether the open queue leg is the one ``transfer`` leads into: offered at the same
        instant in its ``to_queue`` (a re-queue after a timeout logged in the same second). The
        type rank sorts that offer before the transfer, which must not close it again."""
        waiting, to_queue = self.waiting, transfer.data.get("to_queue")
        return (
            waiting is not None
            and waiting["offered_at"] == transfer.time
            and to_queue in (None, waiting["queue"])
        )

    def _abandoned(self, entry: Entry) -> None:
        self._leave_queue(entry.time, "abandoned")

    def _ended(self, entry: Entry) -> None:
        part = entry.data.get("leg")
        if part is not None:  # one part ends (an agent left the conference); the contact goes on
            self._end_waiting(entry, part)
            if part in self.parts:
                self._end_part(part, entry.time)
            return
        if self.ended_at is not None or self._ends_a_past_agent_part(entry):
            return
        self.ended_at = entry.time
        self._end_waiting(entry, None)
        self._end_agent(entry.time)

    def _end_waiting(self, end: Entry, part: str | None) -> None:
        """An end closes the waiting queue leg of its own part only: a part's own queue
        (a new task for a transfer) is not ended by the end of the contact's first task."""
        outcome = unanswered_end(end.data)
        if outcome is not None and self.waiting is not None and self.waiting["_part"] == part:
            self._leave_queue(end.time, outcome)

    def _holds(self, holds: list[Entry]) -> None:
        opened: Entry | None = None
        for entry in holds:
            if entry.type == "contact.hold_started":
                opened = opened or entry
            elif opened is not None:
                self._hold(opened, entry.time)
                opened = None
        if opened is not None:
            self._hold(opened, None)

    def _hold(self, started: Entry, ended: datetime | None) -> None:
        leg = self._leg_of(started)
        if leg is None:
            return
        part = leg["_part"]
        if leg["ended_at"] is not None and (leg["ended_at"] != self.ended_at or part is not None):
            # handed on (or left) mid-hold: for this agent the hold ended when they left
            ended = leg["ended_at"] if ended is None else min(ended, leg["ended_at"])
        elif ended is None and part is None:
            ended = self.ended_at
        if ended is not None and ended >= started.time:
            leg["_holds"].append(ended - started.time)

    def _leg_of(self, entry: Entry) -> dict[str, Any] | None:
        agent = entry.body.get("agentid")
        before = [leg for leg in self.agent_legs if leg["answered_at"] <= entry.time]
        own = [leg for leg in before if leg["agentid"] == agent] if agent is not None else []
        if own:
            return own[-1]
        if before:
            return before[-1]
        return next((leg for leg in self.agent_legs if leg["agentid"] == agent), None)

    def _wrapups(self, wrapups: list[Entry]) -> None:
        for entry in wrapups:  # in time order: the latest of each leg wins
            agent, part = entry.body.get("agentid"), entry.data.get("leg")
            own = (
                [leg for leg in self.agent_legs if part is not None and leg["_part"] == part]
                or [leg for leg in self.agent_legs if leg["agentid"] == agent]
                or self.agent_legs
            )
            # an agent who took the contact again wraps each of their legs up after it ended
            ended = [leg for leg in own if leg["ended_at"] is not None and leg["ended_at"] <= entry.time]
            if ended or own:
                (ended or own)[-1]["wrapup_ended_at"] = entry.time


def _durations(leg: dict[str, Any]) -> None:
    episodes: list[timedelta] = leg.pop("_holds")
    leg["hold_s"] = _seconds(sum(episodes, timedelta()))
    leg["hold_count"] = len(episodes)
    leg["longest_hold_s"] = _seconds(max(episodes)) if episodes else None
    leg["acw_s"] = _between(leg["wrapup_ended_at"], leg["ended_at"])
    connected = _between(leg["ended_at"], leg["answered_at"])
    leg["talk_s"] = None if connected is None else max(connected - leg["hold_s"], 0.0)
    if leg["ended_at"] is not None:
        leg["handle_s"] = leg["talk_s"] + leg["hold_s"] + (leg["acw_s"] or 0.0)


def summary_legs(contact: dict[str, Any]) -> list[dict[str, Any]]:
    """The legs of a summarised contact: its queue and, answered, its agent, from its fact row
    (without ``seq`` and buckets, which :func:`fold_legs` adds)."""
    if contact["offered_at"] is None and contact["answered_at"] is None:
        return []
    queue_leg = {
        "leg": "queue",
        "queue": contact["queue"],
        "agentid": contact["agentid"] if contact["outcome"] == "answered" else None,
        "offered_at": contact["offered_at"],
        "answered_at": contact["answered_at"],
        "ended_at": contact["answered_at"] if contact["outcome"] == "answered" else contact["ended_at"],
        "outcome": contact["outcome"],
        "wait_s": contact["wait_s"],
    }
    if contact["outcome"] != "answered":
        return [queue_leg]
    transferred = contact["transfers"] > 0
    agent_leg = {
        "leg": "agent",
        **{name: contact[name] for name in ("queue", "agentid", "offered_at", "answered_at", "ended_at")},
        "wrapup_ended_at": contact["wrapup_ended_at"],
        "outcome": "transferred" if transferred else "completed",
        "transfer_kind": "unknown" if transferred else None,
        **{
            name: contact[name]
            for name in ("ring_s", "talk_s", "hold_s", "hold_count", "longest_hold_s", "acw_s", "handle_s")
        },
    }
    return [queue_leg, agent_leg]
