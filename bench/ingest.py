"""Ingest benchmark: validation alone, and end to end into SQLite and PostgreSQL.

    uv run python bench/ingest.py --events 1000000
    uv run python bench/ingest.py --events 200000 --postgres postgresql://postgres@127.0.0.1/postgres

Writes canonical events for ``events / 8`` contacts (offered, answered, hold started and
ended, ended, wrap-up, and the agent's on-contact and after-contact-work states) to a
temporary JSON Lines file — not timed — then streams that file through the jsonl
connector for each phase. The end-to-end phases use the real Ingestor on a fresh store,
projector included; the time spent inside ``project`` is reported on its own. PostgreSQL
runs when ``--postgres`` or ``CALLKPI_TEST_POSTGRES_URL`` names a server: a scratch
database is created and dropped. Targets: validation ≥ 100,000 events/s, SQLite end to
end ≥ 30,000 events/s on one core, peak memory < 500 MB at 1M events.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import callkpi.store.ingest as ingest_module
from callkpi.plugins import CallkpiPluginManager, get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.db import Store
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi_connector_jsonl import read

EVENTS_PER_CONTACT = 8
AGENTS, QUEUES, CUSTOMERS = 200, 4, 50_000
START = datetime(2026, 1, 5, tzinfo=UTC)
BENCH_KEY = bytes(range(32))
# (type, seconds after the offer, extension attributes beyond contactid, data)
CONTACT_EVENTS = (
    ("contact.offered", 0, "", '{"customer":"+31 20 7%06d","language":"nl-NL"}'),
    ("contact.answered", 20, ',"agentid":"%s"', '{"ring_s":4.0}'),
    ("agent.state_changed", 20, ',"agentid":"%s"', '{"state":"on_contact"}'),
    ("contact.hold_started", 80, ',"agentid":"%s"', "{}"),
    ("contact.hold_ended", 110, ',"agentid":"%s"', "{}"),
    ("contact.ended", 300, ',"agentid":"%s"', '{"ended_by":"customer"}'),
    ("agent.state_changed", 300, ',"agentid":"%s"', '{"state":"after_contact_work"}'),
    (
        "contact.wrapup_completed",
        360,
        ',"agentid":"%s"',
        '{"disposition":"advice","resolved":true}',
    ),
)
LINE = (
    '{"specversion":"1.0","id":"%s","source":"urn:bench","type":"%s","time":"%s",'
    '"contactid":"%s","queue":"q%d","channel":"voice"%s,"data":%s}\n'
)


def contact_lines(number: int) -> Iterator[str]:
    """The eight events of contact ``number``; an agent takes a contact every 200 (600 s),
    so no agent's contacts overlap."""
    offered = START + timedelta(seconds=3 * number)
    agent = f"agent{number * 7 % AGENTS:03d}"
    for index, (kind, after, extension, data) in enumerate(CONTACT_EVENTS):
        stamp = (offered + timedelta(seconds=after)).strftime("%Y-%m-%dT%H:%M:%SZ")
        filled_data = data % (number * 7919 % CUSTOMERS) if "%" in data else data
        filled_ext = extension % agent if extension else ""
        yield LINE % (
            f"b{number}-{index}",
            kind,
            stamp,
            f"c{number}",
            number % QUEUES,
            filled_ext,
            filled_data,
        )


