"""``callkpi apikey``: scoped API keys bound to one centre."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ..store.apikeys import create_api_key, list_api_keys, revoke_api_key
from .runtime import DatabaseOption, opened_store, out, settings_for

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@app.command()
def create(
    scope: Annotated[
        str, typer.Option("--scope", help="ingest, read, admin or survey (POST /v1/surveys only).")
    ],
    centre: Annotated[str, typer.Option("--centre", help="The centre the key may read and write.")],
    label: Annotated[str, typer.Option("--label", help="Who or what uses it.")] = "",
    database: DatabaseOption = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    with opened_store(settings_for(database)) as store, store.transaction() as connection:
        key, record = create_api_key(connection, scope, centre, label)
    console = out()
    console.print(
        f"API key {record.prefix} ({record.scope}, centre {record.centre}). "
        "Copy it now; it is not shown again:",
        soft_wrap=True,
    )
    typer.echo(key)


@app.command("list")
def list_keys(database: DatabaseOption = None) -> None:
    """List keys by prefix (never the keys themselves)."""
    with opened_store(settings_for(database)) as store, store.transaction() as connection:
        records = list_api_keys(connection)
    table = Table("prefix", "scope", "centre", "label", "created (UTC)", "status", title="API keys")
    for record in records:
        status = "active" if record.active else f"revoked {record.revoked_at:%Y-%m-%d %H:%M}"
        table.add_row(
            record.prefix,
            record.scope,
            record.centre,
            Text(record.label),
            f"{record.created_at:%Y-%m-%d %H:%M}",
            status,
        )
    out().print(table)


@app.command()
def revoke(
    prefix: Annotated[str, typer.Argument(metavar="PREFIX")], database: DatabaseOption = None
) -> None:
    """Revoke a key: it stops working at once."""
    with opened_store(settings_for(database)) as store, store.transaction() as connection:
        revoke_api_key(connection, prefix)
    out().print(f"Revoked API key {prefix}.")
