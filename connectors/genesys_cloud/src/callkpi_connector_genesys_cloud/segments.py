"""A conversation detail record read as participants and their time-ordered segments.

Genesys Cloud's analytics conversation details nest ``participants[].sessions[].segments[]``;
each participant has a ``purpose`` (customer, external, ivr, acd, agent, user …) and each
segment a ``segmentType`` (alert, interact, hold, wrapup, ivr, dialing …) with
``segmentStart``/``segmentEnd`` (UTC ISO 8601), ``queueId``, ``disconnectType`` and, on
wrap-up, ``wrapUpCode``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

AGENT_PURPOSES = frozenset({"agent", "user"})
CUSTOMER_PURPOSES = frozenset({"customer", "external"})


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


def interacting_agents(people: list[Participant]) -> list[Participant]:
    """Agent participants who talked with the customer, in the order they first did."""
    agents = [p for p in people if p.purpose in AGENT_PURPOSES and p.of("interact")]
    return sorted(agents, key=lambda p: p.of("interact")[0].start)


def ring_seconds(agent: Participant) -> float | None:
    """How long the agent's phone rang before the first interaction (its last alert)."""
    answer = agent.of("interact")[0].start
    alerts = [s for s in agent.of("alert") if s.end is not None and s.end <= answer]
    return (alerts[-1].end - alerts[-1].start).total_seconds() if alerts else None
