"""Stored event bodies as time-ordered entries: the one sort order every fold uses.

Ties are broken by a fixed rank per type, then by event id, so the same set of events
always folds in the same order whatever order they arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple


class Entry(NamedTuple):
    """One event, keyed for sorting by (time, rank, id)."""

    time: datetime
    rank: int
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


def timeline(bodies: Iterable[dict[str, Any]], ranks: Mapping[str, int]) -> list[Entry]:
    """Sort bodies by (time, rank, id) and drop repeated ids (a re-sent event counts once)."""
    entries = sorted(
        Entry(parse_time(b["time"]), ranks.get(b["type"], len(ranks)), b["id"], b["type"], b)
        for b in bodies
    )
    return [e for i, e in enumerate(entries) if i == 0 or e.id != entries[i - 1].id]
