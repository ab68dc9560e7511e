"""``callkpi report``: KPIs by dimensions over a period, as a table, CSV or JSON.

The numbers come from :func:`callkpi.kpi.run_report`, on the engine ``--engine`` names:
``sql`` runs the compiled KPI queries in the store's own database, ``duckdb`` the very
same queries on the columnar snapshot (``callkpi.snapshot``). The JSON shape is
documented in ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..kpi import DIMENSIONS, InvalidKpi, KpiRegistry, RegisteredKpi, ReportRequest
from ..kpi.engine import ENGINES, run_report
from ..kpi.report import Report
from ..kpi.request_builder import (
    RequestError,
    build_selections,
    check_choice,
    enabled_kpi_ids,
    groupable,
    named_kpi_ids,
    parse_dimensions,
    parse_pair,
)
from ..store.centres import CentreConfig, load_centres
from ..store.db import Store
from .filters import FilterOption, given_filters
from .kpis import find_centre, installed_kpis
from .periods import CLI, FromOption, PeriodOption, ToOption, chosen_period
from .report_formats import FORMATS, render
from .report_html import FILE_FORMATS, write_report_file
from .runtime import DatabaseOption, UserError, opened_store, out, settings_for


def report(
    period: PeriodOption = None,
    date_from: FromOption = None,
    kpi: Annotated[
        list[str] | None,
        typer.Option(
            "--kpi",
            metavar="ID,...",
            help="KPIs to report. [default: the ones enabled for the centre]",
        ),
    ] = None,
    by: Annotated[
        str, typer.Option("--by", metavar="DIM,...", help=f"Group by: {', '.join(DIMENSIONS)}.")
    ] = "",
    date_to: ToOption = None,
    centre: Annotated[
        str | None,
        typer.Option(
            "--centre", metavar="NAME", help="One centre. [default: the only one, else all]"
        ),
    ] = None,
    variant: Annotated[
        list[str] | None,
        typer.Option(
            "--variant", metavar="KPI=VARIANT", help="Report KPI as VARIANT; repeat to compare."
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", metavar="KPI.NAME=VALUE", help="Change a KPI parameter."),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help=f"Where to compute: {', '.join(ENGINES)}.")
    ] = "sql",
    output_format: Annotated[
        str, typer.Option("--format", help="table, csv, json, html (one self-contained file) or png.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", metavar="FILE", help="Write to FILE, not stdout.")
    ] = None,
    queue: FilterOption = None,
    team: FilterOption = None,
    agent: FilterOption = None,
    channel: FilterOption = None,
    site: FilterOption = None,
    database: DatabaseOption = None,
) -> None:
    """Compute KPIs per dimension over a period of local dates (default: yesterday)."""
    filters = given_filters(queue=queue, team=team, agent=agent, channel=channel, site=site)
    with _user_errors():
        check_choice(CLI, "format", output_format, FORMATS)
        check_choice(CLI, "engine", engine, ENGINES)
        group_by = parse_dimensions(CLI, by)
    registry = installed_kpis(database)
    settings = settings_for(database)
    with opened_store(settings) as store, _user_errors():
        with store.transaction() as connection:
            centres = load_centres(connection)
        config = _centre(centres, centre)
        dates = chosen_period(period, date_from, date_to, centres, config)
        kpi_ids = _kpi_ids(kpi, variant, registry, config, centres, group_by)
        selections = build_selections(registry, kpi_ids, variant or [], param or [], CLI)
        request = ReportRequest(
            tuple(selections), *dates, group_by, config and config.name, engine, filters
        )
        result = _run(store, request, registry, settings.snapshot_dir)
        _note_unavailable(result)
        if output_format in FILE_FORMATS:
            return write_report_file(store, registry, result, config, output_format, output)
    _write(render(result, output_format, engine), output)


def _run(
    store: Store, request: ReportRequest, registry: KpiRegistry, snapshot_dir: Path | None
) -> Report:
    try:
        return run_report(store, request, registry=registry, snapshot_dir=snapshot_dir)
    except InvalidKpi as exc:
        raise UserError(str(exc)) from None
    except ImportError as exc:  # DuckDB and pyarrow are an optional extra
        extra = "spark" if request.engine == "spark" else "duckdb"
        raise UserError(
            f"--engine = {request.engine!r} needs the {extra} extra ({exc}); expected it "
            f"installed: pip install 'callkpi[{extra}]'"
        ) from None


def _note_unavailable(result: Report) -> None:
    """Say on stderr why a column is empty, so that CSV and JSON on stdout stay as they are."""
    for column in result.columns:
        if column.unavailable is not None:
            Console(stderr=True, highlight=False).print(
                f"{column.key}: {column.unavailable}", style="dim", soft_wrap=True
            )


@contextmanager
def _user_errors() -> Iterator[None]:
    """The request builder's errors as user errors (one red line)."""
    try:
        yield
    except RequestError as exc:
        raise UserError(str(exc)) from None


def _centre(centres: dict[str, CentreConfig], name: str | None) -> CentreConfig | None:
    if name is not None:
        return find_centre(centres, name)
    return next(iter(centres.values())) if len(centres) == 1 else None


def _kpi_ids(
    named: list[str] | None,
    variants: list[str] | None,
    registry: KpiRegistry,
    centre: CentreConfig | None,
    centres: dict[str, CentreConfig],
    group_by: tuple[str, ...],
) -> list[str]:
    """The KPIs asked for by ``--kpi``, else the enabled ones (those that ``--by`` can group)."""
    if named:
        return named_kpi_ids(registry, named)
    enabled = {
        i
        for config in ([centre] if centre else centres.values())
        for i in enabled_kpi_ids(registry, config.settings.enabled_kpis)
    }
    enabled.update(parse_pair(CLI, "variant", v, "=")[0] for v in variants or [])
    return _groupable_only([r for r in registry if r.kpi.id in enabled], group_by)


def _groupable_only(candidates: list[RegisteredKpi], group_by: tuple[str, ...]) -> list[str]:
    chosen = [r.kpi.id for r in candidates if groupable(r, group_by)]
    left_out = [r.kpi.id for r in candidates if r.kpi.id not in chosen]
    if left_out:
        Console(stderr=True, highlight=False).print(
            f"Left out, cannot be grouped by {', '.join(group_by)}: {', '.join(left_out)}",
            style="dim",
            soft_wrap=True,
        )
    if not chosen:
        raise UserError(
            f"--kpi: no enabled KPI can be grouped by {', '.join(group_by)}; expected --kpi ID"
        )
    return chosen


def _write(rendered: str | Table, output: Path | None) -> None:
    if output is None:
        if isinstance(rendered, Table):
            out().print(rendered)
        else:
            typer.echo(rendered, nl=False)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as handle:
            if isinstance(rendered, Table):
                Console(file=handle, width=200, highlight=False).print(rendered)
            else:
                handle.write(rendered)
    except OSError as exc:
        raise UserError(
            f"--output = '{output}': {exc.strerror}; expected a writable file"
        ) from None
    out().print(f"Wrote {output}.")
