"""Reading a dashboard view from its query string: defaults, quick periods, filters, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from starlette.datastructures import QueryParams

from callkpi.dashboard.auth import Viewer
from callkpi.dashboard.query import BadQuery, DashboardQuery, local_today, parse_query, presets
from callkpi.store.centres import CentreConfig

CENTRES = {name: CentreConfig(name=name, timezone="Europe/Amsterdam") for name in ("rotterdam", "utrecht")}
READER = Viewer("rotterdam", "ck_abcdefgh", "read")


def test_quick_periods():
    assert presets(date(2026, 11, 18)) == {
        "Today": (date(2026, 11, 18), date(2026, 11, 18)),
        "Last 7 days": (date(2026, 11, 12), date(2026, 11, 18)),
        "This month": (date(2026, 11, 1), date(2026, 11, 18)),
    }


def test_today_is_the_centres_local_date():
    # 23:30 UTC on 3 November is 00:30 on the 4th in Amsterdam (UTC+1)
    assert local_today(CENTRES["rotterdam"], datetime(2026, 11, 3, 23, 30, tzinfo=UTC)) == date(2026, 11, 4)


def test_view_from_query_string_and_back():
    params = QueryParams("from=2026-11-03&queue=sales&queue=support&team=&agent=a1")
    query = parse_query(params, READER, CENTRES)
    assert query == DashboardQuery("rotterdam", date(2026, 11, 3), date(2026, 11, 3),
                                   {"queue": ("sales", "support"), "agent": ("a1",)})
    assert parse_query(QueryParams(query.query_string()), READER, CENTRES) == query
    assert (query.chosen("queue"), query.chosen("agent"), query.chosen("team")) == ("", "a1", "")


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ("centre=utrecht", 403, "centre = 'utrecht': API key ck_abcdefgh (scope read) may see only centre 'rotterdam'"),
        # a read key learns nothing of other centres, not even whether they exist
        ("centre=nowhere", 403, "may see only centre 'rotterdam'"),
        ("to=03-11-2026", 400, "to = '03-11-2026': not a date; expected YYYY-MM-DD"),
    ],
)
def test_bad_views(params, status, message):
    with pytest.raises(BadQuery) as raised:
        parse_query(QueryParams(params), READER, CENTRES)
    assert raised.value.status == status
    assert message in str(raised.value)
