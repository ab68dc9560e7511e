"""One Genesys Cloud conversation → canonical contact lifecycle events.

* Offered: the first ``acd`` participant's interact segment start (its ``queueId`` is the
  queue), or the conversation start when no queue was involved (a direct or outbound call).
* No queue and no agent but an ``ivr`` participant: ``contact.self_served`` (via ivr).
* The first agent who interacted: ``contact.answered`` at that interact start, ``agentid``
  = its ``userId``, ``ring_s`` = its last alert before answering.
* Each later interacting agent: ``contact.transferred`` at its first segment, by the agent
  before it (kind from that agent's ``disconnectType``).
* Agent ``hold`` segments: ``contact.hold_started`` / ``contact.hold_ended``.
* The end of the last agent interact segment: ``contact.ended`` (``ended_by`` from its
  ``disconnectType``); each agent ``wrapup`` end: ``contact.wrapup_completed`` with the
  ``wrapUpCode`` (renamed through ``wrapup_codes``) as disposition.
* Queued, never answered: the acd segment's end is ``contact.abandoned`` (phase ringing
  when an agent was being alerted then), or, when the flow moved it on (a transfer
  ``disconnectType``: voicemail, another flow), ``contact.ended`` by the system, timed out.

Event ids are stable: ``gc-`` + conversationId + event kind (+ participant) + segment start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callkpi.connectors import name_id

from .segments import (
    AGENT_PURPOSES,
    CUSTOMER_PURPOSES,
    BadConversation,
    Participant,
    interacting_agents,
    parse_time,
    participants,
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
UNKNOWN_CALLERS = frozenset({"", "anonymous", "unknown", "restricted", "private", "withheld"})
NOTHING_TO_MAP = "conversations without a queue, an agent or an IVR (skipped)"


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
        self.direction = (
            "outbound" if conversation.get("originatingDirection") == "outbound" else "inbound"
        )
        self.acd = [p for p in self.people if p.purpose == "acd" and p.of("interact")]
        self.agents = interacting_agents(self.people)
        self.queue = self._queue()
        self.channel = _channel(self.people)
        self.out: list[Event] = []

    def events(self) -> list[Event]:
        if self.acd or self.agents:
            self._offer()
            if self.agents:
                self._handled()
            else:
                self._unanswered()
        elif any(p.purpose == "ivr" for p in self.people):
            self._emit("contact.self_served", "self_served", self.start, self._customer(via="ivr"))
        else:
            self.mapper.notes[NOTHING_TO_MAP] += 1
        return self.out

    def _queue(self) -> str | None:
        queue_id = next((p.queue_id() for p in (*self.acd, *self.agents) if p.queue_id()), None)
        return self.mapper.queues.get(queue_id, queue_id) if queue_id else None

    def _offer(self) -> None:
        at = self.acd[0].of("interact")[0].start if self.acd else self.start
        data = {"direction": self.direction, **self._customer()}
        self._emit("contact.offered", "offered", at, data)

    def _handled(self) -> None:
        first = self.agents[0]
        ring = ring_seconds(first)
        answered = first.of("interact")[0].start
        self._emit(
            "contact.answered",
            "answered",
            answered,
            {"ring_s": ring} if ring is not None else {},
            agent=first,
        )
        for before, after in zip(self.agents, self.agents[1:], strict=False):
            self._transfer(before, after)
        for agent in self.agents:
            self._holds(agent)
            self._wrapups(agent)
        self._end()

    def _transfer(self, before: Participant, after: Participant) -> None:
        how = (before.of("interact")[-1].disconnect or "").lower()
        data: dict[str, Any] = {"kind": TRANSFER_KINDS.get(how, "unknown")}
        data["to_agent"] = self._agent_id(after)
        if after.queue_id():
            data["to_queue"] = self.mapper.queues.get(after.queue_id(), after.queue_id())
        self._emit(
            "contact.transferred",
            "transferred",
            after.first_start,
            data,
            agent=before,
            participant=after,
        )

    def _holds(self, agent: Participant) -> None:
        for hold in agent.of("hold"):
            self._emit(
                "contact.hold_started",
                "hold_started",
                hold.start,
                {},
                agent=agent,
                participant=agent,
            )
            if hold.end is not None:
                self._emit(
                    "contact.hold_ended",
                    "hold_ended",
                    hold.end,
                    {},
                    agent=agent,
                    participant=agent,
                    key_time=hold.start,
                )

    def _wrapups(self, agent: Participant) -> None:
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
            )

    def _end(self) -> None:
        talks = [s for agent in self.agents for s in agent.of("interact")]
        if any(s.end is None for s in talks):
            return  # still talking: the end comes with a later sync
        last = max(talks, key=lambda s: s.end)
        ended_by = ENDED_BY.get((last.disconnect or "").lower(), "unknown")
        self._emit(
            "contact.ended",
            "ended",
            last.end,
            {"ended_by": ended_by},
            agent=self.agents[-1],
            key_time=last.start,
        )

    def _unanswered(self) -> None:
        waits = [s for p in self.acd for s in p.of("interact")]
        if any(s.end is None for s in waits):
            return  # still queued
        last = max(waits, key=lambda s: s.end)
        if (last.disconnect or "").lower().endswith("transfer"):
            self._emit(
                "contact.ended",
                "ended",
                last.end,
                {"ended_by": "system", "timed_out": True},
                key_time=last.start,
            )
            return
        phase = "ringing" if self._alerting_at(last.end) else "queue"
        self._emit(
            "contact.abandoned", "abandoned", last.end, {"phase": phase}, key_time=last.start
        )

    def _alerting_at(self, moment: datetime) -> bool:
        alerts = [s for p in self.people if p.purpose in AGENT_PURPOSES for s in p.of("alert")]
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
        event.update({k: v for k, v in (("queue", self.queue), ("channel", self.channel)) if v})
        if agent is not None:
            event["agentid"] = self._agent_id(agent)
        self.out.append(event)


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
