"""``callkpi ingest``: read a source through a connector into the store, with a summary."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
)
from rich.table import Table

from ..connector_config import InvalidConfig, read_config_file, validate_config
from ..connectors import Connector, RawEvent
from ..plugins import CallkpiPluginManager
from ..store.ingest import Ingestor, IngestSummary
from .runtime import (
    DatabaseOption,
    UserError,
    ingestor_for,
    opened_store,
    out,
    plugin_manager,
    settings_for,
)

# Below this size a progress bar would only flicker.
PROGRESS_MIN_BYTES = 1_000_000


def ingest(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="The source to read; '-' reads stdin.")
    ],
    connector: Annotated[
        str, typer.Option("--connector", metavar="ID", help="Connector that reads FILE.")
    ] = "jsonl",
    config: Annotated[
        Path | None, typer.Option("--config", metavar="FILE.toml", help="Connector settings.")
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            min=1,
            max=100_000,
            help="Events per transaction. [default: from settings]",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Ingest FILE: store valid events, quarantine the rest, and print what happened."""
    settings = settings_for(database)
    pm = plugin_manager(settings)
    reader = find_connector(pm, connector)
    if file != "-" and not Path(file).is_file():
        raise UserError(f"FILE = {file!r}: no such file; expected a readable file or '-' for stdin")
    events = (event for event in reader.events(file, connector_config(reader, config))
              if isinstance(event, RawEvent))
    with opened_store(settings) as store:
        summary = ingest_with_progress(
            ingestor_for(store, settings, pm), events, file, batch_size or settings.batch_size
        )
    print_summary(summary)
    raise typer.Exit(0 if summary.quarantined == summary.rejected == 0 else 1)


def find_connector(pm: CallkpiPluginManager, connector_id: str) -> Connector:
    try:
        return pm.catalog.connectors.get(connector_id)
    except KeyError as exc:
        raise UserError(f"--connector: {exc.args[0]}") from None


def connector_config(connector: Connector, path: Path | None) -> dict[str, Any]:
    """The connector's settings from ``--config``, checked against its schema: every error at
    once, with its JSON path, secrets never shown."""
    where = f"--config = '{path}'" if path else "the connector's config (no --config given)"
    try:
        return validate_config(connector, read_config_file(path) if path else {}, where)
    except InvalidConfig as exc:
        raise UserError(f"{where}: " + "; ".join(exc.errors)) from None


def ingest_with_progress(
    ingestor: Ingestor, events: Iterable[RawEvent], file: str, batch_size: int
) -> IngestSummary:
    """Ingest ``events``; on a terminal a large file shows a bar by bytes, stdin a count."""
    size = None if file == "-" else Path(file).stat().st_size
    console = out()
    if not console.is_terminal or (size is not None and size < PROGRESS_MIN_BYTES):
        return ingestor.ingest(events, batch_size)
    with _progress(size, console) as progress:
        task = progress.add_task("ingesting", total=size)
        if size is None:
            return ingestor.ingest(events, batch_size, progress=lambda n: progress.advance(task, n))
        return ingestor.ingest(
            _counting_bytes(events, lambda n: progress.advance(task, n)), batch_size
        )


def _progress(size: int | None, console: Any) -> Progress:
    amount = DownloadColumn() if size is not None else MofNCompleteColumn()
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        amount,
        console=console,
        transient=True,
    )


def _counting_bytes(events: Iterable[RawEvent], advance: Any) -> Iterator[RawEvent]:
    for event in events:
        payload = event.payload
        advance(len(payload) + 1 if isinstance(payload, bytes | str) else 0)
        yield event


def print_summary(summary: IngestSummary) -> None:
    console = out()
    table = Table(title="Ingest summary", show_header=False)
    for label, value in (
        ("accepted", summary.accepted),
        ("duplicates", summary.duplicates),
        ("quarantined", summary.quarantined),
        ("rejected", summary.rejected),
    ):
        table.add_row(label, str(value))
    console.print(table)
    if summary.by_type:
        by_type = Table("event type", "accepted", title="Accepted per type")
        for event_type, count in sorted(summary.by_type.items()):
            by_type.add_row(event_type, str(count))
        console.print(by_type)
    for line in _verdict(summary):
        console.print(line, soft_wrap=True)


def _verdict(summary: IngestSummary) -> list[str]:
    """What happened, in words: what was stored, and where to look when something was not."""
    if summary.total == 0:
        return ["The source held no events; nothing was stored."]
    lines = [_stored_line(summary)]
    if summary.quarantined:
        lines.append(
            f"[yellow]{summary.quarantined} input(s) quarantined.[/] See why with "
            "`callkpi quarantine list`, fix the cause, then `callkpi quarantine replay`."
        )
    return lines


def _stored_line(summary: IngestSummary) -> str:
    already = f" ({summary.duplicates} already in the store)" if summary.duplicates else ""
    if summary.accepted:
        return f"[green]Stored {summary.accepted} new event(s)[/]{already}."
    if summary.duplicates:
        return (
            f"Nothing new was stored: all {summary.duplicates} valid event(s) "
            "were already in the store."
        )
    return "Nothing was stored."
