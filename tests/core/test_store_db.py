"""The store's database: migrations equal the models, SQLite in WAL mode with several
writing processes, and the HMAC key that keeps customer numbers out of it."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

import callkpi.store.tables  # noqa: F401 - puts every table on SQLModel.metadata
from callkpi.connectors import RawEvent
from callkpi.kpi.compiler import BoundMeasure, Period, compile_query
from callkpi.kpi.facts import FACT_TABLES
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.snapshot.changes import changed_partitions
from callkpi.snapshot.watermark import latest_received
from callkpi.store.centres import CentreSettings, add_centre, load_centres
from callkpi.store.db import Store, alembic_config
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher, MissingKey, key_fingerprint, open_hasher
from callkpi.store.tables import ScheduleSegment, StoredEvent
from callkpi.testing import TEST_HMAC_KEY, event_factory

KEY_A, KEY_B = "aa" * 32, "bb" * 32


def test_migrations_produce_exactly_the_models(store: Store):
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


@pytest.mark.parametrize("fact", [name for name, table in FACT_TABLES.items() if table.period == "within"])
def test_a_periods_rows_of_one_centre_are_found_by_the_date_and_centre_index(tmp_path: Path, fact: str):
    # with other centres' rows in the same days, the centre in the index spares reading them
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    period = Period(date(2026, 1, 5), date(2026, 1, 11), "north")
    query = compile_query(fact, (), (BoundMeasure(fact, "count", (), ()),), period)
    with store.reading() as connection:
        sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
        plan = " ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    store.dispose()
    # two fact names may read one table (fact_queue_leg is fact_contact_leg by queue): its index
    assert f"INDEX ix_{FACT_TABLES[fact].table.name}_local_date_centre (local_date>? AND local_date<?)" in plan


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path):
    path = tmp_path / "callkpi.db"
    Store.open(f"sqlite:///{path}").dispose()
    # WAL is a property of the file, so a plain sqlite3 connection sees it too.
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sqlite_finds_the_end_of_the_data_of_every_centre_in_an_index(tmp_path: Path):
    # the censoring KPIs' max(offered_at) over all centres; a scan would read every contact
    path = tmp_path / "callkpi.db"
    Store.open(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as connection:
        plan = connection.execute(
            "EXPLAIN QUERY PLAN SELECT max(offered_at) FROM fact_contact"
        ).fetchall()
    assert [detail for *_, detail in plan] == [
        "SEARCH fact_contact USING COVERING INDEX ix_fact_contact_offered_at"
    ]


def test_sqlite_finds_a_centres_newest_events_in_an_index(tmp_path: Path):
    # every DuckDB report refreshes the snapshot first: its watermark and its "anything new?"
    # were two scans of the centre's events, ~0.75 s at 2M events, under the write lock
    store = Store.open(f"sqlite:///{tmp_path / 'callkpi.db'}")
    with store.transaction() as connection:
        centre = load_centres(connection)["default"]
        statements = traced(connection, lambda: (
            latest_received(connection, "default"),
            changed_partitions(connection, centre, datetime(2026, 1, 5, tzinfo=UTC), ["fact_contact"])))
        plans = [" ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
                 for sql in statements]
    store.dispose()
    assert plans == [
        "SEARCH event USING COVERING INDEX ix_event_centre_received (centre=?)",
        "SEARCH event USING INDEX ix_event_centre_received (centre=? AND received_at>?)",
    ]


def traced(connection: Any, work: Callable[[], object]) -> list[str]:
    """The SQL statements ``work`` ran on ``connection``, with their values in place."""
    statements: list[str] = []
    driver = connection.connection.driver_connection
    driver.set_trace_callback(statements.append)
    try:
        work()
    finally:
        driver.set_trace_callback(None)
    return statements


def ingest_in_own_process(url: str, worker: int, events: int, start: Any) -> None:
    """One writer: its own engine, plugin manager and ingestor, small batches so that
    its transactions interleave with the other writer's."""
    store = Store.open(url)
    ingestor = Ingestor(store, get_plugin_manager(Settings()), CustomerHasher(TEST_HMAC_KEY))
    make = event_factory(source=f"worker-{worker}")
    raw = [RawEvent(json.dumps(make("contact.offered", f"2026-01-05T09:{n % 60:02d}:00Z",
                                    contactid=f"w{worker}-c{n}", queue="sales")), f"w{worker}:{n}")
           for n in range(events)]
    start.wait(timeout=60)
    summary = ingestor.ingest(raw, batch_size=10)
    store.dispose()
    if summary.accepted != events:
        raise SystemExit(f"worker {worker} stored {summary.accepted} of {events}")


