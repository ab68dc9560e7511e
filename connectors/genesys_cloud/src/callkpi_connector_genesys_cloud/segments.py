"""A conversation detail record read as participants and their time-ordered segments.

Genesys Cloud's analytics conversation details (``AnalyticsConversationWithoutAttributes``
in the platform API models: ``originatingDirection``, ``participants[]``) nest
``participants[].sessions[].segments[]``. Each participant (``AnalyticsParticipant``) has a
``purpose`` (customer, external, ivr, acd, agent, user, …) and a ``userId``; each session
(``AnalyticsSession``) a ``mediaType``, ``direction``, ``ani``/``dnis`` and, on dialer
calls, ``outboundCampaignId``; each segment (``AnalyticsConversationSegment``) a
``segmentType`` (alert, interact, hold, wrapup, ivr, dialing, contacting, …) with
``segmentStart``/``segmentEnd`` (UTC ISO 8601), ``queueId``, ``disconnectType`` and, on
wrap-up, ``wrapUpCode``.

Who is who: an ``acd`` participant's interact segments are the stays in a queue; the
agents are the ``agent``/``user`` participants who interacted after the call entered its
first queue. A ``user`` who dialled (a ``dialing``/``contacting`` segment or an outbound
session) in a conversation without a customer or external party is the caller of an
internal call, not an agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

AGENT_PURPOSES = frozenset({"agent", "user"})
CUSTOMER_PURPOSES = frozenset({"customer", "external"})
DIALLING = ("dialing", "contacting")
HANDLING = ("interact", "hold")
"""The segments an agent spends with the caller; wrap-up comes after them."""


class BadConversation(ValueError):
    """A conversation record that cannot be read; the message names the field and value."""


@dataclass(frozen=True)
class Segment:
    kind: str
    start: datetime
    end: datetime | None
    queue_id: str | None
    disconnect: str | None
    wrapup_code: str | None


@dataclass(frozen=True)
class Participant:
    id: str
    purpose: str
    user_id: str | None
    sessions: tuple[dict[str, Any], ...]
    segments: tuple[Segment, ...]

    def of(self, *kinds: str) -> list[Segment]:
        return [segment for segment in self.segments if segment.kind in kinds]

    @property
    def first_start(self) -> datetime | None:
        return self.segments[0].start if self.segments else None

    def queue_id(self) -> str | None:
        return next((s.queue_id for s in self.segments if s.queue_id), None)

    def dialled(self) -> bool:
        """Whether this participant placed the call: it dialled, or its session goes out."""
        return bool(self.of(*DIALLING)) or any(
            str(session.get("direction") or "").lower() == "outbound" for session in self.sessions
        )


@dataclass(frozen=True)
class Visit:
    """One stay in a queue: an ``acd`` participant's interact segment (or, when a record
    names the queue only on the agent's segments, the agent's first segment)."""

    participant: Participant
    queue_id: str | None
    start: datetime
    end: datetime | None
    disconnect: str | None


def parse_time(value: Any, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise BadConversation(
            f"{where} = {value!r}: expected an ISO 8601 UTC time such as '2025-10-26T09:00:00.000Z'"
        )
    return parsed.astimezone(UTC)


def participants(conversation: dict[str, Any]) -> list[Participant]:
    """The conversation's participants, each with its segments sorted by start."""
    result = []
    for index, raw in enumerate(conversation.get("participants") or ()):
        where = f"participants[{index}]"
        sessions = tuple(raw.get("sessions") or ())
        segments = [
            _segment(segment, f"{where}.sessions[{s}].segments[{k}]")
            for s, session in enumerate(sessions)
            for k, segment in enumerate(session.get("segments") or ())
        ]
        result.append(
            Participant(
                id=str(raw.get("participantId") or index),
                purpose=str(raw.get("purpose") or "").lower(),
                user_id=raw.get("userId"),
                sessions=sessions,
                segments=tuple(sorted(segments, key=lambda s: (s.start, s.kind))),
            )
        )
    return result


def _segment(raw: dict[str, Any], where: str) -> Segment:
    end = raw.get("segmentEnd")
    return Segment(
        kind=str(raw.get("segmentType") or "").lower(),
        start=parse_time(raw.get("segmentStart"), f"{where}.segmentStart"),
        end=parse_time(end, f"{where}.segmentEnd") if end else None,
        queue_id=raw.get("queueId"),
        disconnect=raw.get("disconnectType"),
        wrapup_code=raw.get("wrapUpCode"),
    )


def queue_visits(people: list[Participant]) -> list[Visit]:
    """Every stay in a queue, in the order they began."""
    visits = [
        Visit(person, segment.queue_id, segment.start, segment.end, segment.disconnect)
        for person in people
        if person.purpose == "acd"
        for segment in person.of("interact")
    ]
    return sorted(visits, key=lambda visit: visit.start)


def internal(people: list[Participant]) -> bool:
    """No customer or external party takes part: a call between users (maybe via a queue)."""
    return not any(person.purpose in CUSTOMER_PURPOSES for person in people)


def internal_callers(people: list[Participant]) -> list[Participant]:
    """The users who placed an internal call: the caller side, never its agents."""
    if not internal(people):
        return []
    return [person for person in people if person.purpose == "user" and person.dialled()]


def handling_agents(people: list[Participant], queued_at: datetime | None) -> list[Participant]:
    """The agents who talked with the caller, in the order they first did: ``agent``/``user``
    participants who interacted — at or after ``queued_at`` (the start of the first queue
    stay) when the call was queued — except the caller of an internal call."""
    callers = {person.id for person in internal_callers(people)}
    agents = [
        person
        for person in people
        if person.purpose in AGENT_PURPOSES
        and person.id not in callers
        and person.of("interact")
        and (queued_at is None or person.of("interact")[0].start >= queued_at)
    ]
    return sorted(agents, key=lambda person: person.of("interact")[0].start)


def campaign_id(people: list[Participant]) -> str | None:
    """The dialer campaign the conversation belongs to (``outboundCampaignId``), if any."""
    return next(
        (
            str(session["outboundCampaignId"])
            for person in people
            for session in person.sessions
            if session.get("outboundCampaignId")
        ),
        None,
    )


def ring_seconds(agent: Participant) -> float | None:
    """How long the agent's phone rang before the first interaction (its last alert)."""
    answer = agent.of("interact")[0].start
    alerts = [s for s in agent.of("alert") if s.end is not None and s.end <= answer]
    return (alerts[-1].end - alerts[-1].start).total_seconds() if alerts else None
