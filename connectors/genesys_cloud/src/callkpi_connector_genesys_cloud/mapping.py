"""One Genesys Cloud conversation → canonical contact lifecycle events.

Read from the analytics conversation detail record (see :mod:`.segments` for the model).

* Direction: ``outbound`` for a dialer campaign's conversation (``outboundCampaignId``
  on a session); else ``originatingDirection``; without it, from the segments: outbound when
  an agent dialled (``dialing``/``contacting``), else the customer session's ``direction``,
  else inbound.
* Skipped previews: a campaign conversation with an ``ININ-OUTBOUND-…-SKIPPED`` wrap-up code
  or disconnect type (the agent or the dialer skipped the preview, nothing was dialled) is
  no contact: no events, counted in the run's notes.
* Offered: each stay in a queue (an ``acd`` participant's interact segment; ``queueId`` is
  the queue) opens a queue leg, the first one at its start; without a queue the
  conversation start (a direct or outbound call). A stay in the same queue right after the
  previous one, with no answer between, is the same leg.
* No queue and no agent but an ``ivr`` participant: ``contact.self_served`` (via ivr).
  An internal call (no customer or external party) that reached no queue is skipped.
* Agents are the ``agent``/``user`` participants who interacted after the call entered its
  first queue; the ``user`` who dialled an internal call is its caller, not an agent. Each
  agent's first interact start is a ``contact.answered`` (``agentid`` = its ``userId``,
  ``ring_s`` = its last alert before answering).
* Between two agents: ``contact.transferred`` by the earlier agent when it handed over (the
  end of its last interact/hold segment before the next answer, no later than the next
  queue stay or answer; kind from that segment's ``disconnectType``), then a
  ``contact.offered`` for each queue stay on the way (``to_queue`` is the first), then the
  next agent's ``contact.answered`` — the canonical leg sequence, all with the same
  ``contactid``. Queue stays after the last agent's answer are a transfer back to a queue,
  ending abandoned or timed out as an unanswered call does.
* Agent ``hold`` segments: ``contact.hold_started`` / ``contact.hold_ended``.
* The end of the agents' last interact or hold segment (a call may end on hold):
  ``contact.ended`` (``ended_by`` from its ``disconnectType``); each agent ``wrapup`` end:
  ``contact.wrapup_completed`` with the ``wrapUpCode`` (renamed through ``wrapup_codes``) as
  disposition. So ACW is the wrap-up alone, never a final hold.
* Queued, never answered: the last queue stay's end is ``contact.abandoned`` (phase ringing
  when an agent was being alerted then), or, when the flow moved it on (a transfer
  ``disconnectType``: voicemail, another flow), ``contact.ended`` by the system, timed out.

Each event carries the queue of its leg. Events come in time order, at equal times in
lifecycle order (a transfer, then the offer in the next queue, then the answer; an end
before a zero-length wrap-up). Event ids are stable: ``gc-`` + conversationId + event kind
(+ participant) + segment start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callkpi.connectors import name_id

from .segments import (
    AGENT_PURPOSES,
    CUSTOMER_PURPOSES,
    DIALLING,
    HANDLING,
    BadConversation,
    Participant,
    Visit,
    campaign_id,
    handling_agents,
    internal,
    internal_callers,
    parse_time,
    participants,
    queue_visits,
    ring_seconds,
)

Event = dict[str, Any]
CHANNELS = {
    "voice": "voice",
    "callback": "voice",
    "chat": "chat",
    "email": "email",
    "video": "video",
    "cobrowse": "video",
    "screenshare": "video",
}
TRANSFER_KINDS = {
    "transfer": "blind",
    "consulttransfer": "attended",
    "conferencetransfer": "attended",
}
ENDED_BY = {
    "peer": "customer",
    "client": "agent",
    "endpoint": "agent",
    "system": "system",
    "error": "system",
    "timeout": "system",
}
DIRECTIONS = ("inbound", "outbound")
UNKNOWN_CALLERS = frozenset({"", "anonymous", "unknown", "restricted", "private", "withheld"})
NOTHING_TO_MAP = "conversations without a queue, an agent or an IVR (skipped)"
INTERNAL = "internal calls between users that reached no queue (skipped)"
SKIPPED_PREVIEW = (
    "outbound previews skipped (ININ-OUTBOUND-…-SKIPPED): never dialled, not contacts (skipped)"
)
# At equal times a wrap-up completes after the end it follows (a zero-length wrap-up).
TIE_ORDER = {"contact.wrapup_completed": 1}


class ConversationMapper:
    """Maps conversations with the config's centre, source and id → name maps."""

    def __init__(self, config: dict[str, Any], notes: Any):
        self.centre: str = config.get("centre", "default")
        self.source_uri: str = config.get("source_uri", "genesys-cloud")
        self.queues: dict[str, str] = config.get("queues", {})
        self.users: dict[str, str] = config.get("users", {})
        self.wrapup_codes: dict[str, str] = config.get("wrapup_codes", {})
        self.notes = notes

    def events(self, conversation: dict[str, Any]) -> list[Event]:
        conversation_id = conversation.get("conversationId")
        if not conversation_id:
            raise BadConversation("conversationId is missing; expected the conversation's id")
        context = _Context(self, conversation, str(conversation_id))
        return context.events()


