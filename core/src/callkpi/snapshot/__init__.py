"""The columnar snapshot: the facts as Parquet files, and DuckDB running KPI queries on them.

DESIGN.md, "Storage and scale": reports run in the store by default; for heavy analytics
the engine reads a snapshot of the fact tables, partitioned by centre and local month and
refreshed incrementally (:func:`refresh`), with DuckDB (:func:`open_reader`). Needs the
``callkpi[duckdb]`` extra.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from .layout import snapshot_tables
from .reader import SnapshotReader
from .refresh import LAG, RefreshSummary, refresh

DEFAULT_DIRECTORY = Path("callkpi-snapshot")

__all__ = [
    "LAG",
    "RefreshSummary",
    "SnapshotReader",
    "open_reader",
    "refresh",
    "snapshot_directory",
]


def snapshot_directory(database_url: str, configured: Path | None = None) -> Path:
    """Where the snapshot of the store at ``database_url`` lives: ``configured`` when given,
    else beside a SQLite file (``callkpi.db`` → ``callkpi-snapshot/``), else
    ``./callkpi-snapshot``."""
    if configured is not None:
        return configured
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return database.with_name(f"{database.stem}-snapshot")
    return DEFAULT_DIRECTORY


def open_reader(directory: Path) -> SnapshotReader:
    """A DuckDB reader over the snapshot in ``directory``: every fact table the engine
    knows, and ``dim_agent``."""
    return SnapshotReader(directory, *snapshot_tables())
