"""``callkpi report``: KPIs by dimensions over a period, as a table, CSV or JSON.

The numbers come from :func:`callkpi.kpi.run_report`, on the engine ``--engine`` names:
``sql`` runs the compiled KPI queries in the store's own database, ``duckdb`` the very
same queries on the columnar snapshot (``callkpi.snapshot``). The JSON shape is
documented in ``docs/reports.md``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..kpi import (
    DIMENSIONS,
    FACT_TABLES,
    InvalidKpi,
    KpiRegistry,
    KpiSelection,
    RegisteredKpi,
    ReportRequest,
)
from ..kpi.engine import ENGINES, run_report
from ..kpi.report import Report
from ..store.centres import CentreConfig, load_centres
from ..store.db import Store
from .kpis import enabled_ids, find_centre, find_kpi, installed_kpis
from .report_formats import FORMATS, render
from .runtime import DatabaseOption, UserError, opened_store, out, settings_for


def report(
    date_from: Annotated[
        str, typer.Option("--from", metavar="YYYY-MM-DD", help="First local date.")
    ],
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
    date_to: Annotated[
        str | None,
        typer.Option("--to", metavar="YYYY-MM-DD", help="Last local date. [default: --from]"),
    ] = None,
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
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", metavar="FILE", help="Write to FILE, not stdout.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Compute KPIs per dimension over a period of local dates."""
    _check_choice("--format", output_format, FORMATS)
    _check_choice("--engine", engine, ENGINES)
    period = (_date("--from", date_from), _date("--to", date_to or date_from))
    group_by = _dimensions(by)
    registry = installed_kpis(database)
    settings = settings_for(database)
    with opened_store(settings) as store:
        with store.transaction() as connection:
            centres = load_centres(connection)
        config = _centre(centres, centre)
        kpi_ids = _kpi_ids(kpi, variant, registry, config, centres, group_by)
        selections = build_selections(registry, kpi_ids, variant or [], param or [])
        request = ReportRequest(
            tuple(selections), *period, group_by, config and config.name, engine
        )
        result = _run(store, request, registry, settings.snapshot_dir)
    _write(render(result, output_format, engine), output)


def _run(
    store: Store, request: ReportRequest, registry: KpiRegistry, snapshot_dir: Path | None
) -> Report:
    try:
        return run_report(store, request, registry=registry, snapshot_dir=snapshot_dir)
    except InvalidKpi as exc:
        raise UserError(str(exc)) from None
    except ImportError as exc:  # DuckDB and pyarrow are an optional extra
        raise UserError(
            f"--engine = {request.engine!r} needs DuckDB and pyarrow ({exc}); expected them "
            "installed: pip install 'callkpi[duckdb]'"
        ) from None


def _check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UserError(
            f"{option} = {value!r}: expected one of {', '.join(choices)}{_close(value, choices)}"
        )


def _close(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} = {text!r}: not a date; expected YYYY-MM-DD") from None


