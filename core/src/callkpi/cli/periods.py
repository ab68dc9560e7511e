"""``--period``, ``--from`` and ``--to``: the dates a command reports, shared by ``report``
and ``staffing``, resolved in the centre's time zone (:mod:`callkpi.kpi.named_periods`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from ..kpi.named_periods import DEFAULT_PERIOD, NAMES, Period
from ..kpi.request_builder import FieldNames, choose_period, parse_date
from ..store.centres import CentreConfig
from .runtime import UserError

CLI = FieldNames("--")

PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        metavar="NAME",
        show_default=False,
        help=f"{', '.join(NAMES)}, in the centre's time zone; weeks start on Monday. "
        f"[default: {DEFAULT_PERIOD}, unless --from is given]",
    ),
]
FromOption = Annotated[
    str | None,
    typer.Option("--from", metavar="YYYY-MM-DD", help="First local date (instead of --period)."),
]
ToOption = Annotated[
    str | None,
    typer.Option("--to", metavar="YYYY-MM-DD", help="Last local date. [default: --from]"),
]


def period_zone(centres: dict[str, CentreConfig], centre: CentreConfig | None) -> ZoneInfo:
    """The zone a named period is read in: the centre's; over every centre, their one zone."""
    if centre is not None:
        return centre.zone
    zones = {config.timezone for config in centres.values()}
    if len(zones) > 1:
        raise UserError(
            f"--period: the centres are in different time zones ({', '.join(sorted(zones))}); "
            "expected --centre NAME, or dates with --from/--to"
        )
    return ZoneInfo(zones.pop() if zones else "UTC")


def chosen_period(
    period: str | None,
    date_from: str | None,
    date_to: str | None,
    centres: dict[str, CentreConfig],
    centre: CentreConfig | None,
) -> Period:
    """The dates of ``--period`` (or of ``--from``/``--to``), now, in the centre's zone."""
    first = parse_date(CLI, "from", date_from) if date_from is not None else None
    last = parse_date(CLI, "to", date_to) if date_to is not None else None
    zone = period_zone(centres, centre) if first is None else ZoneInfo("UTC")  # dates need none
    return choose_period(CLI, period, first, last, zone, datetime.now(UTC))
