"""Quiet hours in the customer's own time: when a survey SMS may be sent.

A number's time zones come from ``phonenumbers``; a country or area code spanning several
zones (a US number without a known area, Australia, Russia) gives several, and a message
may go only when it is inside the allowed window in *every* one of them: the most
restrictive reading, so nobody is woken up. Windows are ``[start, end)`` in local time,
so DST changes are handled by the zone rules, not by fixed offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from phonenumbers import timezone as phone_timezones
from sqlalchemy import Connection

from callkpi.store.centres import load_centres

from .config import QuietHours

SEARCH_DAYS = 8  # a window opens within a week in every zone, unless the zones share none
MAX_ROUNDS = 64  # each round jumps to a later opening; the 8-day limit ends the search long before


def next_allowed(when: datetime, zones: Sequence[ZoneInfo], quiet: QuietHours) -> datetime:
    """The earliest instant at or after ``when`` that is inside the allowed window in every
    zone of ``zones`` (UTC when empty), in UTC. A naive ``when`` is UTC (as SQLite returns
    stored times). Zones so far apart that their windows never overlap fall back to the
    first zone alone, so a message is delayed, never lost."""
    zones = list(zones) or [ZoneInfo("UTC")]
    when = as_utc(when)
    candidate = when
    for _ in range(MAX_ROUNDS):
        later = max(_next_opening(candidate, zone, quiet) for zone in zones)
        if later == candidate:
            return candidate
        if later - when > timedelta(days=SEARCH_DAYS):
            break
        candidate = later
    return _next_opening(when, zones[0], quiet)


def is_allowed(when: datetime, zone: ZoneInfo, quiet: QuietHours) -> bool:
    """Whether ``when`` (naive: UTC) is inside the allowed window of its local day in ``zone``."""
    local = as_utc(when).astimezone(zone)
    start, end = quiet.window(local.weekday())
    return start <= local.time() < end


def as_utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive datetime is taken to be UTC already."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _next_opening(when: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """``when`` if allowed in ``zone``, else the start of the next allowed window there (UTC)."""
    if is_allowed(when, zone, quiet):
        return when
    today = when.astimezone(zone).date()
    for offset in range(SEARCH_DAYS):
        opening = _window_start(today + timedelta(days=offset), zone, quiet)
        if opening > when:
            return opening
    raise AssertionError("every day has a window, so one opens within a week")


def _window_start(day: date, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    start, _ = quiet.window(day.weekday())
    local = datetime.combine(day, start, tzinfo=zone)
    # a start inside a DST gap (02:30 on a spring-forward night) is read with the offset
    # before the change, i.e. 03:30 summer time: still the first allowed minute that day
    return local.astimezone(UTC)


def number_zones(e164: str) -> list[str]:
    """The IANA time zones of an E.164 number (``["Europe/Amsterdam"]``); ``[]`` when the
    number is unreadable or its zone unknown."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return []
    names = phone_timezones.time_zones_for_number(number)
    return [name for name in names if name in _known_zones()]


def first_known_zones(*candidates: Sequence[str | None]) -> list[ZoneInfo]:
    """The zones of the first of ``candidates`` (lists of IANA names) with a valid name, else
    UTC: ``first_known_zones(number_zones(e164), [centre_timezone], [fallback])`` is the
    customer's zones, the centre's when the number's are unknown."""
    for names in candidates:
        zones = zone_infos([name for name in names if name])
        if zones:
            return zones
    return [ZoneInfo("UTC")]


def zone_infos(names: Sequence[str]) -> list[ZoneInfo]:
    """The ``ZoneInfo`` of each valid name in ``names``; unknown names are left out."""
    zones = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return zones


@cache
def _known_zones() -> set[str]:
    return available_timezones()


def centre_zones(connection: Connection) -> dict[str, str]:
    """Each centre's IANA time zone by name: the fallback for a number whose zone is unknown.
    The gateway's one read of the core's centres (scheduling and the dispatcher share it)."""
    return {name: centre.timezone for name, centre in load_centres(connection).items()}
