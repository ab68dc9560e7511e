"""Stored event bodies as time-ordered entries: the one sort order every fold uses.

Events at the same instant are common (sources with one-second clocks: an Asterisk call
that is connected and completed within one second), and the order of a tie decides what
holds after it — e.g. whether the agent is on contact or available until their next state
event. A tie is ordered by meaning and by the source's own order, never by the event id (a
content hash): by

1. the fold's rank of the event type (a contact's offer before its answer before its end);
2. the source's own order: events that carry the CloudEvents ``sequence`` extension, by
   ``(source, sequence)`` — a sequence compares only with events of its own source, so
   they are grouped by source (in code-point order of the source) — after those without;
3. for ``agent.state_changed``, by :data:`STATE_TIE_ORDER`: without a sequence, the
   instant is read as a session ending before another begins and as one contact running
   its course, so the state left in force is the one that follows the others;
4. only then by event id, so the same set of events always folds in the same order
   whatever order it arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

# Agent states at one instant without a sequence: logged out first (a session ends before
# the next one begins: a re-login within one second keeps the agent staffed), then a
# contact, its after-contact work, free, and paused last. So a contact shorter than the
# source's clock ends with the agent free, not on contact until their next event
# (issue 24: 18.7 h on contact instead of 1.5 h). The price: two contacts back to back
# within one second read the second as free time, bounded by that contact; a source
# that can tell the order sets ``sequence``.
STATE_TIE_ORDER = ("logged_out", "on_contact", "after_contact_work", "available", "not_ready")
_STATE_TIE_RANK = {state: rank for rank, state in enumerate(STATE_TIE_ORDER)}
AGENT_STATE = "agent.state_changed"
# Events without a sequence sort before the sequenced ones of every source.
_UNSEQUENCED: tuple[str, ...] = ()


class Entry(NamedTuple):
    """One event, keyed for sorting by (time, rank, tie, id); ``tie`` is :func:`tie_key`."""

    time: datetime
    rank: int
    tie: tuple[tuple[str, ...], int]
    id: str
    type: str
    body: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        return self.body.get("data", {})


# A batch parses each time several times (a contact's events share times, and its
# agent's state events are read by both folds); datetimes are immutable, so shareable.
@lru_cache(maxsize=1 << 14)
def parse_time(text: str) -> datetime:
    """An ISO 8601 time with offset (as stored) as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


def tie_key(body: dict[str, Any]) -> tuple[tuple[str, ...], int]:
    """What orders a body among others of the same time and type rank, before its id: the
    source's own order (``(source, sequence)``, or nothing), then the meaning of an agent
    state."""
    sequence = body.get("sequence")
    source_order = _UNSEQUENCED if sequence is None else (body["source"], sequence)
    if body["type"] != AGENT_STATE:
        return source_order, 0
    return source_order, _STATE_TIE_RANK.get(body["data"]["state"], len(STATE_TIE_ORDER))


def entry(body: dict[str, Any], ranks: Mapping[str, int]) -> Entry:
    """``body`` as an :class:`Entry` ranked by ``ranks`` (an unlisted type ranks last)."""
    return Entry(
        parse_time(body["time"]), ranks.get(body["type"], len(ranks)), tie_key(body),
        body["id"], body["type"], body,
    )


def timeline(bodies: Iterable[dict[str, Any]], ranks: Mapping[str, int]) -> list[Entry]:
    """Sort bodies by (time, rank, tie, id) and drop repeated ids (a re-sent event counts once)."""
    entries = sorted(entry(b, ranks) for b in bodies)
    return [e for i, e in enumerate(entries) if i == 0 or e.id != entries[i - 1].id]
