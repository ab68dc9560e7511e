"""``callkpi connectors`` (list, schema) and ``callkpi sync``: read a source through a
connector into the store, continuing from where the last sync of that source stopped."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from ..checkpoints import SyncResult, sync_source
from ..connector_config import InvalidConfig, read_config_file, redact, validate_config
from ..connector_docs import render_config_tables
from ..connectors import Connector
from ..plugins import CallkpiPluginManager
from .ingest import find_connector, print_summary
from .runtime import (
    DatabaseOption,
    UserError,
    ingestor_for,
    opened_store,
    out,
    plugin_manager,
    settings_for,
)

log = logging.getLogger(__name__)
app = typer.Typer(help="The installed connectors: list them, or show one's config schema.")


def mount(root: typer.Typer) -> None:
    """Add ``callkpi connectors …`` and ``callkpi sync`` to the root command."""
    root.add_typer(app, name="connectors")
    root.command("sync")(sync)


@app.callback(invoke_without_command=True)
def connectors(ctx: typer.Context, database: DatabaseOption = None) -> None:
    """List installed connectors: id, title, distribution and the event types they emit."""
    if ctx.invoked_subcommand is not None:
        return
    pm = plugin_manager(settings_for(database))
    table = Table("id", "title", "distribution", "emits", "resumable", title="Connectors")
    for connector in sorted(pm.catalog.connectors.connectors.values(), key=lambda c: c.id):
        table.add_row(
            connector.id,
            connector.title,
            _distribution(pm, connector),
            "\n".join(connector.emits),
            "yes" if connector.resumable else "no",
        )
    out().print(table)


def _distribution(pm: CallkpiPluginManager, connector: Connector) -> str:
    return pm.distributions.get(connector.plugin, (connector.plugin, ""))[0]


@app.command()
def schema(
    connector_id: Annotated[str, typer.Argument(metavar="ID", help="The connector's id.")],
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the keys as Markdown tables instead.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Print the JSON Schema (Draft 2020-12) of connector ID's TOML config."""
    pm = plugin_manager(settings_for(database))
    connector = find_connector(pm, connector_id)
    if markdown:
        typer.echo(render_config_tables(connector.config_schema), nl=False)
        return
    typer.echo(orjson.dumps(connector.config_schema, option=orjson.OPT_INDENT_2).decode())


def sync(
    name: Annotated[
        str, typer.Argument(metavar="CONNECTOR", help="Id of the connector that reads the source.")
    ],
    config: Annotated[
        Path, typer.Option("--config", metavar="FILE.toml", help="The connector's config.")
    ],
    source: Annotated[
        str | None,
        typer.Option(
            "--source", metavar="PATH", help="The source; default: the config's `source`."
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep reading what is appended (Ctrl-C stops).")
    ] = False,
    poll_interval: Annotated[
        float,
        typer.Option("--poll-interval", min=0.05, help="Seconds between looks for new input."),
    ] = 1.0,
    database: DatabaseOption = None,
) -> None:
    """Read a source into the store, continuing from its checkpoint, and print what happened."""
    settings = settings_for(database)
    pm = plugin_manager(settings)
    connector = find_connector(pm, name)
    settings_data = _config(connector, config)
    path = _source(source, settings_data)
    if follow and not connector.resumable:
        raise UserError(
            f"--follow: connector {name!r} cannot continue from a checkpoint; expected a "
            "resumable connector"
        )
    log.info(
        "sync %s from %s with config %s", name, path, redact(settings_data, connector.config_schema)
    )
    with opened_store(settings) as store:
        ingestor = ingestor_for(store, settings, pm)
        try:
            result = sync_source(
                connector,
                path,
                settings_data,
                ingestor,
                follow=follow,
                batch_size=settings.batch_size,
                poll_interval_s=poll_interval,
            )
        except ValueError as exc:  # a connector's complaint about its config or the source's shape
            raise UserError(str(exc)) from None
        except KeyboardInterrupt:
            out().print("Stopped; every stored batch is covered by the checkpoint.")
            raise typer.Exit(130) from None
    _report(result)
    raise typer.Exit(0 if result.ingest.quarantined == result.ingest.rejected == 0 else 1)


def _config(connector: Connector, path: Path) -> dict[str, Any]:
    try:
        return validate_config(connector, read_config_file(path), where=f"--config {path}")
    except InvalidConfig as exc:
        raise UserError(str(exc)) from None


def _source(given: str | None, config: dict[str, Any]) -> str:
    path = given or config.get("source")
    if not path:
        raise UserError('no source: expected --source PATH or `source = "…"` in the config')
    if path != "-" and "://" not in path and not Path(path).is_file():
        raise UserError(f"source = {path!r}: no such file; expected a readable file")
    return path


def _report(result: SyncResult) -> None:
    print_summary(result.ingest)
    if result.notes:
        notes = Table("note", "count", title="Connector notes")
        for note, count in sorted(result.notes.items()):
            notes.add_row(note, str(count))
        out().print(notes)
