"""The columnar snapshot: Parquet partitions by centre and month, incremental refresh, and
the DuckDB engine reading it. Real stores (SQLite file and PostgreSQL), real Parquet files."""

from __future__ import annotations

import importlib
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from callkpi.cli import app
from callkpi.kpi import InvalidKpi, run_report
from callkpi.kpi.report import ReportRequest
from callkpi.snapshot import open_reader, refresh, snapshot_directory
from callkpi.snapshot.export import export_partition
from callkpi.snapshot.refresh import refresh_lock
from callkpi.store.db import Store
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY, abandoned_contact, contact_timeline, raw_events

NO_LAG = timedelta(0)  # the tests ingest within seconds: look again at nothing already seen
CUSTOMER = "+442079460123"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def partition(folder: Path, table: str, month: str) -> Path:
    return folder / table / "centre=default" / f"month={month}" / "data.parquet"


def contact_months(folder: Path) -> dict[str, str]:
    """contactid → the ``month=`` partition holding it, read back with DuckDB."""
    with open_reader(folder) as reader:
        rows = reader.connection.execute(
            "SELECT contactid, strftime(local_month, '%Y-%m') FROM fact_contact"
        ).fetchall()
    return dict(rows)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "snapshot"


@pytest.fixture
def ingest(ingestor):
    def run(*timelines: list[dict]) -> None:
        summary = ingestor.ingest(raw_events([event for t in timelines for event in t]))
        assert summary.quarantined == 0, summary

    return run


def test_partitions_by_centre_and_month_keep_the_store_types(store, ingest, make_event, folder):
    ingest(
        contact_timeline(make_event, "c1", utc("2026-03-02T09:00:00"), resolved=True),
        abandoned_contact(make_event, "c2", utc("2026-02-27T10:00:00")),
    )
    summary = refresh(store, folder, lag=NO_LAG)
    assert summary.centres == ("default",)
    march = pq.read_table(partition(folder, "fact_contact", "2026-03"))
    february = pq.read_table(partition(folder, "fact_contact", "2026-02"))
    assert march["contactid"].to_pylist() == ["c1"] and february["contactid"].to_pylist() == ["c2"]
    assert march.schema.field("offered_at").type == pa.timestamp("us", tz="UTC")
    assert march.schema.field("local_date").type == pa.date32()
    assert march.schema.field("resolved").type == pa.bool_()
    c1 = march.to_pylist()[0]
    # offered 09:00:00, answered after wait_s = 20 s, 180 s talk, 30 s wrap-up
    assert c1["offered_at"] == utc("2026-03-02T09:00:00")
    assert (c1["wait_s"], c1["talk_s"], c1["acw_s"]) == (20.0, 180.0, 30.0)
    assert (c1["resolved"], c1["local_date"], c1["centre"]) == (True, date(2026, 3, 2), "default")
    assert pq.read_table(folder / "dim_agent" / "data.parquet").num_rows == 0  # no agent joined


def test_a_refresh_rewrites_only_the_months_new_events_touch(store, ingest, make_event, folder):
    ingest(
        contact_timeline(make_event, "c1", utc("2026-03-02T09:00:00")),
        abandoned_contact(make_event, "c2", utc("2026-02-27T10:00:00")),
    )
    refresh(store, folder, lag=NO_LAG)
    before = {m: partition(folder, "fact_contact", m).stat().st_ino for m in ("2026-02", "2026-03")}
    ingest(contact_timeline(make_event, "c3", utc("2026-03-04T11:00:00")))
    summary = refresh(store, folder, lag=NO_LAG)
    # two partitions: March of fact_contact (c1, c3) and of fact_contact_leg (a queue and an
    # agent leg each); no agent state events, no other facts
    assert (summary.partitions, summary.rows) == (2, 6)
    after = {m: partition(folder, "fact_contact", m).stat().st_ino for m in ("2026-02", "2026-03")}
    assert after["2026-02"] == before["2026-02"] and after["2026-03"] != before["2026-03"]
    assert contact_months(folder) == {"c1": "2026-03", "c2": "2026-02", "c3": "2026-03"}
    nothing_new = refresh(store, folder, lag=NO_LAG)
    assert (nothing_new.centres, nothing_new.partitions) == ((), 0)


def test_a_late_earlier_offer_moves_a_contact_to_the_month_before(
    store, ingest, make_event, folder
):
    ingest(contact_timeline(make_event, "c4", utc("2026-03-01T00:00:10")))
    refresh(store, folder, lag=NO_LAG)
    assert contact_months(folder) == {"c4": "2026-03"}
    # a re-offer recorded 20 s earlier, received late: offered_at is the earliest offer
    ingest(
        [make_event("contact.offered", utc("2026-02-28T23:59:50"), contactid="c4", queue="sales")]
    )
    refresh(store, folder, lag=NO_LAG)
    assert contact_months(folder) == {"c4": "2026-02"}
    assert not partition(folder, "fact_contact", "2026-03").parent.exists()


def test_a_new_contact_updates_the_gap_of_an_older_month(store, ingest, make_event, folder):
    ingest(contact_timeline(make_event, "c5", utc("2026-02-10T10:00:00"), customer=CUSTOMER))
    refresh(store, folder, lag=NO_LAG)
    ingest(contact_timeline(make_event, "c6", utc("2026-03-03T10:00:00"), customer=CUSTOMER))
    refresh(store, folder, lag=NO_LAG)
    february = pq.read_table(partition(folder, "fact_contact", "2026-02")).to_pylist()
    # 2026-02-10 10:00 → 2026-03-03 10:00 is 21 days = 1,814,400 s
    assert february[0]["next_contact_gap_s"] == 1_814_400.0


