"""What the dashboard computes for a view, on SQLite and PostgreSQL: tiles, filters, charts,
heat map, tables and the survey page, against the hand-worked values in conftest.py."""

from __future__ import annotations

from datetime import date

import pytest
from dashboard_seed import CENTRE, COMMENT

from callkpi.dashboard.heatmap import service_level_heat_map
from callkpi.dashboard.query import DashboardQuery
from callkpi.dashboard.surveys import survey_view
from callkpi.dashboard.views import dashboard_view
from callkpi.store.centres import load_centres
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY, event_factory, raw_events

TUESDAY, WEDNESDAY = date(2026, 11, 3), date(2026, 11, 4)


def view(store, pm, date_to=TUESDAY, **filters):
    query = DashboardQuery(CENTRE, TUESDAY, date_to, {name: (value,) for name, value in filters.items()})
    with store.reading() as connection:
        config = load_centres(connection)[CENTRE]
    return dashboard_view(store, pm.catalog.kpis, query, config)


def tiles(result) -> dict[str, tuple[str, str]]:
    return {tile.kpi: (tile.value, tile.state) for tile in result.tiles}


def test_tiles_show_value_unit_target_state_and_no_data(store, keys, pm):
    result = view(store, pm)
    assert tiles(result) == {
        "offered": ("4", "plain"),
        "answered": ("3", "plain"),
        "service_level": ("50.0 %", "missed"),  # 2 of 4 answered within 20 s; target ≥ 80
        "asa": ("21.7 s", "missed"),  # (10 + 50 + 5) ÷ 3; target ≤ 20
        "abandon_rate": ("25.0 %", "missed"),  # 1 of 4; target ≤ 5
        "aht": ("240.0 s", "plain"),  # (240 + 120 + 360) ÷ 3, no target
        "occupancy": ("–", "nodata"),  # no agent-state events
        "longest_wait": ("50.0 s", "plain"),
    }
    service_level = next(tile for tile in result.tiles if tile.kpi == "service_level")
    assert (service_level.variant, service_level.target) == ("answered_over_offered", "target ≥ 80 %")


QUEUE_TILES = ("offered", "service_level", "asa", "abandon_rate", "longest_wait")


@pytest.mark.parametrize(
    ("filters", "expected", "why_not"),
    [
        # c1 (wait 10) and c2 (wait 50): 1 of 2 fast; ASA (10 + 50) ÷ 2; AHT (240 + 120) ÷ 2
        ({"queue": "sales"}, {"offered": "2", "service_level": "50.0 %", "asa": "30.0 s",
                              "abandon_rate": "0.0 %", "aht": "180.0 s"}, None),
        # Anna's c1 and c3: AHT (240 + 360) ÷ 2. The abandoned c4 has no agent, so no team: the
        # queue tiles say why they are empty (no queue map) instead of an answered-only 100 %
        ({"team": "red"}, {"answered": "2", "aht": "300.0 s"}, "not available by team: queue KPIs take the team"),
        ({"agent": "a2"}, {"answered": "1", "aht": "120.0 s"}, "not available by agent: KPI "),
    ],
)  # fmt: skip
def test_filters_narrow_the_tiles(store, keys, pm, filters, expected, why_not):
    result = view(store, pm, **filters)
    shown = tiles(result)
    assert {kpi: shown[kpi][0] for kpi in expected} == expected
    if why_not:
        notes = {tile.kpi: tile.note for tile in result.tiles if tile.kpi in QUEUE_TILES}
        assert {kpi: shown[kpi] for kpi in QUEUE_TILES} == dict.fromkeys(QUEUE_TILES, ("–", "nodata"))
        assert all(note.startswith(why_not) for note in notes.values()), notes
    # occupancy lives on agent intervals, which have no queue: left out rather than wrong
    assert ("occupancy" in shown) == ("queue" not in filters)


def test_two_days_add_wednesday(store, keys, pm):
    shown = tiles(view(store, pm, date_to=WEDNESDAY))
    # c5 (wait 15) joins: 5 offered, 3 fast
    assert (shown["offered"][0], shown["service_level"][0]) == ("5", "60.0 %")


def test_trend_charts_per_half_hour_and_per_day(store, keys, pm):
    charts = {chart.name: chart for chart in view(store, pm, date_to=WEDNESDAY).charts}
    per_interval = charts["offered-by-interval30"]
    # Tuesday 09:05, 09:20, 10:10, 11:40 and Wednesday 14:00, local: from 09:00 to 14:00
    assert per_interval.labels[:6] == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert list(per_interval.values[:6]) == [2, None, 1, None, None, 1]
    assert (per_interval.labels[-1], per_interval.values[-1]) == ("14:00", 1)
    assert list(charts["offered-by-date"].values) == [4, 1]
    assert list(charts["service_level-by-date"].values) == [50, 100]
    assert charts["service_level-by-date"].target == 80


