"""Where the snapshot keeps what, and the Arrow schema of each table.

A fact table ``t`` lives under ``<directory>/t/centre=<c>/month=<yyyy-mm>/data.parquet``
(hive partitioning; the month is the local month of the row's ``local_date``), so DuckDB
reads only the partitions a report's centre filter can touch. A table without local dates
(``dim_agent``, ``dim_agent_history``) is one file, ``<directory>/<table>/data.parquet``.
Files keep every column of their table, ``centre`` included; timestamps are UTC instants,
dates plain dates, flags booleans.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, String, Table
from sqlalchemy.types import TypeEngine

from ..kpi.facts import AGENT_DIMENSION, FACT_TABLES

DATA_FILE = "data.parquet"
PARTITION_DAY = "local_date"
"""The column whose local month partitions a fact table: the day periods filter on."""
# checked in order; a TypeDecorator (SQLModel's AutoString, UTCDateTime) by its implementation
_ARROW_TYPES: tuple[tuple[type[TypeEngine], pa.DataType], ...] = (
    (Boolean, pa.bool_()),
    (DateTime, pa.timestamp("us", tz="UTC")),
    (Date, pa.date32()),
    (Integer, pa.int64()),
    (Float, pa.float64()),
    (Numeric, pa.float64()),
    (String, pa.string()),
)


def arrow_schema(table: Table) -> pa.Schema:
    """The Parquet schema of ``table``: one field per column, typed from its SQL type."""
    return pa.schema(pa.field(column.name, _arrow_type(column.type)) for column in table.columns)


def _arrow_type(sql_type: TypeEngine) -> pa.DataType:
    sql_type = getattr(sql_type, "impl_instance", sql_type)
    for kind, arrow_type in _ARROW_TYPES:
        if isinstance(sql_type, kind):
            return arrow_type
    raise TypeError(
        f"column type {sql_type!r} has no Parquet type in the snapshot; expected "
        "a string, integer, float, boolean, date or datetime column"
    )


def snapshot_tables() -> tuple[list[Table], list[Table]]:
    """The store tables the engine reads: (partitioned fact tables, whole tables such as
    ``dim_agent``). Several KPI fact names may read one table; it is kept once."""
    tables = {fact.table.name: fact.table for fact in FACT_TABLES.values()}
    tables |= {fact.open_rows.name: fact.open_rows for fact in FACT_TABLES.values() if fact.open_rows is not None}
    tables.setdefault(AGENT_DIMENSION.name, AGENT_DIMENSION)
    partitioned = [table for table in tables.values() if PARTITION_DAY in table.c]
    return partitioned, [table for table in tables.values() if PARTITION_DAY not in table.c]


def as_date(value: Any) -> date:
    """A date column's value as a date (SQLite without type information hands back ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def month_key(month: date) -> str:
    """``2026-03`` for any day of March 2026: the partition's ``month=`` value."""
    return f"{month.year:04d}-{month.month:02d}"


def partition_dir(directory: Path, table: str, centre: str, month: date) -> Path:
    # centre names are free text: quoting keeps '/' and '=' out of the path
    return directory / table / f"centre={quote(centre, safe='')}" / f"month={month_key(month)}"


def stored_partitions(directory: Path, table: str, centre: str) -> set[date]:
    """The months of ``centre`` that the snapshot holds for ``table``."""
    centre_dir = directory / table / f"centre={quote(centre, safe='')}"
    if not centre_dir.is_dir():
        return set()
    return {
        date.fromisoformat(path.name.removeprefix("month=") + "-01")
        for path in centre_dir.glob("month=*")
        if (path / DATA_FILE).is_file()
    }


def stored_centres(directory: Path, table: str) -> set[str]:
    return {
        unquote(path.name.removeprefix("centre=")) for path in (directory / table).glob("centre=*")
    }


def write_file(
    path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch], *, partition: bool = True
) -> int:
    """Write ``batches`` to ``path`` atomically (readers see the old file or the new one);
    a partition without rows is removed with its folder. Returns the rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # a name of its own: two refreshes at once must not write into one file
    partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    rows = 0
    with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    if rows or not partition:
        os.replace(partial, path)
    else:
        partial.unlink()
        remove_partition(path.parent)
    return rows


def remove_partition(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for parent in _empty_parents(folder):
        parent.rmdir()


def _empty_parents(folder: Path) -> Iterator[Path]:
    parent = folder.parent
    if parent.name.startswith("centre=") and parent.is_dir() and not any(parent.iterdir()):
        yield parent
