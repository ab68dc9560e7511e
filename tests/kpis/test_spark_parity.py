"""The same compiled KPI SQL on Spark (Spark Connect) as on the store and on DuckDB.

The parity timeline of ``test_parity`` (every v1 event type; a Kathmandu centre at
UTC+05:45 with contacts either side of its local midnight, an in-progress contact that
censors the data end, a recorded summary) plus a New York centre across the 2026-03-08
spring-forward (01:50 EST and 03:10 EDT, an agent logged in over the missing hour) is
ingested into SQLite. The whole catalogue (every KPI × variant) is reported on sql,
duckdb and spark grouped by queue × date, agent × 15-minute interval, team and centre,
and every value, sample size, verdict and detail must agree.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select
from test_parity import PERIOD, catalogue, flattened, loaded_store, same, utc

from callkpi.kpi import run_report
from callkpi.kpi.engine import ENGINES
from callkpi.kpi.facts import FACT_TABLES
from callkpi.kpi.report import ReportRequest, SparkTarget
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.snapshot.spark import spark_sql
from callkpi.store.centres import add_centre
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY, abandoned_contact, contact_timeline, event_factory, raw_events

pytestmark = pytest.mark.spark
NYC = "new-york"
GROUPINGS: tuple[tuple[str, ...], ...] = (
    (),
    ("queue", "date"),
    ("agent", "interval15"),
    ("team",),
    ("centre",),
)


def spring_forward(make) -> list[dict]:
    """New York on 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC)."""
    centre = {"centre": NYC}
    return [
        make("agent.state_changed", utc("2026-03-08T06:30:00"), {"state": "available"}, agentid="ny-a1", **centre),
        *contact_timeline(make, "ny1", utc("2026-03-08T06:50:00"), agentid="ny-a1", **centre),
        *contact_timeline(make, "ny2", utc("2026-03-08T07:10:00"), agentid="ny-a1", **centre),
        *abandoned_contact(make, "ny3", utc("2026-03-08T07:20:00"), wait_s=25, **centre),
        make("agent.state_changed", utc("2026-03-08T07:30:00"), {"state": "logged_out"}, agentid="ny-a1", **centre),
    ]


@pytest.fixture(scope="module")
def spark_store(tmp_path_factory, spark_connect):
    """The SQLite store (with its snapshot folder), loaded once for the module."""
    folder = tmp_path_factory.mktemp("spark")
    pm, make = get_plugin_manager(Settings()), event_factory()
    store = loaded_store(f"sqlite:///{folder / 'callkpi.db'}", pm, make)
    with store.transaction() as connection:
        add_centre(connection, NYC, "America/New_York")
    summary = Ingestor(store, pm, CustomerHasher(TEST_HMAC_KEY)).ingest(raw_events(spring_forward(make)))
    assert (summary.quarantined, summary.rejected) == (0, 0), summary
    yield store, folder / "snapshot"
    store.dispose()


def reported(spark_store, registry, request, engine, **options):
    store, snapshot = spark_store
    return run_report(store, replace(request, engine=engine), registry=registry, snapshot_dir=snapshot, **options)


def test_every_kpi_and_variant_agrees_on_sql_duckdb_and_spark(spark_store, standard_kpis):
    compared: set[str] = set()
    for group_by in GROUPINGS:
        request = ReportRequest(catalogue(standard_kpis, group_by), *PERIOD, group_by)
        engines = {engine: reported(spark_store, standard_kpis, request, engine) for engine in ENGINES}
        expected = flattened(engines["sql"])
        assert expected, f"no rows for group_by={group_by}"
        for engine in ("duckdb", "spark"):
            found = flattened(engines[engine])
            assert found.keys() == expected.keys(), (engine, group_by)
            wrong = [
                (key, field, value, found[key].get(field))
                for key, values in expected.items()
                for field, value in values.items()
                if not same(value, found[key].get(field))
            ]
            assert not wrong, f"{engine} differs from sql, group_by={group_by}: {wrong[:5]}"
        compared |= {column.key for column in engines["sql"].columns}
    assert len(compared) == sum(len(registered.variants) for registered in standard_kpis)


def test_spark_counts_the_spring_forward_by_hand(spark_store, standard_kpis):
    day = date(2026, 3, 8)
    request = ReportRequest(("offered", "answered"), day, day, ("interval15",), NYC)
    report = reported(spark_store, standard_kpis, request, "spark")
    # ny1 01:50 EST → the 01:45 interval; ny2 07:10 UTC = 03:10 EDT → 03:00 (02:xx never was);
    # ny3 07:20 UTC = 03:20 EDT, abandoned after 25 s → 03:15
    assert report.row(interval15=105)["offered"] == 1
    assert report.row(interval15=180)["answered"] == 1
    assert (report.row(interval15=195)["offered"], report.row(interval15=195)["answered"]) == (1, 0)
    assert {row.dimensions["interval15"] for row in report.rows} == {105, 180, 195}


def test_spark_reads_a_snapshot_published_to_a_file_url(spark_store, standard_kpis, tmp_path):
    request = ReportRequest(("offered", "aht", "service_level"), *PERIOD, ("centre", "date"))
    target = SparkTarget(location=(tmp_path / "published").as_uri())
    on_url = flattened(reported(spark_store, standard_kpis, request, "spark", spark=target))
    assert (tmp_path / "published" / "fact_contact").is_dir()
    assert on_url == flattened(reported(spark_store, standard_kpis, request, "sql"))


def test_the_translation_is_spark_sql_with_typed_literals():
    contacts = FACT_TABLES["fact_contact"].table
    query = select(func.count().filter(contacts.c.outcome == "answered").label("n")).where(
        contacts.c.local_date >= date(2026, 3, 1), contacts.c.centre.in_(["a", "b"])
    )
    sql = spark_sql(query)
    # PostgreSQL's "::" casts become CAST; the parameters are literals of their types
    assert sql == (
        "SELECT COUNT(*) FILTER(WHERE fact_contact.outcome = CAST('answered' AS STRING)) AS n "
        "FROM fact_contact WHERE fact_contact.local_date >= CAST(CAST('2026-03-01' AS DATE) AS DATE) "
        "AND fact_contact.centre IN (CAST('a' AS STRING), CAST('b' AS STRING))"
    )
