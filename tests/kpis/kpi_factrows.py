"""Fact rows for engine tests, written the way the projector would for a UTC centre."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from callkpi.projector.buckets import local_buckets


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


UTC_ZONE = ZoneInfo("UTC")


def buckets(at: datetime) -> dict[str, Any]:
    """The projector's own local bucket columns, for the UTC centre these rows belong to."""
    return local_buckets(at, UTC_ZONE)


def contact_row(
    contactid: str,
    offered: str = "2026-01-05T09:00:00",
    outcome: str | None = "answered",
    **columns: Any,
) -> dict[str, Any]:
    at = utc(offered)
    row = {
        "centre": "default",
        "contactid": contactid,
        "queue": "sales",
        "channel": "voice",
        "direction": "inbound",
        "offered_at": at,
        "outcome": outcome,
        **buckets(at),
    }
    return {**row, **columns}


def interval_row(agentid: str, start: str, **columns: Any) -> dict[str, Any]:
    at = utc(start)
    return {"centre": "default", "agentid": agentid, "interval_start": at, **buckets(at), **columns}