def test_an_agent_episode_across_months_rewrites_both(store, ingest, make_event, folder):
    state = {"agentid": "a7"}
    ingest(
        [
            make_event(
                "agent.state_changed", utc("2026-02-28T23:50:00"), {"state": "available"}, **state
            )
        ]
    )
    refresh(store, folder, lag=NO_LAG)
    # the open episode is not counted until the event that ends it arrives
    assert not (folder / "fact_agent_interval" / "centre=default").exists()
    ingest(
        [
            make_event(
                "agent.state_changed", utc("2026-03-01T00:10:00"), {"state": "logged_out"}, **state
            )
        ]
    )
    refresh(store, folder, lag=NO_LAG)
    feb = pq.read_table(partition(folder, "fact_agent_interval", "2026-02")).to_pylist()
    mar = pq.read_table(partition(folder, "fact_agent_interval", "2026-03")).to_pylist()
    # available 23:50 → 00:10: 600 s in the 23:45 interval, 600 s in the 00:00 one
    assert [(r["interval_start"], r["available_s"]) for r in feb] == [
        (utc("2026-02-28T23:45:00"), 600.0)
    ]
    assert [(r["interval_start"], r["available_s"]) for r in mar] == [
        (utc("2026-03-01T00:00:00"), 600.0)
    ]


def test_the_duckdb_engine_refreshes_a_stale_snapshot_first(store, ingest, make_event, folder):
    request = ReportRequest(
        ("offered", "answered"), date(2026, 3, 1), date(2026, 3, 31), engine="duckdb"
    )
    ingest(contact_timeline(make_event, "c1", utc("2026-03-02T09:00:00")))
    first = run_report(store, request, snapshot_dir=folder)
    ingest(abandoned_contact(make_event, "c2", utc("2026-03-02T09:05:00")))
    second = run_report(store, request, snapshot_dir=folder)
    # c1 answered; then c2 offered and abandoned: 2 offered, still 1 answered
    assert (first.rows[0]["offered"], first.rows[0]["answered"]) == (1, 1)
    assert (second.rows[0]["offered"], second.rows[0]["answered"]) == (2, 1)


def test_ingest_goes_on_while_a_refresh_writes_parquet(tmp_path, callkpi_pm, make_event, folder, monkeypatch):
    # A refresh reads in a read transaction: on SQLite it never holds the write lock while it
    # exports, so a writer elsewhere gets in at once (timeout 0) in the middle of an export.
    # (SQLite's alone: on PostgreSQL a refresh never blocked writers.)
    path = tmp_path / "callkpi.db"
    ingestor = Ingestor(Store.open(f"sqlite:///{path}"), callkpi_pm, CustomerHasher(TEST_HMAC_KEY))
    ingestor.ingest(raw_events(contact_timeline(make_event, "c1", utc("2026-03-02T09:00:00"))))
    writer = sqlite3.connect(path, timeout=0, isolation_level=None)
    written_meanwhile = []

    def export_while_writing(*args, **kwargs):
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE centre SET timezone = timezone")
        writer.execute("COMMIT")
        written_meanwhile.append(args[3])
        return export_partition(*args, **kwargs)

    # the module, not the function of the same name the package exports
    monkeypatch.setattr(importlib.import_module("callkpi.snapshot.refresh"), "export_partition", export_while_writing)
    refresh(ingestor.store, folder, lag=NO_LAG)
    writer.close()
    ingestor.store.dispose()
    assert written_meanwhile and "default" in written_meanwhile


def test_refreshes_of_one_folder_take_turns(store, ingest, make_event, folder):
    ingest(contact_timeline(make_event, "c1", utc("2026-03-02T09:00:00")))
    finished = threading.Event()
    worker = threading.Thread(target=lambda: (refresh(store, folder, lag=NO_LAG), finished.set()))
    with refresh_lock(folder):
        worker.start()
        assert not finished.wait(0.3)  # it waits for the lock another refresh holds
    assert finished.wait(60)
    worker.join()
    assert contact_months(folder) == {"c1": "2026-03"}


def test_an_unknown_engine_is_refused_by_name(store):
    request = ReportRequest(("offered",), date(2026, 3, 1), date(2026, 3, 31), engine="hadoop")
    with pytest.raises(InvalidKpi, match=r"engine = 'hadoop'; expected one of sql, duckdb, spark"):
        run_report(store, request)


def test_the_default_folder_sits_beside_a_sqlite_file():
    assert snapshot_directory("sqlite:////data/cc/callkpi.db") == Path("/data/cc/callkpi-snapshot")
    assert snapshot_directory("postgresql://u@db/callkpi") == Path("callkpi-snapshot")
    assert snapshot_directory("sqlite:///x.db", Path("/srv/snap")) == Path("/srv/snap")


def test_the_snapshot_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLKPI_SNAPSHOT_DIR", raising=False)
    database = f"sqlite:///{tmp_path / 'callkpi.db'}"
    result = CliRunner().invoke(app, ["snapshot", "--database", database])
    assert result.exit_code == 0, result.output
    assert "centres refreshed: default" in " ".join(result.output.split())
    assert (tmp_path / "callkpi-snapshot" / "dim_agent" / "data.parquet").is_file()
    bad = CliRunner().invoke(app, ["snapshot", "--centre", "nope", "--database", database])
    assert bad.exit_code == 1
    assert "--centre: centre = 'nope': no such centre; expected one of default" in " ".join(
        bad.output.split()
    )