class _Context:
    """The events of one conversation, built step by step."""

    def __init__(self, mapper: ConversationMapper, conversation: dict[str, Any], cid: str):
        self.mapper, self.cid = mapper, cid
        self.start = parse_time(conversation.get("conversationStart"), "conversationStart")
        self.people = participants(conversation)
        self.campaign = campaign_id(self.people)
        self.visits = queue_visits(self.people)
        self.agents = handling_agents(self.people, self.visits[0].start if self.visits else None)
        self.direction = _direction(conversation, self.campaign, self.agents, self.people)
        self.queue = self._queue()
        self.channel = _channel(self.people)
        self.out: list[Event] = []

    def events(self) -> list[Event]:
        if self.campaign and self._skipped_preview():
            self.mapper.notes[SKIPPED_PREVIEW] += 1
        elif self.visits:
            self._queued()
        elif self.agents and internal(self.people):
            self.mapper.notes[INTERNAL] += 1
        elif self.agents:
            self._emit(
                "contact.offered", "offered", self.start, self._offer_data(), queue=self.queue
            )
            self._handled(self.queue, [])
        elif any(p.purpose == "ivr" for p in self.people):
            self._emit("contact.self_served", "self_served", self.start, self._customer(via="ivr"))
        else:
            self.mapper.notes[NOTHING_TO_MAP] += 1
        return sorted(self.out, key=lambda e: (e["time"], TIE_ORDER.get(e["type"], 0)))

    def _skipped_preview(self) -> bool:
        return any(
            _skip_code(segment.wrapup_code) or _skip_code(segment.disconnect)
            for person in self.people
            for segment in person.segments
        )

    def _queue(self) -> str | None:
        queue_id = next((v.queue_id for v in self.visits if v.queue_id), None)
        queue_id = queue_id or next((a.queue_id() for a in self.agents if a.queue_id()), None)
        return self._queue_name(queue_id)

    def _queue_name(self, queue_id: str | None) -> str | None:
        return self.mapper.queues.get(queue_id, queue_id) if queue_id else None

    def _queued(self) -> None:
        """Queue legs, each answered by the next agent or left unanswered at the end."""
        first = self.visits[0]
        self._emit("contact.offered", "offered", first.start, self._offer_data(), queue=self.queue)
        self._handled(self.queue, self.visits[1:])

    def _handled(self, queue: str | None, visits: list[Visit]) -> None:
        """The agents in turn, then whatever became of the caller after the last one."""
        pending, previous = list(visits), None
        for agent in self.agents:
            queue, pending = self._reach(agent, previous, queue, pending)
            previous = agent
        self._after(previous, queue, pending)

    def _reach(
        self, agent: Participant, previous: Participant | None, queue: str | None, pending: list[Visit]
    ) -> tuple[str | None, list[Visit]]:
        """``agent``'s leg, reached from ``previous`` (a transfer) through the queue stays
        begun before its answer; the queue it answered in and the stays still to come."""
        answered = agent.of("interact")[0].start
        on_the_way = [v for v in pending if v.start <= answered]  # pending is sorted by start
        legs = self._new_legs(on_the_way, queue, requeued=previous is not None)
        if previous is not None:
            legs = legs or self._implied_leg(agent, queue)
            self._transfer(previous, answered, legs, queue, to=agent)
        queue = self._offer_legs(legs, queue)
        self._answer(agent, queue, first=previous is None)
        self._holds(agent, queue)
        self._wrapups(agent, queue)
        return queue, pending[len(on_the_way) :]

    def _after(self, last: Participant | None, queue: str | None, pending: list[Visit]) -> None:
        """The end of the last agent's handling, and queue stays after it (a transfer back
        to a queue) or without any agent, ending abandoned or timed out."""
        legs = self._new_legs(pending, queue, requeued=last is not None)
        if last is not None and legs:
            self._transfer(last, legs[0].start, legs, queue)
        requeued_in = self._offer_legs(legs, queue)
        if last is not None:
            self._end(queue)
        if last is None or legs:
            self._left_unanswered(self.visits, requeued_in)

    def _new_legs(self, visits: list[Visit], queue: str | None, *, requeued: bool) -> list[Visit]:
        """The stays that open a new queue leg: a different queue, or the first after an
        answer; a stay split in two in the same queue stays one leg."""
        legs = []
        for visit in visits:
            name = self._queue_name(visit.queue_id)
            if requeued or name != queue:
                legs.append(visit)
                queue, requeued = name, False
        return legs

    def _implied_leg(self, agent: Participant, queue: str | None) -> list[Visit]:
        """A record that names the next queue only on the agent's segments: that queue's
        leg starts with the agent's first segment."""
        name = self._queue_name(agent.queue_id())
        if name is None or name == queue or agent.first_start is None:
            return []
        return [Visit(agent, agent.queue_id(), agent.first_start, None, None)]

    def _offer_legs(self, legs: list[Visit], queue: str | None) -> str | None:
        for leg in legs:
            queue = self._queue_name(leg.queue_id)
            self._emit(
                "contact.offered",
                "offered",
                leg.start,
                self._offer_data(),
                participant=leg.participant,
                queue=queue,
            )
        return queue

    def _offer_data(self) -> dict[str, Any]:
        return {"direction": self.direction, **self._customer()}

    def _answer(self, agent: Participant, queue: str | None, *, first: bool) -> None:
        ring = ring_seconds(agent)
        self._emit(
            "contact.answered",
            "answered",
            agent.of("interact")[0].start,
            {"ring_s": ring} if ring is not None else {},
            agent=agent,
            participant=None if first else agent,
            queue=queue,
        )

    def _transfer(
        self,
        before: Participant,
        until: datetime,
        legs: list[Visit],
        queue: str | None,
        to: Participant | None = None,
    ) -> None:
        """``before`` hands the caller on: to ``to`` (an agent answering at ``until``)
        and/or into the queues of ``legs``."""
        handing = [s for s in before.of(*HANDLING) if s.start < until] or before.of("interact")
        handover = handing[-1]
        at = min([handover.end or until, until, *(leg.start for leg in legs)])
        data: dict[str, Any] = {
            "kind": TRANSFER_KINDS.get((handover.disconnect or "").lower(), "unknown")
        }
        if to is not None:
            data["to_agent"] = self._agent_id(to)
        if legs:
            data["to_queue"] = self._queue_name(legs[0].queue_id)
        self._emit(
            "contact.transferred",
            "transferred",
            at,
            data,
            agent=before,
            participant=to or legs[0].participant,
            key_time=(to.first_start if to else legs[0].start),
            queue=queue,
        )

    def _holds(self, agent: Participant, queue: str | None) -> None:
        for hold in agent.of("hold"):
            common = {"agent": agent, "participant": agent, "queue": queue}
            self._emit("contact.hold_started", "hold_started", hold.start, {}, **common)
            if hold.end is not None:
                self._emit(
                    "contact.hold_ended", "hold_ended", hold.end, {}, key_time=hold.start, **common
                )

    def _wrapups(self, agent: Participant, queue: str | None) -> None:
        for wrapup in agent.of("wrapup"):
            if wrapup.end is None:
                continue
            code = wrapup.wrapup_code
            data = {"disposition": self.mapper.wrapup_codes.get(code, code)[:128]} if code else {}
            self._emit(
                "contact.wrapup_completed",
                "wrapup",
                wrapup.end,
                data,
                agent=agent,
                participant=agent,
                key_time=wrapup.start,
                queue=queue,
            )

    def _end(self, queue: str | None) -> None:
        """The end of handling: the agents' last interact or hold segment (wrap-up is ACW)."""
        handled = [(s, agent) for agent in self.agents for s in agent.of(*HANDLING)]
        if any(s.end is None for s, _ in handled):
            return  # still talking: the end comes with a later sync
        last, agent = max(handled, key=lambda pair: pair[0].end)
        ended_by = ENDED_BY.get((last.disconnect or "").lower(), "unknown")
        self._emit(
            "contact.ended",
            "ended",
            last.end,
            {"ended_by": ended_by},
            agent=agent,
            key_time=last.start,
            queue=queue,
        )

    def _left_unanswered(self, visits: list[Visit], queue: str | None) -> None:
        """The last queue stay ended without an agent: abandoned, or moved on by the flow."""
        if any(v.end is None for v in visits):
            return  # still queued
        last = max(visits, key=lambda v: v.end)
        if (last.disconnect or "").lower().endswith("transfer"):
            self._emit(
                "contact.ended",
                "ended",
                last.end,
                {"ended_by": "system", "timed_out": True},
                key_time=last.start,
                queue=queue,
            )
            return
        phase = "ringing" if self._alerting_at(last.end) else "queue"
        self._emit(
            "contact.abandoned",
            "abandoned",
            last.end,
            {"phase": phase},
            key_time=last.start,
            queue=queue,
        )

    def _alerting_at(self, moment: datetime) -> bool:
        callers = {p.id for p in internal_callers(self.people)}
        alerts = [
            s
            for p in self.people
            if p.purpose in AGENT_PURPOSES and p.id not in callers
            for s in p.of("alert")
        ]
        return any(s.start <= moment and (s.end is None or s.end >= moment) for s in alerts)

    def _customer(self, **extra: str) -> dict[str, Any]:
        data: dict[str, Any] = dict(extra)
        number = _customer_number(self.people, self.direction)
        if number:
            data["customer"] = number
        return data

    def _agent_id(self, agent: Participant) -> str:
        user = str(agent.user_id or agent.id)
        return name_id(self.mapper.users.get(user, user))

    def _emit(
        self,
        type_: str,
        kind: str,
        at: datetime | None,
        data: dict[str, Any],
        *,
        agent: Participant | None = None,
        participant: Participant | None = None,
        key_time: datetime | None = None,
        queue: str | None = None,
    ) -> None:
        if at is None:
            return
        stamp = _stamp(key_time or at)
        who = f"-{participant.id}" if participant is not None else ""
        event: Event = {
            "specversion": "1.0",
            "id": f"gc-{self.cid}-{kind}{who}-{stamp}",
            "source": self.mapper.source_uri,
            "type": type_,
            "time": at,
            "centre": self.mapper.centre,
            "contactid": self.cid,
            "data": data,
        }
        event.update({k: v for k, v in (("queue", queue), ("channel", self.channel)) if v})
        if agent is not None:
            event["agentid"] = self._agent_id(agent)
        self.out.append(event)


