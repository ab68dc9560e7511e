"""``callkpi simulate``: a seeded simulated contact centre, written as JSON Lines or ingested."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..settings import Settings
from ..simulator import Simulation, SimulationConfig, demo_config, ingest_events, write_jsonl
from ..store.ingest import IngestSummary
from .ingest import print_summary
from .runtime import (
    DatabaseOption,
    UserError,
    ingestor_for,
    opened_store,
    out,
    plugin_manager,
    settings_for,
)

EVENTS_PER_CONTACT = 9
"""Roughly how many events one simulated contact brings (with the agents' states): only
for sizing the progress bar."""


def simulate(
    days: Annotated[int, typer.Option(min=1, max=366, help="Local days to simulate.")] = 7,
    agents: Annotated[int, typer.Option(min=1, max=5000, help="Agents on the roster.")] = 50,
    contacts_per_day: Annotated[
        float, typer.Option(min=0, help="Contacts on an average weekday (weekends are quieter).")
    ] = 1600,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same events.")
    ] = 1,
    timezone: Annotated[str, typer.Option(metavar="ZONE", help="IANA zone of the centre.")] = "UTC",
    start: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="First day. [default: DAYS days before today]"),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(metavar="FILE.jsonl", help="Write the events to this file.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Simulate a contact centre (three queues, voice and chat) and write its events to
    FILE.jsonl, or ingest them into the store (--database, else $CALLKPI_DATABASE_URL, else
    ./callkpi.db)."""
    if output is not None and database is not None:
        raise UserError("--output / --database: give at most one; expected where the events go")
    zone = _zone(timezone)
    first = _start(start, days, zone)
    config = demo_config(
        first,
        days=days,
        agents=agents,
        contacts_per_day=contacts_per_day,
        seed=seed,
        timezone=timezone,
    )
    if output is not None:
        write_file(config, output)
    else:
        settings = settings_for(database)
        summary, elapsed = simulate_into_store(config, settings)
        print_summary(summary)
        out().print(f"Simulated and ingested in {elapsed:.1f} s.")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"--timezone = {name!r}: unknown time zone; expected an IANA name such as Europe/Paris"
        ) from None


def _start(text: str | None, days: int, zone: ZoneInfo) -> date:
    today = datetime.now(zone).date()
    if text is None:
        return today - timedelta(days=days)
    try:
        first = date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--start = {text!r}: not a date; expected YYYY-MM-DD") from None
    if first + timedelta(days=days) > today:
        raise UserError(
            f"--start = {text!r}: with --days {days} the run would reach past today; "
            f"expected a start on or before {today - timedelta(days=days)} (events cannot lie "
            "in the future)"
        )
    return first


def write_file(config: SimulationConfig, path: Path) -> None:
    """Simulate into a JSON Lines file and say how fast it went."""
    simulation = Simulation(config)
    began = time.perf_counter()
    written = write_jsonl(simulation.events(), path)
    elapsed = max(time.perf_counter() - began, 1e-9)
    rate = simulation.contacts / elapsed * 60
    out().print(
        f"Wrote {written:,} events for {simulation.contacts:,} contacts to {path} "
        f"in {elapsed:.1f} s ({rate:,.0f} contacts/min).",
        soft_wrap=True,
    )


def simulate_into_store(
    config: SimulationConfig, settings: Settings
) -> tuple[IngestSummary, float]:
    """Simulate straight into the store, through the real Ingestor, with a progress bar."""
    began = time.perf_counter()
    pm = plugin_manager(settings)
    simulation = Simulation(config)
    expected = _expected_events(config)
    with opened_store(settings) as store, _progress() as progress:
        task = progress.add_task("Simulating and ingesting", total=expected)
        summary = ingest_events(
            simulation.events(),
            ingestor_for(store, settings, pm),
            settings.batch_size,
            lambda done: progress.advance(task, done),
        )
        progress.update(task, total=summary.total, completed=summary.total)
    return summary, time.perf_counter() - began


def _expected_events(config: SimulationConfig) -> int:
    return int(config.days * config.contacts_per_day * EVENTS_PER_CONTACT) or 1


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        TimeElapsedColumn(),
        console=out(),
    )
