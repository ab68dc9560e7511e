"""``callkpi demo``: ingest the example events into a fresh store and show what came out."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Connection, case, func, select

import callkpi

from ..settings import Settings
from ..store.tables import AgentIntervalFact, ContactFact, StoredEvent
from .ingest import find_connector, print_summary
from .runtime import UserError, ingestor_for, opened_store, out, plugin_manager

# core/src/callkpi/__init__.py → the repository root is three folders up from the package.
EXAMPLE_EVENTS = Path(callkpi.__file__).resolve().parents[3] / "docs" / "examples" / "events.jsonl"
EVENT, CONTACT, AGENT = StoredEvent.__table__, ContactFact.__table__, AgentIntervalFact.__table__


def demo(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", metavar="DIR", help="Where to create the demo store. [default: a new temp dir]"
        ),
    ] = None,
) -> None:
    """Load the example events into a fresh SQLite store and print a first look at the facts."""
    if not EXAMPLE_EVENTS.is_file():
        raise UserError(
            f"example events {EXAMPLE_EVENTS}: not found; expected a source checkout of callkpi "
            "(the demo reads docs/examples/events.jsonl from it)"
        )
    settings = demo_settings(directory)
    pm = plugin_manager(settings)
    events = find_connector(pm, "jsonl").read(str(EXAMPLE_EVENTS), {})
    with opened_store(settings) as store:
        print_summary(ingestor_for(store, settings, pm).ingest(events, settings.batch_size))
        with store.transaction() as connection:
            print_facts(connection)
    print_next_steps(settings)


def demo_settings(directory: Path | None) -> Settings:
    folder = (directory or Path(tempfile.mkdtemp(prefix="callkpi-demo-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "callkpi.db"
    if database.exists():
        raise UserError(
            f"--dir = '{folder}': already holds callkpi.db; expected a new or empty directory"
        )
    return Settings(database_url=f"sqlite:///{database}", key_file=folder / "callkpi.key")


def print_facts(connection: Connection) -> None:
    console = out()
    for table in (
        events_per_type(connection),
        contacts_by_outcome(connection),
        queues(connection),
        staffed_hours(connection),
    ):
        console.print(table)


def events_per_type(connection: Connection) -> Table:
    table = Table("event type", "events", title="Stored events")
    query = select(EVENT.c.type, func.count()).group_by(EVENT.c.type).order_by(EVENT.c.type)
    for event_type, count in connection.execute(query):
        table.add_row(event_type, str(count))
    return table


def contacts_by_outcome(connection: Connection) -> Table:
    table = Table("outcome", "contacts", title="Contacts by outcome")
    outcome = func.coalesce(CONTACT.c.outcome, "in progress")
    for name, count in connection.execute(
        select(outcome, func.count()).group_by(outcome).order_by(outcome)
    ):
        table.add_row(name, str(count))
    return table


def queues(connection: Connection) -> Table:
    table = Table(
        "queue",
        "offered",
        "answered",
        "abandoned",
        "avg wait (s)",
        "avg handle (s)",
        title="Queues",
    )
    query = (
        select(
            CONTACT.c.queue,
            func.count(),
            _count_of("answered"),
            _count_of("abandoned"),
            func.avg(CONTACT.c.wait_s),
            func.avg(CONTACT.c.handle_s),
        )
        .group_by(CONTACT.c.queue)
        .order_by(CONTACT.c.queue)
    )
    for queue, offered, answered, abandoned, wait, handle in connection.execute(query):
        table.add_row(
            queue or "—",
            str(offered),
            str(answered),
            str(abandoned),
            _seconds(wait),
            _seconds(handle),
        )
    return table


def _count_of(outcome: str):
    return func.coalesce(func.sum(case((CONTACT.c.outcome == outcome, 1), else_=0)), 0)


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def staffed_hours(connection: Connection) -> Table:
    table = Table("agent", "staffed hours", title="Agents")
    query = (
        select(AGENT.c.agentid, func.sum(AGENT.c.staffed_s))
        .group_by(AGENT.c.agentid)
        .order_by(AGENT.c.agentid)
    )
    for agent, staffed in connection.execute(query):
        table.add_row(agent, f"{staffed / 3600:.2f}")
    return table


def print_next_steps(settings: Settings) -> None:
    url = settings.database_url
    console = out()
    console.print(f"Demo store: {url}", soft_wrap=True)
    console.print("Next, try:")
    console.print(f"  callkpi serve --database {url}", soft_wrap=True)
    console.print(f"  callkpi quarantine list --database {url}", soft_wrap=True)