def write_events(path: Path, events: int) -> int:
    contacts = max(1, events // EVENTS_PER_CONTACT)
    with path.open("w", encoding="utf-8", buffering=1 << 20) as handle:
        for number in range(contacts):
            handle.writelines(contact_lines(number))
    return contacts * EVENTS_PER_CONTACT


@dataclass
class Result:
    """One phase's numbers. ``cpu_seconds`` is this process's CPU time: on a shared machine
    it shows what one core does, where wall time also counts waiting for the core."""

    phase: str
    events: int
    seconds: float
    cpu_seconds: float
    project_seconds: float | None
    peak_mb: float

    def row(self) -> str:
        cells = [
            self.phase,
            f"{self.events:,}",
            f"{self.seconds:.1f}",
            rate(self.events, self.seconds),
            rate(self.events, self.cpu_seconds),
            "-",
            "-",
            f"{self.peak_mb:.0f}",
        ]
        if self.project_seconds is not None:
            cells[5] = f"{self.project_seconds:.1f}"
            cells[6] = rate(self.events, self.seconds - self.project_seconds)
        return format_row(cells)


COLUMNS = (
    "phase",
    "events",
    "wall s",
    "events/s",
    "per CPU s",
    "project s",
    "w/o project",
    "peak MB",
)
WIDTHS = (20, 10, 8, 10, 11, 10, 12, 8)


def format_row(cells: list[str] | tuple[str, ...]) -> str:
    rest = zip(cells[1:], WIDTHS[1:], strict=True)
    return cells[0].ljust(WIDTHS[0]) + "".join(cell.rjust(width) for cell, width in rest)


def rate(events: int, seconds: float) -> str:
    return f"{events / seconds:,.0f}" if seconds > 0 else "-"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


@contextmanager
def clocks() -> Iterator[list[float]]:
    """Yields [wall seconds, CPU seconds], filled in when the block ends."""
    spent = [0.0, 0.0]
    wall, cpu = time.perf_counter(), time.process_time()
    yield spent
    spent[:] = [time.perf_counter() - wall, time.process_time() - cpu]


def bench_validation(path: Path, pm: CallkpiPluginManager) -> Result:
    validate = pm.catalog.event_types.validator.validate
    count = 0
    with clocks() as spent:
        for raw in read(str(path), {}):
            validate(raw.payload)
            count += 1
    return Result("validation", count, *spent, None, peak_mb())


@contextmanager
def timed_projector() -> Iterator[list[float]]:
    """Measure the time spent inside ``project`` by wrapping the name ingest calls."""
    spent = [0.0]
    original: Callable[..., Any] = ingest_module.project

    def project(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        written = original(*args, **kwargs)
        spent[0] += time.perf_counter() - started
        return written

    ingest_module.project = project
    try:
        yield spent
    finally:
        ingest_module.project = original


def bench_store(
    phase: str, url: str, path: Path, pm: CallkpiPluginManager, batch_size: int
) -> Result:
    store = Store.open(url)
    try:
        ingestor = Ingestor(store, pm, CustomerHasher(BENCH_KEY))
        with timed_projector() as inside, clocks() as spent:
            summary = ingestor.ingest(read(str(path), {}), batch_size=batch_size)
    finally:
        store.dispose()
    if summary.quarantined or summary.rejected:
        raise SystemExit(
            f"{phase}: {summary.quarantined} quarantined, {summary.rejected} rejected; "
            "expected every generated event to be valid"
        )
    return Result(phase, summary.accepted, *spent, inside[0], peak_mb())


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    name = f"callkpi_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="how many events to generate")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=Settings.model_fields["batch_size"].default,
        help="events per ingest transaction (default: the setting's default)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CALLKPI_TEST_POSTGRES_URL"),
        help="admin URL of a PostgreSQL server (default: $CALLKPI_TEST_POSTGRES_URL)",
    )
    parser.add_argument(
        "--skip-postgres", action="store_true", help="do not run the PostgreSQL phase"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    pm = get_plugin_manager(Settings(_env_file=None))
    with tempfile.TemporaryDirectory(prefix="callkpi-bench-") as directory:
        path = Path(directory) / "events.jsonl"
        events = write_events(path, args.events)
        print(
            f"{events:,} events for {events // EVENTS_PER_CONTACT:,} contacts, "
            f"{path.stat().st_size / 1e6:,.0f} MB, batch size {args.batch_size}",
        )
        print(format_row(COLUMNS), flush=True)
        print(bench_validation(path, pm).row(), flush=True)
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        print(bench_store("sqlite end to end", url, path, pm, args.batch_size).row(), flush=True)
        if args.postgres and not args.skip_postgres:
            with scratch_postgres(args.postgres) as pg_url:
                print(
                    bench_store("postgres end to end", pg_url, path, pm, args.batch_size).row(),
                    flush=True,
                )
        elif not args.skip_postgres:
            print(
                "postgres end to end: skipped; pass --postgres URL or set CALLKPI_TEST_POSTGRES_URL"
            )


if __name__ == "__main__":
    main()
