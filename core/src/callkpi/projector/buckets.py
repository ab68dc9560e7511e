"""15-minute intervals and the local-time bucket columns of a centre's time zone.

Real UTC offsets are whole multiples of 15 minutes (+05:45, +09:30, -03:30 …), so a
15-minute UTC interval is also exactly one local 15-minute interval; on a 25-hour day
the repeated local hour simply yields local intervals with the same ``local_interval``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

INTERVAL = timedelta(minutes=15)
EMPTY_BUCKETS: dict[str, Any] = dict.fromkeys(
    ("local_date", "local_interval", "local_hour", "local_weekday", "local_week", "local_month")
)


def floor_interval(moment: datetime) -> datetime:
    """The start of the 15-minute interval holding ``moment`` (aware UTC in, aware UTC out)."""
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def ceil_interval(moment: datetime) -> datetime:
    start = floor_interval(moment)
    return start if start == moment else start + INTERVAL


def local_buckets(moment: datetime | None, zone: ZoneInfo) -> dict[str, Any]:
    """The ``LocalBuckets`` columns for ``moment`` in ``zone`` (all None for no moment)."""
    if moment is None:
        return dict(EMPTY_BUCKETS)
    local = moment.astimezone(zone)
    day: date = local.date()
    weekday = local.isoweekday()
    return {
        "local_date": day,
        "local_interval": local.hour * 60 + local.minute - local.minute % 15,
        "local_hour": local.hour,
        "local_weekday": weekday,
        "local_week": day - timedelta(days=weekday - 1),
        "local_month": day.replace(day=1),
    }


@lru_cache(maxsize=4096)
def interval_buckets(start: datetime, zone: ZoneInfo) -> Mapping[str, Any]:
    """``local_buckets`` of an interval start, read-only and remembered: the agents of a
    batch share their intervals, so each is worked out once instead of once per agent."""
    return MappingProxyType(local_buckets(start, zone))
