"""Report periods by name (``yesterday``, ``last-week``, ``last-7-days`` …), as the local
dates they cover in a centre's time zone.

"Today" is the date on the centre's wall clock at ``now``: at 23:30 UTC on a Monday a
centre in Pacific/Auckland is already in Tuesday, one in America/Los_Angeles still in
Monday afternoon. Weeks start on Monday (ISO 8601), as the ``week`` dimension does. A
period is whole local dates: a day that daylight-saving time shortens or lengthens is
still one date, so ``last-week`` is seven dates whatever the clocks did.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_PERIOD = "yesterday"
MAX_DAYS = 3660  # ten years: far beyond any report, and keeps a typo from meaning forever
_LAST_N_DAYS = re.compile(r"^last-(\d+)-days$")

Period = tuple[date, date]
"""First and last local date, inclusive."""


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _last_month(today: date) -> Period:
    end = _month_start(today) - timedelta(days=1)
    return _month_start(end), end


_FIXED: dict[str, Callable[[date], Period]] = {
    "today": lambda today: (today, today),
    "yesterday": lambda today: (today - timedelta(days=1),) * 2,
    "this-week": lambda today: (_week_start(today), today),
    "last-week": lambda today: (
        _week_start(today) - timedelta(days=7),
        _week_start(today) - timedelta(days=1),
    ),
    "this-month": lambda today: (_month_start(today), today),
    "last-month": _last_month,
}
NAMES = (*_FIXED, "last-N-days")
"""Every name accepted, for help texts and error messages."""


class UnknownPeriod(ValueError):
    """A period name that is not one of :data:`NAMES`; the message names what was expected."""


def local_today(zone: ZoneInfo, now: datetime) -> date:
    """The date on the wall clock of ``zone`` at the aware instant ``now``."""
    return now.astimezone(zone).date()


def resolve_period(name: str, zone: ZoneInfo, now: datetime) -> Period:
    """The local dates the period ``name`` covers in ``zone`` at ``now``. ``this-week`` and
    ``this-month`` end today (the part of them that has begun); ``last-N-days`` is the N
    whole days before today, today left out because it is not over."""
    today = local_today(zone, now)
    if name in _FIXED:
        return _FIXED[name](today)
    match = _LAST_N_DAYS.match(name)
    if match is None:
        raise UnknownPeriod(f"{name!r}: not a period; expected one of {', '.join(NAMES)}")
    days = int(match.group(1))
    if not 1 <= days <= MAX_DAYS:
        raise UnknownPeriod(f"{name!r}: expected N between 1 and {MAX_DAYS} in last-N-days")
    return today - timedelta(days=days), today - timedelta(days=1)
