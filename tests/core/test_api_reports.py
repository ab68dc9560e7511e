"""POST /v1/reports and GET /v1/reports.csv through the ASGI app, on SQLite and PostgreSQL,
with the timeline of ``api_app`` (read its docstring for the hand-worked data)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
from api_app import NORTH, PROBLEM, asgi_client, bearer, make_app, make_keys, post_timelines

from callkpi.cli.report_formats import report_json
from callkpi.kpi import KpiSelection, ReportRequest, run_report
from callkpi.kpi.named_periods import resolve_period
from callkpi.store.centres import add_centre

pytestmark = pytest.mark.anyio
MONDAY = "2026-01-05"



@pytest.fixture
def app(store, tmp_path):
    app = make_app(store, snapshot_dir=tmp_path / "snapshot")
    yield app
    app.state.callkpi.store.dispose()


@pytest.fixture
def keys(app, store) -> dict[str, str]:
    return make_keys(store)  # after make_app, which adds the centres


@pytest.fixture
async def client(app, keys) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        await post_timelines(client, keys)
        yield client


async def report(client, keys, key: str = "read", **body) -> dict:
    response = await client.post("/v1/reports", json={"date_from": MONDAY, **body}, headers=bearer(keys[key]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def values(document: dict, key: str) -> dict[tuple, float | None]:
    """Column ``key``'s value in every row, by the row's dimension values."""
    return {tuple(row["dimensions"].values()): row["values"][key]["value"] for row in document["rows"]}


async def test_the_json_is_callkpi_reports_json_plus_the_filters(client, keys, store):
    choices = ["aht", {"kpi": "service_level", "variant": "asterisk_sl2"}]
    document = await report(client, keys, kpis=choices, group_by=["queue"], date_to="2026-01-06")
    request = ReportRequest(
        ("aht", KpiSelection("service_level", "asterisk_sl2")),
        date(2026, 1, 5),
        date(2026, 1, 6),
        ("queue",),
        "north",
    )
    expected = orjson.loads(report_json(run_report(store, request), "sql"))
    assert document == {**expected, "filters": {}}
    assert document["centre"] == "north"  # no centre asked for: the key's


@pytest.mark.parametrize(
    ("kpis", "group_by", "filters"),
    [
        (["aht", "service_level", "fcr", "asa", "abandon_rate"], ["agent"], {}),
        # dates as dimensions, targets, a note (no costs configured), details (occupancy)
        (["service_level", "cost_per_call", "occupancy"], ["date", "week"], {}),
        (
            [{"kpi": "service_level", "parameters": {"threshold_s": 30.0}, "target": 70.0}],
            ["queue"],
            {"queue": ["sales"]},
        ),
    ],
)
async def test_the_body_is_byte_for_byte_the_reports_to_dict(client, keys, store, kpis, group_by, filters):
    # the route hands Report's dataclasses to orjson itself: its bytes must be those of
    # the plain data Report.to_dict makes, which `callkpi report --format json` writes
    body = {"date_from": MONDAY, "date_to": "2026-01-06", "kpis": kpis, "group_by": group_by, "filters": filters}
    response = await client.post("/v1/reports", json=body, headers=bearer(keys["read"]))
    assert response.status_code == 200, response.text
    selections = tuple(k if isinstance(k, str) else KpiSelection(**k) for k in kpis)
    request = ReportRequest(
        selections, date(2026, 1, 5), date(2026, 1, 6), tuple(group_by), "north", "sql",
        {name: tuple(values) for name, values in filters.items()},
    )  # fmt: skip
    result = run_report(store, request)
    head = {"centre": "north", "from": "2026-01-05", "to": "2026-01-06", "by": group_by, "engine": "sql"}
    assert response.content == orjson.dumps({**head, "filters": filters, **result.to_dict()})


async def test_variants_and_parameters_side_by_side_with_the_centres_targets(client, keys):
    kpis = [
        {"kpi": "service_level"},
        {"kpi": "service_level", "parameters": {"threshold_s": 30}},
        {"kpi": "service_level", "variant": "asterisk_sl2"},
    ]
    document = await report(client, keys, kpis=kpis, group_by=["queue"])
    assert [c["key"] for c in document["columns"]] == [
        "service_level",
        "service_level(threshold_s=30)",
        "service_level:asterisk_sl2",
    ]
    # Monday, answered within 20 s ÷ offered: billing 0 ÷ 1, sales c1 ÷ 4 = 25, support 1 ÷ 1;
    # within 30 s sales also has c2: 2 ÷ 4 = 50; asterisk_sl2 = (answered + abandoned within
    # 20 s) ÷ (answered + abandoned): billing (0 + 1) ÷ 1, sales (1 + 1) ÷ 4 = 50, support 1 ÷ 1
    assert values(document, "service_level") == {("billing",): 0, ("sales",): 25, ("support",): 100}
    assert values(document, "service_level(threshold_s=30)") == {("billing",): 0, ("sales",): 50, ("support",): 100}
    assert values(document, "service_level:asterisk_sl2") == {("billing",): 100, ("sales",): 50, ("support",): 100}
    # north's targets: 85 for the centre, 90 for sales
    met = {r["dimensions"]["queue"]: (r["values"]["service_level"]["target"], r["values"]["service_level"]["met"])
           for r in document["rows"]}  # fmt: skip
    assert met == {"billing": (85, False), "sales": (90, False), "support": (85, True)}
    sales = document["rows"][1]["values"]["service_level"]
    assert (sales["unit"], sales["n"], sales["ci_low"], sales["ci_high"]) == ("%", 4, None, None)


async def test_filters_keep_the_rows_of_some_queues(client, keys):
    document = await report(client, keys, kpis=["aht"], group_by=["agent"], filters={"queue": ["sales"]})
    # Monday's sales contacts: c1 by a1 (120 s), c2 by a2 (240 s); c3 and c4 were abandoned
    # before reaching an agent (no aht); c5 of a1 is support, so left out
    assert values(document, "aht") == {("a1",): 120, ("a2",): 240, (None,): None}
    assert document["filters"] == {"queue": ["sales"]}


async def test_no_kpis_named_means_the_centres_enabled_ones_that_can_be_grouped(client, keys):
    everything = await report(client, keys)
    # in catalogue order
    assert [c["key"] for c in everything["columns"]] == ["service_level", "aht", "occupancy"]
    # occupancy reads agent intervals, which have no queue
    by_queue = await report(client, keys, group_by=["queue"])
    assert [c["key"] for c in by_queue["columns"]] == ["service_level", "aht"]


async def test_each_key_reads_its_own_centre_only(client, keys):
    south = await report(client, keys, "south_read", kpis=["aht", "service_level"], group_by=["queue"])
    # s1: sales, answered after 50 s (not within 20), 400 s handled
    assert south["centre"] == "south"
    assert values(south, "aht") == {("sales",): 400}
    assert values(south, "service_level") == {("sales",): 0}
    admin = await report(client, keys, "admin", kpis=["aht"], centre="north")
    # north, Monday: c1 120, c2 240, c5 330 → 690 ÷ 3 = 230
    assert values(admin, "aht") == {(): 230}
    response = await client.post(
        "/v1/reports", json={"date_from": MONDAY, "centre": "south"}, headers=bearer(keys["read"])
    )
    assert response.status_code == 403 and response.headers["content-type"] == PROBLEM
    (error,) = response.json()["errors"]
    assert error == {
        "pointer": "/centre",
        "detail": f"centre = 'south': API key {keys['read'][:11]} reads centre 'north' only; expected 'north'",
    }


async def test_the_duckdb_engine_gives_the_same_numbers(client, keys):
    body = {"kpis": ["aht", "service_level"], "group_by": ["queue", "date"], "date_to": "2026-01-06"}
    on_sql = await report(client, keys, **body)
    on_duckdb = await report(client, keys, **body, engine="duckdb")
    assert on_duckdb["engine"] == "duckdb"
    assert on_duckdb["rows"] == on_sql["rows"]
    # sales on Tuesday: c7 alone, 60 + 30 = 90 s
    assert values(on_duckdb, "aht")[("sales", "2026-01-06")] == 90


@pytest.mark.parametrize(
    ("body", "pointer", "detail"),
    [
        ({"kpis": ["servce_level"]}, "/kpis/0/kpi",
         "kpi = 'servce_level' is not an installed KPI; did you mean 'service_level'?"),
        ({"kpis": ["aht", {"kpi": "aht", "variant": "nope"}]}, "/kpis/1/variant",
         "variant = 'nope' of KPI 'aht'; expected one of default, talk_includes_hold, excludes_acw"),
        ({"kpis": [{"kpi": "service_level", "parameters": {"threshold_s": -1}}]}, "/kpis/0/parameters/threshold_s",
         "KPI 'service_level' parameter threshold_s = -1.0; expected a number ≥ 0"),
        ({"kpis": ["occupancy"], "filters": {"queue": ["sales"]}}, "/filters/queue",
         "filters = 'queue' is not available for KPI 'occupancy': it reads fact_agent_interval, which can be "
         "filtered by agent, team, site"),
        ({"kpis": ["aht", "aht"]}, "/kpis/1", "kpis: aht asked for twice"),
        ({"kpis": ["aht"], "date_to": "2026-01-04"}, "/date_to",
         "date_to = 2026-01-04 is before date_from = 2026-01-05; expected from ≤ to"),
        ({"kpis": ["aht"], "group_by": ["qeue"]}, "/group_by/0", "group_by.0 = 'qeue': Input should be 'centre'"),
        ({"kpis": ["aht"], "filters": {"queue": []}}, "/filters/queue", "filters.queue = []: List should have at"),
        ({"kpis": ["aht"], "date_from": "2026-02-30"}, "/date_from", "date_from = '2026-02-30': Input should be"),
        ({"kpis": ["aht"], "date_from": None, "period": "fortnight"}, "/period",
         "period = 'fortnight': not a period; expected one of"),
        ({"kpis": ["aht"], "period": "last-week"}, "/period", "period = 'last-week' with date_from/date_to: expected"),
        ({"kpis": ["aht"], "engine": "hadoop"}, "/engine", "engine = 'hadoop': Input should be 'sql', 'duckdb' or 'spark'"),
        ({"kpis": ["aht"], "colour": "red"}, "/colour", "colour = 'red': Extra inputs are not permitted"),
    ],
)  # fmt: skip
async def test_a_bad_request_is_a_400_problem_pointing_at_the_field(client, keys, body, pointer, detail):
    response = await client.post("/v1/reports", json={"date_from": MONDAY, **body}, headers=bearer(keys["read"]))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    (error,) = problem["errors"]
    assert error["pointer"] == pointer and error["detail"].startswith(detail), error
    assert problem["instance"] == "/v1/reports"


async def test_a_kpi_that_cannot_be_grouped_as_asked_is_empty_with_why(client, keys):
    body = {"date_from": MONDAY, "kpis": ["aht", "occupancy"], "group_by": ["date", "queue"]}
    response = await client.post("/v1/reports", json=body, headers=bearer(keys["read"]))
    assert response.status_code == 200, response.text
    report = response.json()
    reason = (
        "not available by queue: 'queue' is not available for KPI 'occupancy': it reads fact_agent_interval, "
        "which can be grouped by centre, agent, team, site, date"
    )
    columns = {column["key"]: column for column in report["columns"]}
    assert columns["occupancy"]["unavailable"].startswith(reason) and columns["aht"]["unavailable"] is None
    assert report["rows"] and all(row["values"]["occupancy"]["value"] is None for row in report["rows"])
    assert any(row["values"]["aht"]["value"] is not None for row in report["rows"])


async def test_reports_need_a_read_or_admin_key(client, keys):
    missing = await client.post("/v1/reports", json={"date_from": MONDAY})
    assert missing.status_code == 401 and missing.headers["content-type"] == PROBLEM
    ingest = await client.post("/v1/reports", json={"date_from": MONDAY}, headers=bearer(keys["ingest"]))
    assert ingest.status_code == 403
    assert "has scope 'ingest'; expected 'read' or 'admin'" in ingest.json()["detail"]


async def csv_report(client, keys, key: str = "read", **params) -> httpx.Response:
    return await client.get("/v1/reports.csv", params={"from": MONDAY, **params}, headers=bearer(keys[key]))


async def test_csv_is_a_spreadsheet_download(client, keys):
    response = await csv_report(client, keys, kpi="aht,service_level", by="queue,date", to="2026-01-06")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="callkpi-north-2026-01-05-2026-01-06.csv"'
    # as in the JSON test: Monday sales aht (120 + 240) ÷ 2 = 180, SL 1 ÷ 4 = 25; Tuesday c7 90 s
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["queue", "date", "aht [s]", "service_level [%]"],
        ["billing", "2026-01-05", "", "0.0"],
        ["sales", "2026-01-05", "180.0", "25.0"],
        ["sales", "2026-01-06", "90.0", "100.0"],
        ["support", "2026-01-05", "330.0", "100.0"],
    ]


async def test_csv_takes_variants_parameters_and_filters_like_the_cli(client, keys):
    params = [
        ("kpi", "service_level"), ("by", "queue"), ("from", MONDAY), ("queue", "sales,support"),
        ("variant", "service_level=answered_over_offered"), ("variant", "service_level=asterisk_sl2"),
        ("param", "service_level.threshold_s=30"),
    ]  # fmt: skip
    response = await client.get("/v1/reports.csv", params=params, headers=bearer(keys["read"]))
    assert response.status_code == 200, response.text
    # Monday, sales: c1 answered after 10 s, c2 after 30 s, c3 abandoned after 5 s, c4 after
    # 60 s. Within 30 s ÷ offered: 2 ÷ 4 = 50; asterisk_sl2 = (answered + abandoned within 30 s)
    # ÷ (answered + abandoned) = (2 + 1) ÷ 4 = 75. Support: c5 answered after 5 s, 100 for both;
    # billing (c6) is filtered out. (By agent, service level is not available: its abandoned
    # legs have no agent, kpi.queue_map.)
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["queue", "service_level(threshold_s=30) [%]", "service_level:asterisk_sl2(threshold_s=30) [%]"],
        ["sales", "50.0", "75.0"],
        ["support", "100.0", "100.0"],
    ]


@pytest.mark.parametrize(
    ("params", "parameter", "detail"),
    [
        ({"kpi": "servce_level"}, "kpi", "kpi = 'servce_level' is not an installed KPI; did you mean 'service_level'?"),
        ({"kpi": "aht", "by": "qeue"}, "by", "by = 'qeue': expected one of centre, queue"),
        ({"kpi": "aht", "variant": "aht=nope"}, "variant", "variant = 'aht=nope': KPI 'aht' has no variant 'nope'"),
        ({"kpi": "service_level", "param": "service_level.threshold_s=-1"}, "param",
         "KPI 'service_level' parameter threshold_s = -1.0; expected a number ≥ 0"),
        ({"kpi": "aht", "param": "aht.threshold_s=5"}, "param",
         "param aht.threshold_s: KPI 'aht' (as reported) has no parameter 'threshold_s'"),
        ({"kpi": "occupancy", "queue": "sales"}, "queue", "filters = 'queue' is not available for KPI 'occupancy'"),
        ({"kpi": "aht", "to": "2026-01-01"}, "to", "date_to = 2026-01-01 is before date_from = 2026-01-05"),
        ({"kpi": "aht", "from": "2026-02-30"}, "from", "from = '2026-02-30': Input should be a valid date"),
        ({"kpi": "aht", "colour": "red"}, "colour", "colour = 'red': Extra inputs are not permitted"),
    ],
)  # fmt: skip
async def test_csv_errors_name_the_query_parameter(client, keys, params, parameter, detail):
    response = await csv_report(client, keys, **params)
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["parameter"] == parameter and error["detail"].startswith(detail), error


async def test_csv_of_another_centre_is_forbidden(client, keys):
    response = await csv_report(client, keys, kpi="aht", centre="south")
    assert response.status_code == 403 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["parameter"] == "centre"


async def test_a_named_period_is_read_in_the_centres_time_zone(client, keys, store):
    # north moved to Auckland: "today" and "last-week" are its dates, not UTC's; the CSV
    # takes the same names, and no dates at all is yesterday
    with store.transaction() as connection:
        add_centre(connection, "north", "Pacific/Auckland", NORTH)
    auckland = ZoneInfo("Pacific/Auckland")
    for period in ("today", "last-week", "last-7-days"):
        document = await report(client, keys, kpis=["aht"], date_from=None, period=period)
        first, last = resolve_period(period, auckland, datetime.now(UTC))
        assert (document["from"], document["to"]) == (first.isoformat(), last.isoformat())
    document = await report(client, keys, kpis=["aht"], date_from=None)
    yesterday, _ = resolve_period("yesterday", auckland, datetime.now(UTC))
    assert document["from"] == document["to"] == yesterday.isoformat()
    params = {"kpi": "aht", "period": "this-month"}
    response = await client.get("/v1/reports.csv", params=params, headers=bearer(keys["read"]))
    assert response.status_code == 200, response.text
    first, last = resolve_period("this-month", auckland, datetime.now(UTC))
    assert f"callkpi-north-{first}-{last}.csv" in response.headers["content-disposition"]


async def test_csv_refuses_a_named_period_with_dates(client, keys):
    response = await csv_report(client, keys, kpi="aht", period="last-week")
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["parameter"] == "period"
    assert error["detail"] == "period = 'last-week' with from/to: expected either a named period or dates, not both"