def _skip_code(code: str | None) -> bool:
    """A dialer code saying a preview was skipped and never dialled (ININ-OUTBOUND-PREVIEW-
    SKIPPED, -DNC-SKIPPED, -ZONE-BLOCKED-SKIPPED …)."""
    upper = (code or "").upper()
    return upper.startswith("ININ-OUTBOUND-") and upper.endswith("-SKIPPED")


def _direction(
    conversation: dict[str, Any],
    campaign: str | None,
    agents: list[Participant],
    people: list[Participant],
) -> str:
    if campaign:
        return "outbound"  # a dialer campaign only calls out, whatever else the record says
    given = conversation.get("originatingDirection")
    if given:
        if str(given).lower() not in DIRECTIONS:
            raise BadConversation(
                f"originatingDirection = {given!r}: expected 'inbound' or 'outbound'"
            )
        return str(given).lower()
    if any(agent.of(*DIALLING) for agent in agents):
        return "outbound"
    sides = (
        str(session.get("direction") or "").lower()
        for person in people
        if person.purpose in CUSTOMER_PURPOSES
        for session in person.sessions
    )
    return next((side for side in sides if side in DIRECTIONS), "inbound")


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}Z"


def _channel(people: list[Participant]) -> str | None:
    for person in people:
        for session in person.sessions:
            media = str(session.get("mediaType") or "").lower()
            if media == "message":
                return "sms" if str(session.get("messageType")).lower() == "sms" else "social"
            if media in CHANNELS:
                return CHANNELS[media]
    return None


def _customer_number(people: list[Participant], direction: str) -> str | None:
    field = "dnis" if direction == "outbound" else "ani"
    for person in people:
        if person.purpose not in CUSTOMER_PURPOSES:
            continue
        for session in person.sessions:
            address = str(session.get(field) or "").strip()
            for prefix in ("tel:", "sip:"):
                address = address.removeprefix(prefix)
            if address.casefold() not in UNKNOWN_CALLERS and len(address) <= 64:
                return address
    return None
