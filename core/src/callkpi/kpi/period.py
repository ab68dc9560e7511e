"""How many hours of the report period one report row covers (for rates such as ``arrival_rate``).

A row grouped by ``date`` covers that local day: 24 hours, or 23 and 25 on the days
daylight-saving time starts and ends. A row grouped by ``weekday`` covers every such
weekday in the period; by ``week`` or ``month`` the days of it inside the period. A
time-of-day dimension (``interval15`` … ``hour``) narrows each of those days to its
bucket (a quarter hour … one hour; the hour skipped or repeated at a DST change is not
corrected for).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .facts import TIME_OF_DAY_HOURS

_DAY_FILTERS = {
    "date": lambda day, value: day == value,
    "week": lambda day, value: day - timedelta(days=day.weekday()) == value,
    "month": lambda day, value: (day.year, day.month) == (value.year, value.month),
    "weekday": lambda day, value: day.isoweekday() == value,
}


def local_day_hours(day: date, zone: ZoneInfo) -> float:
    """Length of ``day`` in ``zone`` in hours (23 or 25 on daylight-saving changes)."""
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return (end - start).total_seconds() / 3600


def period_hours(
    row: Mapping[str, Any], date_from: date, date_to: date, zone: ZoneInfo
) -> float | None:
    """Hours of ``date_from``…``date_to`` covered by a report row with dimension values ``row``."""
    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    for dimension, keep in _DAY_FILTERS.items():
        if dimension in row:
            if row[dimension] is None:
                return None
            days = [day for day in days if keep(day, _as_date(row[dimension]))]
    widths = [hours for dimension, hours in TIME_OF_DAY_HOURS.items() if dimension in row]
    if widths:
        return min(widths) * len(days)
    return sum(local_day_hours(day, zone) for day in days)


def _as_date(value: Any) -> Any:
    # SQLite without type information hands dates back as ISO text
    return date.fromisoformat(value) if isinstance(value, str) else value
