"""``callkpi snapshot``: refresh the columnar snapshot (Parquet) the DuckDB engine reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .runtime import DatabaseOption, UserError, opened_store, out, settings_for, shown_url


def snapshot(
    centre: Annotated[
        str | None, typer.Option("--centre", help="Only this centre. [default: all]")
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Rewrite every partition (after `callkpi rebuild`)."),
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--directory",
            help="Snapshot folder. [default: $CALLKPI_SNAPSHOT_DIR, else beside the SQLite file]",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write the facts changed since the last refresh to Parquet, by centre and month."""
    try:
        from ..snapshot import refresh, snapshot_directory
    except ImportError as exc:
        raise UserError(
            f"the snapshot needs DuckDB and pyarrow ({exc}); expected them installed: "
            "pip install 'callkpi[duckdb]'"
        ) from None
    settings = settings_for(database)
    folder = snapshot_directory(settings.database_url, directory or settings.snapshot_dir)
    with opened_store(settings) as store:
        try:
            summary = refresh(store, folder, centre=centre, full=full)
        except ValueError as exc:
            raise UserError(f"--centre: {exc}") from None
    refreshed = ", ".join(summary.centres) or "none (up to date)"
    out().print(
        f"Snapshot {folder} of {shown_url(settings.database_url)}: centres refreshed: {refreshed}; "
        f"{summary.partitions} partition(s), {summary.rows} row(s) written."
    )