def _dimensions(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    for name in names:
        _check_choice("--by", name, DIMENSIONS)
    return names


def _centre(centres: dict[str, CentreConfig], name: str | None) -> CentreConfig | None:
    if name is not None:
        return find_centre(centres, name)
    return next(iter(centres.values())) if len(centres) == 1 else None


def _split(values: Iterable[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


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
        return list(dict.fromkeys(find_kpi(registry, kpi_id).kpi.id for kpi_id in _split(named)))
    enabled = {
        i
        for config in ([centre] if centre else centres.values())
        for i in enabled_ids(config, registry)
    }
    enabled.update(_parse_pair("--variant", v, "=")[0] for v in variants or [])
    return _groupable_only([r for r in registry if r.kpi.id in enabled], group_by)


def _groupable_only(candidates: list[RegisteredKpi], group_by: tuple[str, ...]) -> list[str]:
    chosen = [r.kpi.id for r in candidates if _groupable(r, group_by)]
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


def _groupable(registered: RegisteredKpi, group_by: tuple[str, ...]) -> bool:
    facts = registered.default.facts
    return all(set(group_by) <= set(FACT_TABLES[fact].dimensions) for fact in facts)


def _parse_pair(option: str, text: str, separator: str) -> tuple[str, str]:
    left, found, right = text.partition(separator)
    if not found or not left or not right:
        shape = "KPI=VARIANT" if option == "--variant" else "KPI.NAME=VALUE"
        raise UserError(f"{option} = {text!r}: expected {shape}")
    return left.strip(), right.strip()


def build_selections(
    registry: KpiRegistry, kpi_ids: list[str], variants: list[str], params: list[str]
) -> list[KpiSelection]:
    """One selection per KPI and variant asked for, each with the parameters that apply to it."""
    chosen = _variants(registry, variants, kpi_ids)
    overrides = _parameters(registry, params, kpi_ids)
    selections = [
        _selection(registry, kpi_id, name, overrides.get(kpi_id, {}))
        for kpi_id in kpi_ids
        for name in chosen.get(kpi_id, [None])
    ]
    _check_parameters_used(registry, overrides, selections)
    return selections


def _variants(registry: KpiRegistry, texts: list[str], kpi_ids: list[str]) -> dict[str, list]:
    chosen: dict[str, list] = {}
    for text in texts:
        kpi_id, name = _parse_pair("--variant", text, "=")
        known = _reported_kpi(registry, "--variant", text, kpi_id, kpi_ids).variants
        if name not in known:
            raise UserError(
                f"--variant = {text!r}: KPI {kpi_id!r} has no variant {name!r}"
                f"{_close(name, known)}; expected one of {', '.join(known)}"
            )
        chosen.setdefault(kpi_id, []).append(name)
    return chosen


def _reported_kpi(
    registry: KpiRegistry, option: str, text: str, kpi_id: str, kpi_ids: list[str]
) -> RegisteredKpi:
    registered = find_kpi(registry, kpi_id)
    if kpi_id not in kpi_ids:
        raise UserError(
            f"{option} = {text!r}: KPI {kpi_id!r} is not in this report; expected one of "
            f"{', '.join(kpi_ids)}, or name it in --kpi"
        )
    return registered


def _parameters(
    registry: KpiRegistry, texts: list[str], kpi_ids: list[str]
) -> dict[str, dict[str, float]]:
    overrides: dict[str, dict[str, float]] = {}
    for text in texts:
        name, raw = _parse_pair("--param", text, "=")
        kpi_id, dot, parameter = name.partition(".")
        if not dot or not parameter:
            raise UserError(f"--param = {text!r}: expected KPI.NAME=VALUE")
        _reported_kpi(registry, "--param", text, kpi_id, kpi_ids)
        try:
            overrides.setdefault(kpi_id, {})[parameter] = float(raw)
        except ValueError:
            raise UserError(
                f"--param = {text!r}: {raw!r} is not a number; expected KPI.NAME=NUMBER"
            ) from None
    return overrides


def _selection(
    registry: KpiRegistry, kpi_id: str, variant: str | None, overrides: dict[str, float]
) -> KpiSelection:
    applies = registry.get(kpi_id).variant(variant).defaults
    return KpiSelection(kpi_id, variant, {k: v for k, v in overrides.items() if k in applies})


def _check_parameters_used(
    registry: KpiRegistry, overrides: dict[str, dict[str, float]], selections: list[KpiSelection]
) -> None:
    for kpi_id, values in overrides.items():
        mine = [s for s in selections if s.kpi == kpi_id]
        used = {name for selection in mine for name in selection.parameters}
        known = {n for s in mine for n in registry.get(kpi_id).variant(s.variant).defaults}
        for name in values:
            if name not in used:
                raise UserError(
                    f"--param {kpi_id}.{name}: KPI {kpi_id!r} (as reported) has no parameter "
                    f"{name!r}{_close(name, known)}; its parameters: {_listed(known)}"
                )


def _listed(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none"


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
