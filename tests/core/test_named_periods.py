"""Named report periods, hand-worked on a calendar (weeks start on Monday).

Calendar facts used: 2026-02-28 is a Saturday, 2026-03-01 a Sunday; Europe/Amsterdam goes
to summer time on Sunday 2026-03-29 (a 23-hour day) and America/Los_Angeles back to winter
time on Sunday 2026-11-01 (a 25-hour day); 2027-01-01 is a Friday; 2028 is a leap year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from callkpi.kpi.named_periods import UnknownPeriod, resolve_period
from callkpi.kpi.request_builder import FieldNames, RequestError, choose_period

AUCKLAND = ZoneInfo("Pacific/Auckland")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC_ZONE = ZoneInfo("UTC")
D = date.fromisoformat

# Saturday 2026-02-28 20:00 UTC: Sunday 03-01 09:00 in Auckland (UTC+13), still Saturday
# 02-28 12:00 in Los Angeles (UTC−8); the two centres are in different days, weeks and months
SATURDAY_EVENING_UTC = datetime(2026, 2, 28, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "auckland", "los_angeles"),
    [
        ("today", ("2026-03-01", "2026-03-01"), ("2026-02-28", "2026-02-28")),
        ("yesterday", ("2026-02-28", "2026-02-28"), ("2026-02-27", "2026-02-27")),
        ("this-week", ("2026-02-23", "2026-03-01"), ("2026-02-23", "2026-02-28")),
        ("last-week", ("2026-02-16", "2026-02-22"), ("2026-02-16", "2026-02-22")),
        ("this-month", ("2026-03-01", "2026-03-01"), ("2026-02-01", "2026-02-28")),
        ("last-month", ("2026-02-01", "2026-02-28"), ("2026-01-01", "2026-01-31")),
        ("last-7-days", ("2026-02-22", "2026-02-28"), ("2026-02-21", "2026-02-27")),
        ("last-1-days", ("2026-02-28", "2026-02-28"), ("2026-02-27", "2026-02-27")),
    ],
)
def test_the_same_instant_is_another_day_in_auckland_and_los_angeles(name, auckland, los_angeles):
    assert resolve_period(name, AUCKLAND, SATURDAY_EVENING_UTC) == tuple(map(D, auckland))
    assert resolve_period(name, LOS_ANGELES, SATURDAY_EVENING_UTC) == tuple(map(D, los_angeles))


def test_last_week_over_the_spring_dst_change_is_seven_dates():
    # Monday 2026-03-30 10:00 CEST (08:00 UTC): last week is Mon 03-23 … Sun 03-29, the
    # Sunday being 23 hours long; still seven whole dates
    now = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert resolve_period("last-week", AMSTERDAM, now) == (D("2026-03-23"), D("2026-03-29"))
    assert resolve_period("yesterday", AMSTERDAM, now) == (D("2026-03-29"),) * 2


def test_today_after_the_autumn_dst_change_uses_the_new_offset():
    # 2026-11-02 07:30 UTC is Sunday 11-01 23:30 PST (UTC−8, clocks went back at 02:00);
    # read with the summer offset (UTC−7) it would already be Monday 11-02
    now = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)
    assert resolve_period("today", LOS_ANGELES, now) == (D("2026-11-01"),) * 2
    assert resolve_period("this-week", LOS_ANGELES, now) == (D("2026-10-26"), D("2026-11-01"))


@pytest.mark.parametrize(
    ("now", "name", "expected"),
    [
        ("2028-03-01T12:00", "last-month", ("2028-02-01", "2028-02-29")),  # leap February
        ("2027-01-15T12:00", "last-month", ("2026-12-01", "2026-12-31")),  # across the year
        ("2027-01-01T12:00", "last-week", ("2026-12-21", "2026-12-27")),  # Friday 01-01
        ("2027-01-01T12:00", "this-week", ("2026-12-28", "2027-01-01")),
        ("2027-01-01T12:00", "this-month", ("2027-01-01", "2027-01-01")),
        ("2027-01-01T12:00", "last-31-days", ("2026-12-01", "2026-12-31")),
        ("2026-03-31T23:59", "this-month", ("2026-03-01", "2026-03-31")),  # last minute of a month
    ],
)
def test_month_and_year_boundaries(now, name, expected):
    instant = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert resolve_period(name, UTC_ZONE, instant) == tuple(map(D, expected))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("fortnight", "'fortnight': not a period; expected one of today, yesterday, this-week"),
        ("last-x-days", "'last-x-days': not a period"),
        ("last-0-days", "'last-0-days': expected N between 1 and 3660 in last-N-days"),
        ("Last-Week", "'Last-Week': not a period"),
    ],
)
def test_unknown_names_say_what_was_expected(name, message):
    with pytest.raises(UnknownPeriod, match=message):
        resolve_period(name, UTC_ZONE, SATURDAY_EVENING_UTC)


CLI = FieldNames("--")


def test_choose_period_defaults_to_yesterday_and_keeps_dates_as_given():
    now = SATURDAY_EVENING_UTC
    assert choose_period(CLI, None, None, None, AUCKLAND, now) == (D("2026-02-28"),) * 2
    assert choose_period(CLI, None, D("2026-01-05"), None, AUCKLAND, now) == (D("2026-01-05"),) * 2
    first, last = D("2026-01-05"), D("2026-01-11")
    assert choose_period(CLI, None, first, last, AUCKLAND, now) == (first, last)


def test_choose_period_refuses_a_name_with_dates():
    with pytest.raises(RequestError, match="--period = 'last-week' with --from/--to: expected either") as caught:
        choose_period(CLI, "last-week", D("2026-01-05"), None, UTC_ZONE, SATURDAY_EVENING_UTC)
    assert caught.value.field == "period"
    with pytest.raises(RequestError, match="--from: missing; expected it with --to"):
        choose_period(CLI, None, None, D("2026-01-05"), UTC_ZONE, SATURDAY_EVENING_UTC)
    body = FieldNames(spelled=(("from", "date_from"), ("to", "date_to")))
    with pytest.raises(RequestError, match=r"^period = 'soon': not a period"):
        choose_period(body, "soon", None, None, UTC_ZONE, SATURDAY_EVENING_UTC)
    with pytest.raises(RequestError, match=r"^date_from: missing; expected it with date_to") as caught:
        choose_period(body, None, None, D("2026-01-05"), UTC_ZONE, SATURDAY_EVENING_UTC)
    assert caught.value.field == "date_from"
