"""``callkpi rebuild``: recompute the facts from the event store."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import func, select

from ..projector import rebuild as rebuild_facts
from ..store.centres import CentreConfig, load_centres
from ..store.tables import AgentIntervalFact, ContactFact
from .runtime import DatabaseOption, UserError, opened_store, out, settings_for


def rebuild(
    centre: Annotated[
        str | None, typer.Option("--centre", help="Only this centre. [default: all]")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Delete and recompute the facts from the stored events, in one transaction."""
    with opened_store(settings_for(database)) as store, store.transaction() as connection:
        centres = selected(load_centres(connection), centre)
        rebuild_facts(connection, centres)
        contacts, intervals = (
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (ContactFact, AgentIntervalFact)
        )
    out().print(
        f"Rebuilt the facts of {len(centres)} centre(s); the store now holds {contacts} contact(s) "
        f"and {intervals} agent interval(s)."
    )


def selected(centres: dict[str, CentreConfig], centre: str | None) -> dict[str, CentreConfig]:
    if centre is None:
        return centres
    if centre not in centres:
        known = ", ".join(sorted(centres))
        raise UserError(f"--centre = {centre!r}: no such centre; expected one of {known}")
    return {centre: centres[centre]}
