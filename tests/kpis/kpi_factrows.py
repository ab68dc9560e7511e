"""Fact rows for engine tests, written the way the projector would for a UTC centre."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def buckets(at: datetime) -> dict[str, Any]:
    """The projector's local bucket columns for a UTC centre."""
    day = at.date()
    return {
        "local_date": day,
        "local_interval": at.hour * 60 + at.minute // 15 * 15,
        "local_hour": at.hour,
        "local_weekday": day.isoweekday(),
        "local_week": day - timedelta(days=day.weekday()),
        "local_month": day.replace(day=1),
    }


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