def test_heat_map_colours_service_level_against_the_target(store, keys, pm):
    with store.reading() as connection:
        config = load_centres(connection)[CENTRE]
    query = DashboardQuery(CENTRE, TUESDAY, WEDNESDAY)
    heat = service_level_heat_map(store, pm.catalog.kpis, query, config)
    rows = dict(heat.rows)
    assert [rows["Tue"][hour].value for hour in (8, 9, 10, 11)] == [None, 50, 100, 0]
    assert rows["Wed"][14].value == 100
    assert all(cell.value is None for cell in rows["Mon"])
    # 100 % is 20 points over the target of 80: darkest green; 50 % is 30 points under: red
    assert rows["Tue"][10].colour == "hsl(130, 50%, 42%)"
    assert rows["Tue"][9].colour == "hsl(0, 75%, 55%)"
    assert rows["Tue"][8].colour == "#eceff3"


def test_queue_and_agent_tables(store, keys, pm):
    queues, agents = view(store, pm).tables
    assert [(label, cells[0].text) for label, cells in queues.rows] == [("sales", "2"), ("support", "2")]
    headers = [title for title, _ in agents.headers]
    aht = headers.index("Average handle time")
    assert [(label, cells[0].text, cells[aht].text) for label, cells in agents.rows] == [
        ("Anna (a1)", "2", "300.0 s"),
        ("Bram (a2)", "1", "120.0 s"),
        ("(none)", "0", "–"),  # the abandoned contact, sorted last
    ]


def test_survey_page_data(store, keys, pm):
    with store.reading() as connection:
        config = load_centres(connection)[CENTRE]
    result = survey_view(store, pm.catalog.kpis, DashboardQuery(CENTRE, TUESDAY, TUESDAY), config)
    shown = {s.tile.kpi: s for s in result.tiles}
    assert shown["nps"].tile.value == "25"  # (20 promoters − 10 detractors) ÷ 40
    low, high = (float(part.strip()) for part in shown["nps"].interval.removeprefix("95 % CI").split("–"))
    assert low < 25 < high
    assert shown["survey_response_rate"].tile.value == "80.0 %"  # 40 of 50 delivered
    assert [answer.comment for answer in result.comments] == [COMMENT]
    # answered 13:31:40 UTC on 3 November: 14:31 in Rotterdam (CET, UTC+1), as the manager reads it
    assert result.timezone == "Europe/Amsterdam"
    assert result.comments[0].responded_at.strftime("%Y-%m-%d %H:%M") == "2026-11-03 14:31"
    assert len(result.detractors) == 10  # n31 … n40 scored 3
    assert result.detractors[0].responded_at > result.detractors[-1].responded_at
    assert [a.comment for a in result.detractors if a.comment] == [COMMENT]


def test_occupancy_counts_an_agent_still_logged_in_and_says_so(store, keys, pm):
    """Anna (a1) becomes available Tuesday 09:00 local (08:00 UTC) and no event ends it. The data
    end is c5's wrap-up, Wednesday 13:02:45 UTC = 14:02:45 local. Tuesday's view counts her open
    episode up to its own end, local midnight (23:00 UTC): 15 h = 54,000 s available, busy 0 →
    occupancy 0 %; Tuesday and Wednesday add Wednesday's 23:00 → 13:02:45 UTC = 50,565 s."""
    make = event_factory("open-anna")
    outcomes = Ingestor(store, pm, CustomerHasher(TEST_HMAC_KEY)).ingest_batch(
        raw_events([make("agent.state_changed", "2026-11-03T08:00:00Z", {"state": "available"},
                         agentid="a1", centre=CENTRE)])
    )  # fmt: skip
    assert [o.status for o in outcomes] == ["accepted"]
    result = view(store, pm)
    occupancy = next(tile for tile in result.tiles if tile.kpi == "occupancy")
    assert (occupancy.value, occupancy.n) == ("0.0 %", 54000)
    assert occupancy.note == "includes 54,000 s still open at 2026-11-04 14:02:45"
    _, agents = result.tables
    column = [title for title, _ in agents.headers].index("Occupancy")
    anna = dict(agents.rows)["Anna (a1)"][column]
    assert (anna.text, anna.note) == ("0.0 %", occupancy.note)
    both = next(tile for tile in view(store, pm, date_to=WEDNESDAY).tiles if tile.kpi == "occupancy")
    assert both.note == "includes 104,565 s still open at 2026-11-04 14:02:45"
