"""``ReportRequest.filters``: keeping only the rows of some queues, agents, teams …, on
SQLite, PostgreSQL and DuckDB (a snapshot of the same store).

The data set, in the UTC centre ``default``:

    contact  offered           queue    channel agent outcome    handle
    c1       01-05 09:00       sales    voice   a1    answered    300
    c2       01-05 09:20       sales    voice   a2    answered    200
    c3       01-05 10:05       support  chat    -     abandoned
    c4       01-06 09:40       support  voice   a1    answered    100

    agent intervals  a1 01-05 09:00 and 09:15, a2 01-05 09:15 and 09:30: 900 s staffed each
    agents           a1 team red; a2 team blue
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from kpi_factrows import contact_row, interval_row

from callkpi.kpi import InvalidKpi, ReportRequest, run_report

MON, TUE = date(2026, 1, 5), date(2026, 1, 6)
CONTACTS = [
    contact_row("c1", "2026-01-05T09:00:00", agentid="a1", wait_s=10, talk_s=270, acw_s=30, handle_s=300),
    contact_row("c2", "2026-01-05T09:20:00", agentid="a2", wait_s=30, talk_s=200, acw_s=0, handle_s=200),
    contact_row("c3", "2026-01-05T10:05:00", "abandoned", queue="support", channel="chat", wait_s=50),
    contact_row(
        "c4", "2026-01-06T09:40:00", queue="support", agentid="a1", wait_s=5, talk_s=100, acw_s=0, handle_s=100
    ),
]
INTERVALS = [
    interval_row(agent, start, staffed_s=900)
    for agent, start in (
        ("a1", "2026-01-05T09:00:00"),
        ("a1", "2026-01-05T09:15:00"),
        ("a2", "2026-01-05T09:15:00"),
        ("a2", "2026-01-05T09:30:00"),
    )
]
AGENTS = [
    {"centre": "default", "agentid": "a1", "team": "red", "site": "ams"},
    {"centre": "default", "agentid": "a2", "team": "blue", "site": "ams"},
]


@pytest.fixture
def facts(insert_facts) -> None:
    insert_facts(contacts=CONTACTS, intervals=INTERVALS, agents=AGENTS)


@pytest.fixture(params=["sql", "duckdb"])
def engine(request) -> str:
    return request.param


def report(store, registry, engine, tmp_path, kpis, filters, group_by=()):
    request = ReportRequest(tuple(kpis), MON, TUE, tuple(group_by), "default", engine, filters)
    return run_report(store, request, registry=registry, snapshot_dir=tmp_path / "snapshot")


def values(result, key: str) -> dict:
    return {tuple(row.dimensions.values()): row[key] for row in result.rows}


def test_a_queue_filter_keeps_that_queue_only(store, facts, standard_kpis, engine, tmp_path):
    kpis = ["answered", "aht"]
    result = report(store, standard_kpis, engine, tmp_path, kpis, {"queue": ("sales",)}, ["agent"])
    # offered is not available by agent (its abandoned legs have none): answered is.
    # sales: c1 (a1, 300 s) and c2 (a2, 200 s); c4 of a1 is support, c3 (support) has no agent
    assert values(result, "answered") == {("a1",): 1, ("a2",): 1}
    assert values(result, "aht") == {("a1",): 300, ("a2",): 200}


def test_a_team_filter_joins_the_agents(store, facts, standard_kpis, engine, tmp_path):
    kpis = ["answered", "aht", "contacts_per_hour"]
    result = report(store, standard_kpis, engine, tmp_path, kpis, {"team": ("red",)}, ["date"])
    # team red is a1: c1 on Monday (300 s), c4 on Tuesday (100 s); c3 has no agent, so no team.
    # a1 is staffed 1,800 s on Monday: 1 handled ÷ 0.5 h = 2 per hour; none on Tuesday
    assert values(result, "answered") == {(MON,): 1, (TUE,): 1}
    assert values(result, "aht") == {(MON,): 300, (TUE,): 100}
    assert values(result, "contacts_per_hour") == {(MON,): 2, (TUE,): None}


def test_filters_on_several_dimensions_all_apply(store, facts, standard_kpis, engine, tmp_path):
    filters = {"agent": ("a1", "a2"), "channel": ("voice",), "queue": ("sales", "support")}
    result = report(store, standard_kpis, engine, tmp_path, ["answered", "aht"], filters)
    # c1, c2, c4 (c3 is chat and has no agent): (300 + 200 + 100) / 3 = 200 s
    assert values(result, "answered") == {(): 3}
    assert values(result, "aht") == {(): 200}


def test_a_filter_no_row_matches_leaves_no_data(store, facts, standard_kpis, tmp_path):
    result = report(store, standard_kpis, "sql", tmp_path, ["offered"], {"queue": ("billing",)})
    # an ungrouped count over no row is 0, not missing
    assert values(result, "offered") == {(): 0}


def test_a_kpi_whose_facts_lack_the_dimension_is_an_error(store, facts, standard_kpis, tmp_path):
    with pytest.raises(InvalidKpi) as error:
        report(store, standard_kpis, "sql", tmp_path, ["offered", "occupancy"], {"queue": ("sales",)})
    assert str(error.value) == (
        "filters = 'queue' is not available for KPI 'occupancy': it reads fact_agent_interval, "
        "which can be filtered by agent, team, site"
    )


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (
            {"date": ("2026-01-05",)},
            "filters: 'date'; expected one of queue, channel, survey_channel, direction, agent, team, site",
        ),
        ({"queue": ()}, "filters['queue'] = (); expected a non-empty tuple of texts"),
        ({"queue": "sales"}, "filters['queue'] = 'sales'; expected a non-empty tuple of texts"),
        ({"agent": (1,)}, "filters['agent'] = (1,); expected a non-empty tuple of texts"),
    ],
)
def test_bad_filters_are_named(store, standard_kpis, tmp_path, filters, message):
    with pytest.raises(InvalidKpi, match=re.escape(message)):
        report(store, standard_kpis, "sql", tmp_path, ["offered"], filters)
