"""Canonical callkpi events as plain dicts, built without pydantic (the ingest validates them).

Event ids are ``<prefix>-e<n>`` in the order the simulation emits them, so the same seed
gives the same ids and ingesting a run twice stores it once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

SOURCE = "urn:callkpi:simulator"


def iso(t: float) -> str:
    """Unix seconds as RFC 3339 UTC text, to the millisecond."""
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")


class EventFactory:
    """Builds the events of one simulation run; ``made`` counts them."""

    def __init__(self, prefix: str, centre: str):
        self.prefix = prefix
        self.centre = centre
        self.made = 0

    def event(
        self,
        t: float,
        event_type: str,
        data: dict[str, Any],
        *,
        contactid: str | None = None,
        agentid: str | None = None,
        queue: str | None = None,
        channel: str | None = None,
    ) -> dict[str, Any]:
        """One event; the extension attributes left ``None`` are left out."""
        self.made += 1
        body: dict[str, Any] = {
            "specversion": "1.0",
            "id": f"{self.prefix}-e{self.made}",
            "source": SOURCE,
            "type": event_type,
            "time": iso(t),
            "centre": self.centre,
        }
        if contactid is not None:
            body["contactid"] = contactid
        if agentid is not None:
            body["agentid"] = agentid
        if queue is not None:
            body["queue"] = queue
        if channel is not None:
            body["channel"] = channel
        body["data"] = data
        return body
