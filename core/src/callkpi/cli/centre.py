"""``callkpi centre``: the contact centres (tenants) and their time zones."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Annotated

import phonenumbers
import typer
from rich.table import Table

from ..events.envelope import CENTRE_PATTERN
from ..projector.survey_attribution import POLICIES
from ..store.centres import CentreSettings, QueueAssignment, add_centre, load_centres, validate_timezone
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


@app.command("survey-agent-policy")
def survey_agent_policy(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The centre.")],
    policy: Annotated[
        str,
        typer.Argument(
            metavar="POLICY", help="Credit a contact's survey answers to its last, first or longest agent."
        ),
    ],
    database: DatabaseOption = None,
) -> None:
    """Set which agent of a contact its survey answers are credited to (default: last).
    Surveys projected from now on follow it; `callkpi rebuild` re-attributes the stored ones."""
    if policy not in POLICIES:
        raise UserError(f"POLICY = {policy!r}: expected one of {', '.join(POLICIES)}")
    _set(database, name, "survey_agent_policy", policy)
    out().print(f"Centre {name}: survey answers go to the {policy} agent of their contact.")


@app.command("survey-followup-deadline")
def survey_followup_deadline(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The centre.")],
    hours: Annotated[
        str, typer.Argument(metavar="HOURS", help="Hours after a detractor's answer its follow-up is due.")
    ],
    database: DatabaseOption = None,
) -> None:
    """Set by when a detractor's follow-up is due (default 48 h after the answer). Follow-ups
    opened from now on take it; open ones keep the deadline they were opened with."""
    deadline = _hours(hours)
    _set(database, name, "survey_followup_deadline_h", deadline)
    out().print(f"Centre {name}: a detractor's follow-up is due {deadline:g} h after the answer.")


def _set(database: str | None, name: str, setting: str, value: object) -> None:
    """Store one setting of centre ``name``, which must exist."""
    with opened_store(settings_for(database)) as store, store.transaction() as connection:
        existing = load_centres(connection).get(name)
        if existing is None:
            raise UserError(f"NAME = {name!r}: no such centre; add it with `callkpi centre add`")
        settings = existing.settings.model_copy(update={setting: value})
        add_centre(connection, name, existing.timezone, settings)


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = float("nan")
    if not 0 < hours <= 24 * 365:  # also refuses nan
        raise UserError(f"HOURS = {text!r}: expected a number of hours above 0 and at most 8760 (a year)")
    return hours


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


queue_map_app = typer.Typer(
    help="Which team and site serve each queue: queue KPIs by team or site count through it.",
    no_args_is_help=True,
)
app.add_typer(queue_map_app, name="queue-map")


def _change_queue_map(database: str | None, name: str, change: Callable[[dict[str, QueueAssignment]], None]) -> None:
    with opened_store(settings_for(database)) as store, store.transaction() as connection:
        existing = load_centres(connection).get(name)
        if existing is None:
            raise UserError(f"CENTRE = {name!r}: no such centre; add it with `callkpi centre add`")
        queue_map = dict(existing.settings.queue_map)
        change(queue_map)
        add_centre(connection, name, existing.timezone, existing.settings.model_copy(update={"queue_map": queue_map}))


@queue_map_app.command("set")
def queue_map_set(
    name: Annotated[str, typer.Argument(metavar="CENTRE", help="The centre.")],
    queue: Annotated[str, typer.Argument(metavar="QUEUE", help="The queue id, as events carry it.")],
    team: Annotated[str | None, typer.Option("--team", help="The team serving the queue.")] = None,
    site: Annotated[str | None, typer.Option("--site", help="The site serving the queue.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Map QUEUE to a team and/or site (an option not given keeps its value)."""
    if team is None and site is None:
        raise UserError("--team, --site: neither given; expected at least one")
    for option, value in (("--team", team), ("--site", site), ("QUEUE", queue)):
        if value is not None and not 1 <= len(value) <= 128:
            raise UserError(f"{option} = {value!r}: expected 1 to 128 characters")

    def change(queue_map: dict[str, QueueAssignment]) -> None:
        old = queue_map.get(queue, QueueAssignment())
        queue_map[queue] = QueueAssignment(team=team or old.team, site=site or old.site)

    _change_queue_map(database, name, change)
    out().print(f"Centre {name}: queue {queue} → team {team or '—'}, site {site or '—'}.")


@queue_map_app.command("remove")
def queue_map_remove(
    name: Annotated[str, typer.Argument(metavar="CENTRE", help="The centre.")],
    queue: Annotated[str, typer.Argument(metavar="QUEUE", help="The queue id.")],
    database: DatabaseOption = None,
) -> None:
    """Remove QUEUE from the centre's queue map."""

    def change(queue_map: dict[str, QueueAssignment]) -> None:
        if queue_map.pop(queue, None) is None:
            raise UserError(f"QUEUE = {queue!r}: not in centre {name}'s queue map; expected one of {sorted(queue_map)}")

    _change_queue_map(database, name, change)
    out().print(f"Centre {name}: queue {queue} removed from the queue map.")


@queue_map_app.command("list")
def queue_map_list(
    name: Annotated[str, typer.Argument(metavar="CENTRE", help="The centre.")],
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    database: DatabaseOption = None,
) -> None:
    """List the centre's queue map; queue ids are printed in full."""
    if output_format not in ("table", "csv", "json"):
        raise UserError(f"--format = {output_format!r}: expected one of table, csv, json")
    with opened_store(settings_for(database)) as store, store.transaction() as connection:
        existing = load_centres(connection).get(name)
    if existing is None:
        raise UserError(f"CENTRE = {name!r}: no such centre; add it with `callkpi centre add`")
    rows = [(queue, a.team, a.site) for queue, a in sorted(existing.settings.queue_map.items())]
    if output_format == "json":
        typer.echo(json.dumps([{"queue": q, "team": t, "site": s} for q, t, s in rows], indent=2))
    elif output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([("queue", "team", "site"), *((q, t or "", s or "") for q, t, s in rows)])
        typer.echo(buffer.getvalue(), nl=False)
    else:
        table = Table(title=f"Queue map of {name}")
        for column in ("queue", "team", "site"):
            table.add_column(column, overflow="fold")  # ids wrap, never truncated
        for queue, team, site in rows:
            table.add_row(queue, team or "—", site or "—")
        out().print(table)
