"""``callkpi centre``: the contact centres (tenants) and their time zones."""

from __future__ import annotations

import re
from typing import Annotated

import phonenumbers
import typer
from rich.table import Table

from ..events.envelope import CENTRE_PATTERN
from ..store.centres import CentreSettings, add_centre, load_centres, validate_timezone
from .runtime import DatabaseOption, UserError, opened_store, out, settings_for

app = typer.Typer(help="Add and list contact centres.", no_args_is_help=True)


@app.command()
def add(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Lower-case id, as events carry it in 'centre'.")
    ],
    timezone: Annotated[
        str, typer.Option("--timezone", help="IANA time zone, e.g. Europe/Amsterdam.")
    ],
    phone_region: Annotated[
        str | None,
        typer.Option("--phone-region", help="ISO country for numbers without +, e.g. NL."),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Add a centre, or change the time zone and phone region of an existing one."""
    check_name(name)
    check_timezone(timezone)
    check_phone_region(phone_region)
    with opened_store(settings_for(database)) as store, store.transaction() as connection:
        existing = load_centres(connection).get(name)
        settings = existing.settings if existing else CentreSettings()
        settings = settings.model_copy(update={"phone_region": phone_region})
        add_centre(connection, name, timezone, settings)
    out().print(f"{'Updated' if existing else 'Added'} centre {name} ({timezone}).")


def check_name(name: str) -> None:
    if not re.match(CENTRE_PATTERN, name):
        raise UserError(
            f"NAME = {name!r}: expected lower-case letters, digits, '-' and '_', "
            "at most 64 characters"
        )


def check_timezone(name: str) -> None:
    try:
        validate_timezone(name)
    except ValueError as exc:
        raise UserError(f"--timezone: {exc}") from None


def check_phone_region(region: str | None) -> None:
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        raise UserError(
            f"--phone-region = {region!r}: not a known region; expected an upper-case ISO 3166 "
            "country code such as 'NL'"
        )


@app.command("list")
def list_centres(database: DatabaseOption = None) -> None:
    """List the centres with their time zones."""
    with opened_store(settings_for(database)) as store, store.transaction() as connection:
        centres = load_centres(connection)
    table = Table("centre", "time zone", "phone region", title="Centres")
    for name, centre in sorted(centres.items()):
        table.add_row(name, centre.timezone, centre.settings.phone_region or "—")
    out().print(table)
