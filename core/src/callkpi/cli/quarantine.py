"""``callkpi quarantine``: see why input was quarantined, fix it, replay or discard it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import Connection

from ..store import quarantine as rows
from ..store.ingest import QUARANTINE_SEAL, Ingestor
from ..store.privacy import open_hasher
from ..store.quarantine import QuarantinedRow
from ..store.sealing import Seal
from .runtime import (
    DatabaseOption,
    UserError,
    ingestor_for,
    opened_store,
    out,
    plugin_manager,
    settings_for,
)

app = typer.Typer(help="Inspect, replay and discard quarantined input.", no_args_is_help=True)


@app.command("list")
def list_rows(
    status: Annotated[
        str, typer.Option("--status", help="open, replayed, discarded or all.")
    ] = "open",
    centre: Annotated[
        str | None, typer.Option("--centre", help="Only this centre's input.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """List quarantined input with the first reason of each."""
    with _opened_quarantine(database) as (connection, seal):
        found = rows.list_quarantined(connection, seal, status, centre)
    if not found:
        out().print(f"No {'' if status == 'all' else status + ' '}quarantined input.")
        return
    out().print(quarantine_table(found, show_status=status == "all"))
    out().print("Details: `callkpi quarantine show ID`.")


def quarantine_table(found: list[QuarantinedRow], show_status: bool) -> Table:
    table = Table("id", "received (UTC)", "origin", "first reason", title="Quarantine")
    if show_status:
        table.add_column("status")
    for row in found:
        cells = [
            str(row.id),
            f"{row.received_at:%Y-%m-%d %H:%M:%S}",
            Text(row.origin),
            Text(row.reasons[0] if row.reasons else ""),
        ]
        table.add_row(*cells, *([row.status] if show_status else []))
    return table


@app.command()
def show(
    row_id: Annotated[int, typer.Argument(metavar="ID")],
    raw: Annotated[
        bool, typer.Option("--raw", help="Print only the payload, to save and edit.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Show every reason and the raw payload of one quarantined input."""
    with _opened_quarantine(database) as (connection, seal):
        row = rows.get_quarantined(connection, seal, row_id)
    if raw:
        typer.echo(row.raw)
        return
    _print_row(row)


def _print_row(row: QuarantinedRow) -> None:
    console = out()
    details = Table(show_header=False, box=None)
    for label, value in (
        ("id", row.id),
        ("status", row.status),
        ("received", f"{row.received_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("origin", row.origin),
        ("event id", row.event_id or "—"),
        ("centre", row.centre or "—"),
    ):
        details.add_row(label, Text(str(value)))
    console.print(details)
    console.print("Reasons:")
    for reason in row.reasons:
        console.print(Text(f"  • {reason}"), soft_wrap=True)
    console.print("Payload:")
    console.print(Text(_pretty(row.raw)), soft_wrap=True)


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


@app.command()
def replay(
    row_ids: Annotated[
        list[int] | None, typer.Argument(metavar="[ID ...]", show_default=False)
    ] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every open row.")] = False,
    fixed: Annotated[
        Path | None,
        typer.Option(
            "--file", metavar="FIXED.json", help="A corrected payload for the one ID given."
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Re-ingest quarantined input (as stored, or fixed with --file) after fixing the cause."""
    settings = settings_for(database)
    with opened_store(settings) as store:
        with store.transaction() as connection:
            ids = _ids_to_replay(row_ids or [], replay_all, fixed, rows.open_ids(connection))
        payload = _read_fixed(fixed)
        ingestor = ingestor_for(store, settings, plugin_manager(settings))
        failed = sum(not _replay_one(ingestor, row_id, payload) for row_id in ids)
    out().print(f"Replayed {len(ids) - failed} of {len(ids)}.", soft_wrap=True)
    raise typer.Exit(1 if failed else 0)


def _ids_to_replay(
    given: list[int], replay_all: bool, fixed: Path | None, open_ids: list[int]
) -> list[int]:
    if replay_all == bool(given):
        raise UserError("ID: expected either one or more IDs or --all")
    if fixed is not None and len(given) != 1:
        raise UserError(
            "--file: a fixed payload replaces one row's input; expected exactly one ID with it"
        )
    return open_ids if replay_all else given


def _read_fixed(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text()
    except OSError as exc:
        raise UserError(f"--file = '{path}': {exc.strerror}; expected a readable file") from None


def _replay_one(ingestor: Ingestor, row_id: int, payload: str | None) -> bool:
    try:
        outcome = rows.replay(ingestor, row_id, payload)
    except rows.QuarantineError as exc:
        out().print(Text(f"{row_id}: {exc}", style="red"), soft_wrap=True)
        return False
    if outcome.status in ("accepted", "duplicate"):
        out().print(
            Text(f"{row_id}: {outcome.status} as event {outcome.event_id}", style="green"),
            soft_wrap=True,
        )
        return True
    out().print(
        Text(f"{row_id}: still {outcome.status}: " + "; ".join(outcome.reasons), style="red"),
        soft_wrap=True,
    )
    return False


@app.command("discard")
def discard_row(
    row_id: Annotated[int, typer.Argument(metavar="ID")], database: DatabaseOption = None
) -> None:
    """Mark one quarantined input as not worth replaying (it is kept, never deleted)."""
    with _opened_quarantine(database) as (connection, seal):
        rows.discard(connection, seal, row_id)
    out().print(f"Discarded quarantine {row_id}.")


@app.command("seal")
def seal_rows(database: DatabaseOption = None) -> None:
    """Seal the payloads and reasons of input quarantined before callkpi sealed them."""
    with _opened_quarantine(database) as (connection, seal):
        sealed = rows.seal_clear_rows(connection, seal)
    out().print(f"Sealed {sealed} quarantined input{'' if sealed == 1 else 's'} stored in clear.")


@contextmanager
def _opened_quarantine(database: str | None) -> Iterator[tuple[Connection, Seal]]:
    """One transaction on the store, and the seal of its quarantine (keyed from the installation key)."""
    settings = settings_for(database)
    with opened_store(settings) as store, store.transaction() as connection:
        yield connection, open_hasher(connection, settings).seal(QUARANTINE_SEAL)
