"""``callkpi report`` through CliRunner on a SQLite store loaded with a small hand-worked timeline.

The centre ``default`` (UTC), threshold 20 s:

=========  ==========  =====================================  ========================
contact    day         what happened                          handle (talk + ACW)
=========  ==========  =====================================  ========================
c1 sales   2026-01-05  answered after 10 s (fast)             100 + 20 = 120
c2 sales   2026-01-05  answered after 30 s (slow)             200 + 40 = 240
c3 sales   2026-01-05  abandoned after 5 s (fast, short)
c4 sales   2026-01-05  abandoned after 60 s
c5 support 2026-01-05  answered after 5 s (fast)              300 + 30 = 330
c6 billing 2026-01-05  abandoned after 8 s (fast, short)
c7 sales   2026-01-06  answered after 15 s (fast)             60 + 30 = 90
=========  ==========  =====================================  ========================
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from callkpi.cli import app
from callkpi.kpi.named_periods import resolve_period
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.db import Store
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY, abandoned_contact, contact_timeline, raw_events

Run = Callable[..., Result]
MONDAY = datetime.fromisoformat("2026-01-05T09:00:00+00:00")
TUESDAY = MONDAY + timedelta(days=1)


def timeline(make_event) -> list[dict]:
    def at(start: datetime, minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    return [
        *contact_timeline(make_event, "c1", MONDAY, wait_s=10, talk_s=100, acw_s=20),
        *contact_timeline(make_event, "c2", at(MONDAY, 5), wait_s=30, talk_s=200, acw_s=40),
        *abandoned_contact(make_event, "c3", at(MONDAY, 10), wait_s=5),
        *abandoned_contact(make_event, "c4", at(MONDAY, 15), wait_s=60),
        *contact_timeline(
            make_event, "c5", at(MONDAY, 20), wait_s=5, talk_s=300, acw_s=30, queue="support"
        ),
        *abandoned_contact(make_event, "c6", at(MONDAY, 25), wait_s=8, queue="billing"),
        *contact_timeline(make_event, "c7", TUESDAY, wait_s=15, talk_s=60, acw_s=30),
    ]


@pytest.fixture
def database(cli_home: Path, make_event) -> str:
    """A SQLite store in the isolated working directory, holding the timeline."""
    url = f"sqlite:///{cli_home / 'callkpi.db'}"
    store = Store.open(url)
    ingestor = Ingestor(store, get_plugin_manager(Settings()), CustomerHasher(TEST_HMAC_KEY))
    summary = ingestor.ingest(raw_events(timeline(make_event)))
    store.dispose()
    assert summary.accepted == 22  # 4 answered contacts × 4 events + 3 abandoned × 2
    return url


@pytest.fixture
def run(database: str) -> Run:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, ["report", *args, "--database", database])

    return invoke


def as_json(result: Result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def values(document: dict, key: str) -> dict[tuple, float | None]:
    """Column ``key``'s value in every row, by the row's dimension values."""
    return {
        tuple(row["dimensions"].values()): row["values"][key]["value"] for row in document["rows"]
    }


def table_row(output: str, first_cell: str) -> list[str]:
    (line,) = [line for line in output.splitlines() if re.match(rf"│ {first_cell}\s", line)]
    return [cell.strip() for cell in line.strip("│").split("│")]


def test_table_puts_variants_side_by_side_with_units_parameters_and_no_data(run: Run):
    result = run(
        "--kpi", "aht,service_level", "--by", "queue", "--from", "2026-01-05",
        "--variant", "service_level=asterisk_sl2",
        "--variant", "service_level=exclude_short_abandons",
        "--param", "service_level.short_abandon_s=10",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    header = result.output.split("┡")[0]
    for part in (
        "Average handle time",
        "s · default",
        "% · asterisk_sl2",
        "threshold_s=20",
        "% · exclude_short_abandons",
        "threshold_s=20, short_abandon_s=10",
        "target ≥ 80",
    ):
        assert part in header
    # aht: billing handled nothing (–); sales (120 + 240) ÷ 2 = 180; support 330.
    # asterisk_sl2 = (answered fast + abandoned fast) ÷ (answered + abandoned):
    #   billing (0 + 1) ÷ 1 = 100; sales (1 + 1) ÷ 4 = 50; support 1 ÷ 1 = 100.
    # exclude_short_abandons = answered fast ÷ (offered − abandons under 10 s):
    #   billing 0 ÷ (1 − 1) = no data; sales 1 ÷ (4 − 1) = 33.3; support 1 ÷ 1 = 100.
    assert table_row(result.output, "billing") == ["billing", "–", "100.0", "–"]
    assert table_row(result.output, "sales") == ["sales", "180.0", "50.0", "33.3"]
    assert table_row(result.output, "support") == ["support", "330.0", "100.0", "100.0"]


def test_csv_has_one_column_per_kpi_with_its_unit(run: Run):
    result = run(
        "--kpi", "aht,service_level", "--by", "queue,date", "--from", "2026-01-05",
        "--to", "2026-01-06", "--format", "csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # service_level = answered within 20 s ÷ offered: billing 0 ÷ 1; sales Monday 1 ÷ 4 = 25,
    # Tuesday 1 ÷ 1; support 1 ÷ 1. aht Monday (120 + 240) ÷ 2, Tuesday 60 + 30 = 90.
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["queue", "date", "aht [s]", "service_level [%]"],
        ["billing", "2026-01-05", "", "0.0"],
        ["sales", "2026-01-05", "180.0", "25.0"],
        ["sales", "2026-01-06", "90.0", "100.0"],
        ["support", "2026-01-05", "330.0", "100.0"],
    ]


def test_intervals_read_as_clock_times_in_csv_and_table(run: Run):
    # Monday 09:00–09:25: c1–c4 (sales) and c5, c6 in 09:00 and 09:15 UTC (the centre is UTC)
    args = ("--kpi", "offered", "--by", "interval30,interval15", "--from", "2026-01-05")
    result = run(*args, "--format", "csv")
    assert result.exit_code == 0, result.output
    # offered: 09:00 c1 c2 c3 (0, 5, 10 min), 09:15 c4 c5 c6 (15, 20, 25 min)
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["interval30", "interval15", "offered [n]"],
        ["09:00", "09:00", "3"],
        ["09:00", "09:15", "3"],
    ]
    table = run(*args, "--format", "table").output
    assert re.search(r"│ 09:00\s+│ 09:15\s+│\s+3 │", table), table


def test_json_is_the_documented_shape(run: Run):
    document = as_json(
        run("--kpi", "service_level", "--by", "queue", "--from", "2026-01-05", "--to",
            "2026-01-06", "--param", "service_level.threshold_s=10", "--format", "json")
    )  # fmt: skip
    assert {k: document[k] for k in ("centre", "from", "to", "by", "engine")} == {
        "centre": "default",  # the store's only centre
        "from": "2026-01-05",
        "to": "2026-01-06",
        "by": ["queue"],
        "engine": "sql",
    }
    (column,) = document["columns"]
    assert column["key"] == "service_level(threshold_s=10)"
    assert column["parameters"] == {"threshold_s": 10}
    assert (column["unit"], column["target"], column["higher_is_better"]) == ("%", 80, True)
    # within 10 s: sales c1 (10 s) of 5 offered = 20 %; support c5 (5 s) 1 ÷ 1; billing 0 ÷ 1
    assert values(document, column["key"]) == {
        ("billing",): 0.0,
        ("sales",): 20.0,
        ("support",): 100.0,
    }
    sales = document["rows"][1]["values"][column["key"]]
    assert (sales["n"], sales["met"], sales["enough_sample"]) == (5, False, True)


def test_centre_and_queue_targets_decide_met(run: Run, database: str):
    def met() -> dict[str, tuple]:
        document = as_json(run("--kpi", "service_level", "--by", "queue", "--from",
                               "2026-01-05", "--format", "json"))  # fmt: skip
        return {
            row["dimensions"]["queue"]: (row["values"]["service_level"]["target"],
                                         row["values"]["service_level"]["met"])
            for row in document["rows"]
        }  # fmt: skip

    # Monday: billing 0 %, sales 25 %, support 100 %, against the KPI's default target 80.
    assert met() == {"billing": (80, False), "sales": (80, False), "support": (80, True)}
    kpis = ["kpis", "target", "service_level", "--database", database]
    assert CliRunner().invoke(app, [*kpis[:3], "20", "--queue", "sales", *kpis[3:]]).exit_code == 0
    assert CliRunner().invoke(app, [*kpis[:3], "101", *kpis[3:]]).exit_code == 0
    # sales now has its own target 20 (25 ≥ 20); the rest the centre's 101 (100 < 101).
    assert met() == {"billing": (101, False), "sales": (20, True), "support": (101, False)}


def test_table_colours_values_against_their_targets(run: Run, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm")
    result = run("--kpi", "service_level", "--by", "queue", "--from", "2026-01-05")
    assert result.exit_code == 0, result.output
    green, red = "\x1b[32m", "\x1b[31m"
    # target 80, higher is better: support's 100 meets it, sales' 25 and billing's 0 do not
    cells = dict(re.findall(r"│ (\w+)\s+│ (\x1b\[\d+m)\s*[\d.]+\x1b\[0m", result.output))
    assert cells == {"billing": red, "sales": red, "support": green}


def test_only_enabled_kpis_unless_named(run: Run, database: str):
    def reported(*args: str) -> list[str]:
        document = as_json(run("--from", "2026-01-05", "--format", "json", *args))
        return [column["key"] for column in document["columns"]]

    everything = reported()
    assert "aht" in everything and "service_level" in everything
    disable = ["kpis", "disable", "aht", "--database", database]
    assert CliRunner().invoke(app, disable).exit_code == 0
    assert reported() == [key for key in everything if key != "aht"]
    assert reported("--kpi", "aht") == ["aht"]


def test_output_file(run: Run, tmp_path: Path):
    target = tmp_path / "report.csv"
    result = run("--kpi", "aht", "--from", "2026-01-06", "--format", "csv", "--output", str(target))
    assert result.exit_code == 0 and f"Wrote {target}." in result.output
    assert target.read_text() == "aht [s]\n90.0\n"  # Tuesday: one contact, 60 + 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--kpi", "servce_level"), "kpi = 'servce_level' is not an installed KPI; did you mean "
         "'service_level'?"),
        (("--kpi", "aht", "--by", "qeue"), "--by = 'qeue': expected one of centre, queue"),
        (("--kpi", "aht", "--to", "2026-02-30"), "--to = '2026-02-30': not a date; expected "
         "YYYY-MM-DD"),
        (("--kpi", "aht", "--variant", "aht=nope"), "--variant = 'aht=nope': KPI 'aht' has no "
         "variant 'nope'; expected one of default, talk_includes_hold, excludes_acw"),
        (("--kpi", "aht", "--variant", "service_level=asterisk_sl"), "--variant = "
         "'service_level=asterisk_sl': KPI 'service_level' is not in this report"),
        (("--kpi", "aht", "--param", "aht.threshold_s=5"), "--param aht.threshold_s: KPI 'aht' "
         "(as reported) has no parameter 'threshold_s'; its parameters: none"),
        (("--kpi", "service_level", "--param", "service_level.threshold_s=soon"), "--param = "
         "'service_level.threshold_s=soon': 'soon' is not a number"),
        (("--kpi", "service_level", "--param", "service_level.threshold_s=-1"), "parameter "
         "threshold_s = -1.0; expected a number ≥ 0"),
        (("--kpi", "aht", "--engine", "hadoop"), "--engine = 'hadoop': expected one of sql, duckdb, spark"),
        (("--kpi", "aht", "--format", "xml"), "--format = 'xml': expected one of table, csv, json"),
        (("--kpi", "aht", "--centre", "nowhere"), "--centre = 'nowhere': no such centre"),
    ],
)  # fmt: skip
def test_bad_input_is_one_red_line_naming_it(run: Run, args: tuple[str, ...], message: str):
    result = run("--from", "2026-01-05", *args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert message in line


def test_enabled_kpis_that_cannot_be_grouped_are_left_out_with_a_note(run: Run):
    result = run("--from", "2026-01-05", "--by", "queue", "--format", "json")
    # contacts_per_hour divides by staffed hours from fact_agent_interval, which has no queue
    assert "Left out, cannot be grouped by queue:" in result.stderr
    assert "contacts_per_hour" in result.stderr
    keys = [column["key"] for column in as_json(result)["columns"]]
    assert "aht" in keys and "contacts_per_hour" not in keys


def test_duckdb_engine_reports_the_same_numbers(run: Run):
    args = ("--kpi", "aht,service_level", "--by", "queue,date", "--from", "2026-01-05",
            "--to", "2026-01-06", "--format", "json")  # fmt: skip
    on_sql, on_duckdb = as_json(run(*args)), as_json(run(*args, "--engine", "duckdb"))
    assert on_duckdb["engine"] == "duckdb"
    # the same rows as the CSV test: e.g. sales Monday aht (120 + 240) ÷ 2 = 180, SL 1 ÷ 4 = 25
    assert values(on_duckdb, "aht") == values(on_sql, "aht")
    assert values(on_duckdb, "aht")[("sales", "2026-01-05")] == 180.0
    assert values(on_duckdb, "service_level") == values(on_sql, "service_level")


@pytest.fixture
def teams(database: str, make_event) -> None:
    """Agent a1 (who answered every contact) in team red at site ams, from before Monday."""
    store = Store.open(database)
    ingestor = Ingestor(store, get_plugin_manager(Settings()), CustomerHasher(TEST_HMAC_KEY))
    update = make_event("agent.updated", "2026-01-04T08:00:00Z", {"team": "red", "site": "ams"}, agentid="a1")
    assert ingestor.ingest(raw_events([update])).accepted == 1
    store.dispose()


@pytest.mark.parametrize("engine", ["sql", "duckdb"])
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # repeated or comma-separated: the same filter; billing (c6) and support (c5) kept, sales left out
        (("--queue", "support", "--queue", "billing"), {("support",): 1, ("billing",): 1}),
        (("--queue", "support,billing"), {("support",): 1, ("billing",): 1}),
        # every contact is voice; a1 answered c1, c2, c5 on Monday (the abandons have no agent)
        (("--channel", "voice", "--agent", "a1"), {("sales",): 2, ("support",): 1}),
        (("--agent", "a2"), {}),
        (("--team", "red"), {("sales",): 2, ("support",): 1}),
        (("--site", "ams", "--team", "blue"), {}),
        (("--channel", "chat"), {}),
    ],
)  # fmt: skip
def test_filters_keep_only_the_rows_asked_for(run: Run, teams, filters, expected, engine):
    # offered counts queue legs, which have no agent, and has a team or site only through a
    # queue map (kpi.queue_map): filtered by agent, team or site, count the answered contacts
    people = {"--agent", "--team", "--site"} & set(filters)
    kpi = "answered" if people else "offered"
    document = as_json(run("--kpi", kpi, "--by", "queue", "--from", "2026-01-05", "--format", "json",
                           "--engine", engine, *filters))  # fmt: skip
    assert values(document, kpi) == expected
def test_period_by_name_in_the_centres_zone_and_never_with_dates(run: Run):
    # the centre is in UTC: last-week is Monday … Sunday of the week before this one
    document = as_json(run("--period", "last-week", "--kpi", "aht", "--format", "json"))
    first, last = resolve_period("last-week", ZoneInfo("UTC"), datetime.now(UTC))
    assert (document["from"], document["to"]) == (first.isoformat(), last.isoformat())
    document = as_json(run("--kpi", "aht", "--format", "json"))  # neither: yesterday
    yesterday, _ = resolve_period("yesterday", ZoneInfo("UTC"), datetime.now(UTC))
    assert document["from"] == document["to"] == yesterday.isoformat()
    result = run("--period", "last-week", "--from", "2026-01-05", "--kpi", "aht")
    assert result.exit_code == 1
    assert "--period = 'last-week' with --from/--to: expected either a named period or dates" in result.stderr
    result = run("--period", "fortnight", "--kpi", "aht")
    assert result.exit_code == 1 and "--period = 'fortnight': not a period; expected one of" in result.stderr