def test_two_processes_write_one_sqlite_file_at_once(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'callkpi.db'}"
    Store.open(url).dispose()
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(2)
    workers = [spawn.Process(target=ingest_in_own_process, args=(url, n, 300, start))
               for n in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [worker.exitcode for worker in workers] == [0, 0]
    store = Store.open(url)
    with store.transaction() as connection:
        stored = connection.execute(select(func.count()).select_from(StoredEvent)).scalar_one()
    store.dispose()
    assert stored == 600  # 2 workers × 300 distinct events, none lost


def test_writers_of_one_process_take_turns_instead_of_failing_on_the_sqlite_lock(tmp_path: Path):
    store = Store.open(f"sqlite:///{tmp_path / 'callkpi.db'}")
    # no busy handler at all: a writer that met the held lock would fail at once
    event.listen(store.engine, "connect", lambda connection, _: connection.execute("PRAGMA busy_timeout=0"))
    store.engine.dispose()
    with store.transaction() as connection:
        connection.exec_driver_sql("CREATE TABLE writer_probe (name TEXT)")
    holding, outcome = threading.Event(), []

    def second_writer() -> None:
        holding.wait(timeout=30)
        try:
            with store.transaction() as connection:
                connection.exec_driver_sql("INSERT INTO writer_probe VALUES ('second')")
            outcome.append("committed")
        except OperationalError as exc:
            outcome.append(str(exc.orig))

    thread = threading.Thread(target=second_writer)
    thread.start()
    with store.transaction() as connection:
        connection.exec_driver_sql("INSERT INTO writer_probe VALUES ('first')")
        holding.set()
        time.sleep(0.3)  # the second writer asks for the lock meanwhile
    thread.join(timeout=30)
    with store.reading() as connection:
        names = connection.exec_driver_sql("SELECT name FROM writer_probe ORDER BY rowid").scalars().all()
    store.dispose()
    assert outcome == ["committed"]
    assert names == ["first", "second"]


def ingest_shared_events(url: str, events: int, start: Any, results: Any) -> None:
    """A writer ingesting the very same events as its twin, in small interleaving batches."""
    store = Store.open(url)
    ingestor = Ingestor(store, get_plugin_manager(Settings()), CustomerHasher(TEST_HMAC_KEY))
    make = event_factory(source="shared")
    raw = [RawEvent(json.dumps(make("contact.offered", f"2026-01-05T09:{n % 60:02d}:00Z",
                                    contactid=f"c{n}", queue="sales")), f"shared:{n}")
           for n in range(events)]
    start.wait(timeout=60)
    summary = ingestor.ingest(raw, batch_size=10)
    store.dispose()
    results.put((summary.accepted, summary.duplicates, summary.quarantined))


def test_two_processes_ingesting_the_same_events_store_each_once(store: Store):
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(2), spawn.Queue()
    workers = [spawn.Process(target=ingest_shared_events, args=(store.url, 300, start, results))
               for _ in (1, 2)]
    for worker in workers:
        worker.start()
    counts = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    # Each event is stored by exactly one of the two and counted a duplicate by the other.
    assert sum(accepted for accepted, _, _ in counts) == 300
    assert sum(duplicates for _, duplicates, _ in counts) == 300
    assert [quarantined for _, _, quarantined in counts] == [0, 0]
    with store.transaction() as connection:
        assert connection.execute(select(func.count()).select_from(StoredEvent)).scalar_one() == 300


def test_fresh_store_creates_a_key_file_only_its_owner_can_read(store: Store, tmp_path: Path):
    key_file = tmp_path / "keys" / "callkpi.key"
    with store.transaction() as connection:
        open_hasher(connection, Settings(key_file=key_file))
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(bytes.fromhex(key_file.read_text().strip())) == 32  # a 256-bit key


def test_store_refuses_another_key_naming_both_fingerprints(store: Store):
    with store.transaction() as connection:
        open_hasher(connection, Settings(hmac_key=KEY_A))
    with pytest.raises(MissingKey) as raised, store.transaction() as connection:
        open_hasher(connection, Settings(hmac_key=KEY_B))
    fingerprint_a = key_fingerprint(bytes.fromhex(KEY_A))
    fingerprint_b = key_fingerprint(bytes.fromhex(KEY_B))
    assert f"fingerprint {fingerprint_a}, this key {fingerprint_b}" in str(raised.value)


def test_store_without_its_key_refuses_to_make_a_new_one(store: Store, tmp_path: Path):
    with store.transaction() as connection:
        open_hasher(connection, Settings(hmac_key=KEY_A))
    missing = tmp_path / "nowhere.key"
    with pytest.raises(MissingKey, match=r"nowhere\.key does not exist"), store.transaction() as c:
        open_hasher(c, Settings(key_file=missing))
    assert not missing.exists()


def test_one_number_written_two_ways_is_one_customer(store: Store, ingestor: Ingestor, make_event):
    with store.transaction() as connection:
        add_centre(connection, "amsterdam", "Europe/Amsterdam", CentreSettings(phone_region="NL"))
    numbers = ["+31 20 123 4567", "020 1234567", "020 1234568"]
    events = [make_event("contact.offered", "2026-01-05T09:00:00Z", {"customer": number},
                         contactid=f"c{n}", centre="amsterdam") for n, number in enumerate(numbers)]
    outcomes = ingestor.ingest_batch([RawEvent(event, "test") for event in events])
    assert [outcome.status for outcome in outcomes] == ["accepted"] * 3
    with store.transaction() as connection:
        query = select(StoredEvent.body).order_by(StoredEvent.contactid)
        bodies = connection.execute(query).scalars()
        hmacs = [json.loads(body)["data"]["customer_hmac"] for body in bodies]
    # +31 20 123 4567 and 020 1234567 (NL) are both +31201234567; ...568 is someone else.
    assert hmacs[0] == hmacs[1] != hmacs[2]
    assert hmacs[0] == CustomerHasher(TEST_HMAC_KEY).hash("+31201234567")


def test_the_schedule_segment_migration_fills_in_the_schedules_already_stored(store: Store, make_event):
    ingestor = Ingestor(store, get_plugin_manager(Settings()), CustomerHasher(TEST_HMAC_KEY))
    plan = make_event("schedule.published", "2026-01-04T18:00:00+01:00", {"segments": [
        {"start": "2026-01-05T09:00:00+01:00", "end": "2026-01-05T12:00:00+01:00", "activity": "work"},
        {"start": "2026-01-05T12:00:00+01:00", "end": "2026-01-05T12:30:00+01:00", "activity": "lunch"},
    ]}, agentid="a1")
    ingestor.ingest_batch([RawEvent(json.dumps(plan), "test")])
    projected = _segments(store)
    assert [row.start_at for row in projected] == [datetime(2026, 1, 5, 8, tzinfo=UTC),
                                                   datetime(2026, 1, 5, 11, tzinfo=UTC)]
    with store.transaction() as connection:  # back to before the table, and forward again
        config = alembic_config(connection)
        command.downgrade(config, "0007")
        command.upgrade(config, "head")
    assert _segments(store) == projected


def _segments(store: Store) -> list[Any]:
    table = ScheduleSegment.__table__
    with store.reading() as connection:
        return connection.execute(select(table).order_by(table.c.event_id, table.c.seq)).all()
