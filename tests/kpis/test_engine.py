"""The engine itself, on fact rows written directly (independent of the projector).

The data set, in the UTC centre ``default`` (2026-01-05 is a Monday):

    contact  offered           queue    channel agent outcome    wait  talk hold acw handle
    c1       01-05 09:00       sales    voice   a1    answered    10   240   30  30   300
    c2       01-05 09:20       sales    voice   a2    answered    30   200    0   0   200
    c3       01-05 10:05       support  chat    -     abandoned   50
    c4       01-06 09:40       support  voice   a1    answered     5   100    0   0   100

    agent interval  a1 01-05 09:00 staffed 900 s, 09:15 900 s; a2 01-05 09:15 900 s, 09:30 900 s
    agents          a1 team red site ams; a2 team blue site ams
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
from kpi_factrows import contact_row, interval_row
from sqlalchemy import event

from callkpi.kpi import (
    InvalidKpi,
    Kpi,
    KpiRegistry,
    KpiSelection,
    Measure,
    ReportRequest,
    percent_of,
    run_report,
    value_of,
)
from callkpi.kpi.facts import FACT_TABLES
from callkpi.kpi.plan import plan_report
from callkpi.store.centres import add_centre

MON, TUE = date(2026, 1, 5), date(2026, 1, 6)
CONTACTS = [
    contact_row(
        "c1",
        "2026-01-05T09:00:00",
        agentid="a1",
        wait_s=10,
        talk_s=240,
        hold_s=30,
        hold_count=1,
        longest_hold_s=30,
        acw_s=30,
        handle_s=300,
    ),
    contact_row(
        "c2",
        "2026-01-05T09:20:00",
        agentid="a2",
        wait_s=30,
        talk_s=200,
        hold_s=0,
        acw_s=0,
        handle_s=200,
    ),
    contact_row(
        "c3", "2026-01-05T10:05:00", "abandoned", queue="support", channel="chat", wait_s=50
    ),
    contact_row(
        "c4",
        "2026-01-06T09:40:00",
        queue="support",
        agentid="a1",
        wait_s=5,
        talk_s=100,
        hold_s=0,
        acw_s=0,
        handle_s=100,
    ),
]
INTERVALS = [
    interval_row("a1", "2026-01-05T09:00:00", staffed_s=900),
    interval_row("a1", "2026-01-05T09:15:00", staffed_s=900),
    interval_row("a2", "2026-01-05T09:15:00", staffed_s=900),
    interval_row("a2", "2026-01-05T09:30:00", staffed_s=900),
]
AGENTS = [
    {"centre": "default", "agentid": "a1", "team": "red", "site": "ams"},
    {"centre": "default", "agentid": "a2", "team": "blue", "site": "ams"},
]


@pytest.fixture
def facts(insert_facts) -> None:
    insert_facts(contacts=CONTACTS, intervals=INTERVALS, agents=AGENTS)


def report(store, registry, kpis, group_by=(), date_from=MON, date_to=TUE, centre="default"):
    return run_report(
        store,
        ReportRequest(tuple(kpis), date_from, date_to, tuple(group_by), centre),
        registry=registry,
    )


def by_group(result, key: str) -> dict:
    return {tuple(row.dimensions.values()): row[key] for row in result.rows}


def fact_statements(store) -> list[str]:
    statements: list[str] = []
    event.listen(
        store.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: statements.append(statement),
    )
    return statements


def every_kpi_and_variant(registry: KpiRegistry) -> list[KpiSelection]:
    return [KpiSelection(r.kpi.id, name) for r in registry for name in r.variants]


def groupable(registry: KpiRegistry, group_by: tuple[str, ...]) -> list[KpiSelection]:
    """Every KPI variant whose fact tables can all be grouped by ``group_by``."""
    return [
        selection
        for selection in every_kpi_and_variant(registry)
        if all(
            set(group_by) <= set(FACT_TABLES[fact].dimensions)
            for fact in registry.get(selection.kpi).variant(selection.variant).facts
        )
    ]


def test_the_catalogue_costs_one_query_per_fact_table_and_grouping(store, facts, standard_kpis):
    group_by = ("agent", "date")
    selections = [
        *groupable(standard_kpis, group_by),
        *(KpiSelection("service_level", parameters={"threshold_s": t}) for t in (30, 60)),
    ]
    assert len(selections) >= 40
    statements = fact_statements(store)
    report(store, standard_kpis, selections, group_by=group_by)
    scanned = Counter(
        match.group(1)
        for s in statements
        if "GROUP BY" in s and (match := re.search(r"FROM (fact_\w+)", s))
    )
    # one scan per fact table at the report's grouping; a KPI with a grain (required_agents:
    # per 15-minute interval) adds one per fact table it reads at its finer grouping
    plan = plan_report(standard_kpis, ReportRequest(tuple(selections), MON, TUE, group_by))
    queries = [*plan.queries, *(fact for q in plan.grained.values() for fact in q)]
    groupings = Counter(FACT_TABLES[fact].table.name for fact in queries)
    assert scanned == groupings
    assert scanned["fact_contact"] == 2 and scanned["fact_agent_interval"] == 2


def test_identical_measures_of_different_kpis_are_computed_once(standard_kpis):
    # (the queue KPIs read the queue legs of fact_contact_leg, see test_leg_kpis)
    # offered, answered, answered within 20 s, Σ wait of answered — and answered within 30 s for the override
    kpis = (
        "offered",
        "answered",
        "answer_rate",
        "service_level",
        KpiSelection("service_level", "asterisk_sl"),
        "asa",
        KpiSelection("service_level", parameters={"threshold_s": 30}),
    )
    plan = plan_report(standard_kpis, ReportRequest(kpis, MON, TUE))
    assert len(plan.queries["fact_contact_leg"]) == 5
    assert set(plan.queries) == {"fact_contact_leg"}


def test_variants_and_parameter_overrides_side_by_side(store, facts, standard_kpis):
    # offered 4; answered within 20 s: c1 (10), c4 (5) = 2 → 2/4 = 50 %; within 30 s (inclusive) c2 too → 3/4 = 75 %;
    # asterisk_sl: 2 fast ÷ 3 answered = 66.67 %
    kpis = (
        "service_level",
        KpiSelection("service_level", parameters={"threshold_s": 30}),
        KpiSelection("service_level", "asterisk_sl"),
    )
    (row,) = report(store, standard_kpis, kpis).rows
    assert {key: value.value for key, value in row.values.items()} == {
        "service_level": 50.0,
        "service_level(threshold_s=30)": 75.0,
        "service_level:asterisk_sl": pytest.approx(200 / 3),
    }
    assert dict(row.values["service_level(threshold_s=30)"].parameters) == {"threshold_s": 30}
    assert row.values["service_level:asterisk_sl"].n == 3 and row.values["service_level"].n == 4


def test_no_volume_is_no_data_never_zero_or_hundred(store, facts, standard_kpis):
    # nothing happened on 2026-02-02: counts are 0, every ratio, mean and maximum is None
    kpis = (
        "offered",
        "answer_rate",
        "service_level",
        "asa",
        "abandon_rate",
        "longest_wait",
        "aht",
        "contacts_per_hour",
        "case_volume",
    )
    (row,) = report(
        store, standard_kpis, kpis, date_from=date(2026, 2, 2), date_to=date(2026, 2, 2)
    ).rows
    assert {key: value.value for key, value in row.values.items()} == {
        "offered": 0,
        **dict.fromkeys(kpis[1:]),
    }
    assert row.values["service_level"].met is None


# offered per group over Mon–Tue; times of day in minutes since local midnight
GROUPS = {
    "centre": {("default",): 4},
    "queue": {("sales",): 2, ("support",): 2},
    "channel": {("chat",): 1, ("voice",): 3},
    "direction": {("inbound",): 4},
    "date": {(MON,): 3, (TUE,): 1},
    "week": {(MON,): 4},
    "month": {(date(2026, 1, 1),): 4},
    "interval15": {
        (540,): 1,
        (555,): 1,
        (570,): 1,
        (600,): 1,
    },  # 09:00; 09:20 → 09:15; 09:40 → 09:30; 10:05 → 10:00
    "interval30": {
        (540,): 2,
        (570,): 1,
        (600,): 1,
    },  # 09:00 & 09:20 → 09:00; 09:40 → 09:30; 10:05 → 10:00
    "interval60": {(540,): 3, (600,): 1},
    "hour": {(9,): 3, (10,): 1},
    "weekday": {(1,): 3, (2,): 1},
}


@pytest.mark.parametrize("dimension", list(GROUPS))
def test_grouping_by_every_dimension(store, facts, standard_kpis, dimension):
    assert (
        by_group(report(store, standard_kpis, ["offered"], [dimension]), "offered")
        == GROUPS[dimension]
    )


@pytest.mark.parametrize("dimension", ["agent", "team", "site"])
def test_offered_by_an_agent_dimension_is_unavailable_with_its_reason(store, facts, standard_kpis, dimension):
    """c3 was abandoned: it has no agent, and no queue map says which team serves its queue."""
    (column,) = report(store, standard_kpis, ["offered"], [dimension]).columns
    assert column.unavailable is not None and column.unavailable.startswith(f"not available by {dimension}")
    if dimension != "agent":
        assert f"callkpi centre queue-map set default sales --{dimension}" in column.unavailable


def test_grouping_by_two_dimensions(store, facts, standard_kpis):
    result = report(store, standard_kpis, ["offered", "answered"], ["queue", "date"])
    assert by_group(result, "offered") == {
        ("sales", MON): 2,
        ("support", MON): 1,
        ("support", TUE): 1,
    }
    assert by_group(result, "answered") == {
        ("sales", MON): 2,
        ("support", MON): 0,
        ("support", TUE): 1,
    }


def test_a_kpi_over_two_fact_tables_joins_them_on_the_dimensions(store, facts, standard_kpis):
    result = report(store, standard_kpis, ["contacts_per_hour", "case_volume"], ["agent"])
    # a1: handled c1, c4 = 2 over 1800 s = 0.5 h → 4/h, one staffed local day → 2 per shift;
    # a2: handled c2 = 1 over 0.5 h → 2/h, 1 per shift; no agent (c3 abandoned): nothing handled, no staffed time
    assert by_group(result, "contacts_per_hour") == {("a1",): 4.0, ("a2",): 2.0, (None,): None}
    assert by_group(result, "case_volume") == {("a1",): 2.0, ("a2",): 1.0, (None,): None}
    by_date = report(store, standard_kpis, ["contacts_per_hour", "case_volume"], ["date"])
    # Mon: c1, c2 handled over 3600 s → 2/h, 2 shifts → 1; Tue: c4 handled, nobody staffed → None
    assert by_group(by_date, "contacts_per_hour") == {(MON,): 2.0, (TUE,): None}
    assert by_group(by_date, "case_volume") == {(MON,): 1.0, (TUE,): None}


def test_agent_interval_kpis_group_by_team_and_interval(store, facts, standard_kpis):
    # red = a1 (2 handled, 0.5 h); blue = a2 (1 handled, 0.5 h)
    assert by_group(
        report(store, standard_kpis, ["contacts_per_hour"], ["team"]), "contacts_per_hour"
    ) == {("blue",): 2.0, ("red",): 4.0, (None,): None}
    # 09:00–09:59: c1, c2, c4 handled (c4 on Tue) over 3600 s staffed → 3/h; 10:00: c3 only, not handled
    assert by_group(
        report(store, standard_kpis, ["contacts_per_hour"], ["interval60"]), "contacts_per_hour"
    ) == {(540,): 3.0, (600,): None}


def test_a_kpi_that_cannot_be_grouped_as_asked_has_no_value_and_says_why(store, facts, standard_kpis):
    """contacts_per_hour reads agent time, which has no queue: by queue its column is empty,
    with the reason in every value, and the other KPIs of the report are computed."""
    result = report(store, standard_kpis, ["contacts_per_hour", "offered"], ["queue"])
    reason = (
        "not available by queue: 'queue' is not available for KPI 'contacts_per_hour': it reads "
        "fact_agent_interval, which can be grouped by centre, agent, team"
    )
    columns = {c.key: c for c in result.columns}
    assert columns["contacts_per_hour"].unavailable.startswith(reason)
    assert columns["offered"].unavailable is None
    # offered: sales c1, c2; support c3 (abandoned), c4
    assert by_group(result, "offered") == {("sales",): 2, ("support",): 2}
    assert by_group(result, "contacts_per_hour") == {("sales",): None, ("support",): None}
    assert all(row.values["contacts_per_hour"].note.startswith(reason) for row in result.rows)


def test_a_kpi_not_by_a_dimension_is_not_grouped_or_filtered_by_it(store, facts):
    """A KPI declared not_by agent (its rows include contacts no agent answered) has no value
    by agent, team or a team filter, instead of a (none) group that changes its meaning."""
    answered = Kpi(
        id="offered_here", title="Offered here", unit="n", higher_is_better=None,
        definition="Contacts offered, whoever answered them.", fact="fact_contact",
        measures=(Measure("offered", "count"),), formula=value_of("offered"), not_by=("agent", "team"),
    )  # fmt: skip
    registry = KpiRegistry()
    registry.register(answered, plugin="test")
    assert by_group(report(store, registry, ["offered_here"]), "offered_here") == {(): 4}  # c1–c4
    by_agent = report(store, registry, ["offered_here"], ["agent"])
    (column,) = by_agent.columns
    assert column.unavailable == (
        "not available by agent: KPI 'offered_here' counts contacts that have no agent (those never "
        "answered), so by agent it would mean something else"
    )
    assert by_agent.rows == ()  # nothing else was asked for, so no group was looked for
    request = ReportRequest(("offered_here",), MON, TUE, (), "default", filters={"team": ("red",)})
    (filtered,) = run_report(store, request, registry=registry).columns
    assert filtered.unavailable.startswith("not available by team")


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            ReportRequest(("offered",), MON, MON, ("teams",)),
            "group_by = 'teams'; expected one of centre, queue",
        ),
        (
            ReportRequest(("offered",), TUE, MON),
            "date_to = 2026-01-05 is before date_from = 2026-01-06",
        ),
        (
            ReportRequest(("servicelevel",), MON, MON),
            "kpi = 'servicelevel' is not an installed KPI; did you mean 'service_level'",
        ),
        (
            ReportRequest((KpiSelection("service_level", "genesys"),), MON, MON),
            "variant = 'genesys' of KPI 'service_level'; expected one of",
        ),
        (
            ReportRequest(
                (KpiSelection("service_level", parameters={"short_abandon_s": 5}),), MON, MON
            ),
            "parameter 'short_abandon_s' does not apply to KPI 'service_level' variant "
            "'answered_over_offered'; its parameters: threshold_s",
        ),
        (
            ReportRequest(
                (KpiSelection("service_level", parameters={"threshold_s": -1}),), MON, MON
            ),
            "KPI 'service_level' parameter threshold_s = -1; expected a number ≥ 0",
        ),
        (ReportRequest(("offered", "offered"), MON, MON), "offered asked for twice"),
    ],
)
def test_bad_requests_say_what_and_how(standard_kpis, request_, message):
    with pytest.raises(InvalidKpi, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_report(standard_kpis, request_)


def test_targets_and_minimum_sample(store, facts):
    registry = KpiRegistry()
    answered = Measure("answered", "count", filter=(("outcome", "==", "answered"),))
    offered = Measure("offered", "count", filter=(("outcome", "in", ("answered", "abandoned")),))
    for kpi_id, min_sample in (("share", 0), ("share_min5", 5)):
        registry.register(
            Kpi(
                kpi_id,
                "Share",
                "%",
                True,
                "answered ÷ offered",
                "fact_contact",
                (answered, offered),
                percent_of("answered", "offered"),
                sample="offered",
                min_sample=min_sample,
                target=80,
            ),
            plugin="test",
        )
    kpis = ("share", KpiSelection("share", target=70), "share_min5")
    (row,) = report(store, registry, kpis).rows
    # 3 answered of 4 offered = 75 %: below the default 80 target, above an overridden 70; n = 4 < 5 for share_min5
    assert (row.values["share"].value, row.values["share"].met) == (75.0, False)
    assert row.values["share"].target == 80
    assert [v.met for v in row.values.values()] == [False, True, None]
    assert (
        row.values["share_min5"].enough_sample is False and row.values["share_min5"].value == 75.0
    )


def test_period_and_centre_filters(store, insert_facts, standard_kpis):
    with store.transaction() as connection:
        add_centre(connection, "rotterdam", "Europe/Amsterdam")
    insert_facts(
        contacts=[
            *CONTACTS,
            contact_row("r1", centre="rotterdam"),
            contact_row("r2", centre="rotterdam"),
        ]
    )
    # Monday only: c1, c2, c3 in default; r1, r2 in rotterdam
    assert by_group(report(store, standard_kpis, ["offered"], date_to=MON), "offered") == {(): 3}
    assert by_group(
        report(store, standard_kpis, ["offered"], ["centre"], date_to=MON, centre=None), "offered"
    ) == {("default",): 3, ("rotterdam",): 2}


def test_arrival_rate_divides_by_the_local_hours_of_the_row(store, insert_facts, standard_kpis):
    with store.transaction() as connection:
        add_centre(connection, "ams", "Europe/Amsterdam")
    spring = date(2026, 3, 29)  # summer time starts: a 23-hour local day in Amsterdam
    rows = [
        contact_row(
            f"a{i}",
            "2026-03-29T08:00:00",
            centre="ams",
            local_date=spring,
            local_hour=9,
            local_weekday=7,
        )
        for i in range(46)
    ]
    insert_facts(contacts=rows)
    result = report(
        store,
        standard_kpis,
        ["arrival_rate", KpiSelection("arrival_rate", "per_day")],
        date_from=spring,
        date_to=spring,
        centre="ams",
    )
    (row,) = result.rows
    # 46 offered over 23 local hours = 2 per hour; per day: 46 ÷ (23 ÷ 24) = 48
    assert (row["arrival_rate"], row["arrival_rate:per_day"]) == (2.0, pytest.approx(48.0))
    # grouped by hour over 28–29 March: the 09:00 hour exists on 2 days → 46 ÷ 2 = 23 per hour
    by_hour = report(
        store, standard_kpis, ["arrival_rate"], ["hour"], date(2026, 3, 28), spring, "ams"
    )
    assert by_group(by_hour, "arrival_rate") == {(9,): 23.0}


def test_report_to_dict_is_json_ready(store, facts, standard_kpis):
    data = report(store, standard_kpis, ["answer_rate"], ["date"]).to_dict()
    assert data["rows"][0]["dimensions"] == {"date": "2026-01-05"}
    # Monday: c1, c2 answered of c1–c3 offered = 66.67 %
    assert data["rows"][0]["values"]["answer_rate"]["value"] == pytest.approx(200 / 3)
    assert data["columns"][0]["unit"] == "%"
