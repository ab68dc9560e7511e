"""``callkpi schema``: the JSON Schema of an event type, or the list of types."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ..events import EventType
from ..events.schemas import schema_for
from ..settings import Settings
from .runtime import UserError, out, plugin_manager


def schema(
    event_type: Annotated[
        str | None, typer.Argument(metavar="TYPE", help="An event type, e.g. contact.offered.")
    ] = None,
) -> None:
    """Print the JSON Schema of TYPE, or list every registered event type."""
    types = plugin_manager(Settings()).catalog.event_types.types
    if event_type is None:
        out().print(type_table(types.values()))
        return
    if event_type not in types:
        close = difflib.get_close_matches(event_type, list(types), n=1)
        hint = f" — did you mean '{close[0]}'?" if close else "; run `callkpi schema` for the list"
        raise UserError(f"TYPE = {event_type!r}: not a registered event type{hint}")
    typer.echo(json.dumps(schema_for(types[event_type]), indent=2))


def type_table(types: Iterable[EventType]) -> Table:
    table = Table("type", "needs", "plugin", "description", title="Event types")
    for event_type in sorted(types, key=lambda t: t.name):
        table.add_row(
            event_type.name,
            ", ".join(event_type.requires),
            event_type.plugin,
            Text(event_type.description.split("\n")[0]),
        )
    return table
