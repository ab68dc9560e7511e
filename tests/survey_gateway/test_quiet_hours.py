"""Quiet hours in the customer's zones, with hand-worked instants (all dates 2026)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from callkpi_survey_gateway.config import QuietHours
from callkpi_survey_gateway.quiet_hours import is_allowed, next_allowed, number_zones

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
US_ZONES = [ZoneInfo(name) for name in
            ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Pacific/Honolulu")]
DEFAULT = QuietHours()  # 09–20 Mon–Sat, 12–20 Sun


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("when", "expected"), [
    # Monday 23 Nov 10:00Z = 11:00 CET: inside the window, unchanged
    (utc(23, 10), utc(23, 10)),
    # Sunday 22 Nov 08:00Z = 09:00 CET on a Sunday: wait for 12:00 CET = 11:00Z
    (utc(22, 8), utc(22, 11)),
    # Monday 07:59Z = 08:59 CET → 09:00 CET = 08:00Z
    (utc(23, 7, 59), utc(23, 8)),
    # Friday 27 Nov 19:00Z = 20:00 CET: the window is [09:00, 20:00), so closed → Saturday 09:00 CET
    (utc(27, 19), utc(28, 8)),
    # Saturday 28 Nov 19:30Z = 20:30 CET → Sunday 12:00 CET = 11:00Z on the 29th
    (utc(28, 19, 30), utc(29, 11)),
    # DST ends Sunday 25 Oct: Saturday 24 Oct 19:30Z = 21:30 CEST → Sunday 12:00 CET = 11:00Z
    # (a fixed summer offset would say 10:00Z, an hour too early)
    (utc(24, 19, 30, month=10), utc(25, 11, month=10)),
    # DST starts Sunday 29 Mar: Saturday 28 Mar 20:00Z = 21:00 CET → Sunday 12:00 CEST = 10:00Z
    (utc(28, 20, month=3), utc(29, 10, month=3)),
])
def test_amsterdam(when: datetime, expected: datetime) -> None:
    assert next_allowed(when, [AMSTERDAM], DEFAULT) == expected


@pytest.mark.parametrize(("when", "expected"), [
    # Monday 23 Nov 13:00Z: New York (EST, −5) is 08:00 → opens 14:00Z; then Honolulu (−10)
    # is 04:00 → opens 09:00 HST = 19:00Z, when New York is 14:00 and Los Angeles 11:00: all open
    (utc(23, 13), utc(23, 19)),
    # Monday 00:30Z: Sunday 19:30 in New York, 14:30 in Honolulu: every zone open
    (utc(23, 0, 30), utc(23, 0, 30)),
    # Monday 01:30Z: 20:30 Sunday in New York is closed → Monday 19:00Z as above
    (utc(23, 1, 30), utc(23, 19)),
    # Sunday 8 Mar (US DST starts): 15:00Z is 11:00 EDT → New York opens 12:00 EDT = 16:00Z;
    # Honolulu (no DST) is 05:00 → 12:00 HST on Sunday = 22:00Z; New York is then 18:00 EDT
    (utc(8, 15, month=3), utc(8, 22, month=3)),
])
def test_a_us_number_spanning_several_zones_waits_for_all(when: datetime, expected: datetime) -> None:
    assert next_allowed(when, US_ZONES, DEFAULT) == expected


def test_a_window_opening_inside_the_dst_gap() -> None:
    early = QuietHours(sunday=(time(2, 30), time(20)))
    # Sunday 29 Mar 00:00Z = 01:00 CET; 02:30 does not exist that night: read as 02:30 CET =
    # 01:30Z, which is 03:30 CEST, the first allowed minute
    assert next_allowed(utc(29, 0, month=3), [AMSTERDAM], early) == utc(29, 1, 30, month=3)
    assert is_allowed(utc(29, 1, 30, month=3), AMSTERDAM, early)


def test_zones_without_a_common_window_fall_back_to_the_first_zone() -> None:
    one_hour = QuietHours(weekdays=(time(9), time(10)), saturday=(time(9), time(10)), sunday=(time(9), time(10)))
    tokyo = ZoneInfo("Asia/Tokyo")
    # Amsterdam opens 08–09Z, Tokyo 00–01Z: never together. Monday 12:00Z → Amsterdam's
    # next opening, Tuesday 09:00 CET = 08:00Z
    assert next_allowed(utc(23, 12), [AMSTERDAM, tokyo], one_hour) == utc(24, 8)


def test_no_zone_means_utc_and_a_naive_time_is_utc() -> None:
    # Sunday 22 Nov 10:00Z: in UTC the Sunday window opens at 12:00
    assert next_allowed(utc(22, 10), [], DEFAULT) == utc(22, 12)
    # naive 08:00 (as SQLite returns it) is 08:00Z = 09:00 CET on a Sunday → 11:00Z
    assert next_allowed(datetime(2026, 11, 22, 8), [AMSTERDAM], DEFAULT) == utc(22, 11)


def test_number_zones() -> None:
    assert number_zones("+31612345678") == ["Europe/Amsterdam"]
    assert number_zones("+12125550100") == ["America/New_York"]
    toll_free = number_zones("+18005550100")  # no area: the whole North American plan
    assert {"America/New_York", "America/Los_Angeles", "Pacific/Honolulu"} <= set(toll_free)
    assert number_zones("+12005550100") == []  # phonenumbers: Etc/Unknown
    assert number_zones("not a number") == []
