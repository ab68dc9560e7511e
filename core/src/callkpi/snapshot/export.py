"""Streaming fact rows out of the store into Parquet, one (centre, month) partition at a time.

Rows are read in chunks of :data:`CHUNK_ROWS` straight from the driver's cursor, so the
driver's raw values come through (SQLite's ISO text for dates and times, 0/1 for flags)
without building a Python object per cell; Arrow turns each chunk column into its typed
array in C. Memory holds one chunk, never a table. The cyclic garbage collector is paused
while a file is written: it would otherwise traverse each chunk's 100,000 row tuples again
and again (see ``callkpi.projector.gc_pause``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import ColumnElement, Connection, Select, Table, column, select

from ..projector.gc_pause import cyclic_gc_paused
from .layout import DATA_FILE, PARTITION_DAY, arrow_schema, as_date, partition_dir, write_file

CHUNK_ROWS = 100_000


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_in_store(connection: Connection, table: Table, centre: str) -> set[date]:
    """The local months ``centre`` has rows of ``table`` in (rows without a date belong to none)."""
    day = table.c[PARTITION_DAY]
    query = select(day).distinct().where(table.c.centre == centre, day.is_not(None))
    days = {as_date(value) for (value,) in connection.execute(query)}
    return {day.replace(day=1) for day in days}


def export_partition(
    connection: Connection,
    directory: Path,
    table: Table,
    centre: str,
    month: date,
) -> int:
    """Rewrite the partition of ``centre`` and ``month``; returns its rows (0: removed)."""
    day = table.c[PARTITION_DAY]
    query = _raw_select(table).where(
        _centre_is(connection, table, centre), day >= month, day < next_month(month)
    )
    path = partition_dir(directory, table.name, centre, month) / DATA_FILE
    with cyclic_gc_paused():
        return write_file(path, arrow_schema(table), _batches(connection, query, arrow_schema(table)))


def _centre_is(connection: Connection, table: Table, centre: str) -> ColumnElement[bool]:
    # SQLite would walk an index on centre (every month of the centre, row by row through
    # the table) rather than the local_date range; "centre || ''" leaves that index out
    column = table.c.centre
    return (column.concat("") if connection.dialect.name == "sqlite" else column) == centre


def export_whole(connection: Connection, directory: Path, table: Table) -> int:
    """Rewrite the one file of a small, unpartitioned table (``dim_agent``)."""
    path = directory / table.name / DATA_FILE
    schema = arrow_schema(table)
    batches = _batches(connection, _raw_select(table), schema)
    with cyclic_gc_paused():
        return write_file(path, schema, batches, partition=False)


def _raw_select(table: Table) -> Select:
    # untyped column() objects carry no result processors: the driver's values come through as is
    return select(*(column(c.name) for c in table.columns)).select_from(table)


def _batches(connection: Connection, query: Select, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for rows in _driver_rows(connection, query):
        columns = zip(*rows, strict=True)
        yield pa.RecordBatch.from_arrays(
            [_typed(values, field.type) for values, field in zip(columns, schema, strict=True)],
            schema=schema,
        )


def _driver_rows(connection: Connection, query: Select) -> Iterator[list[tuple[Any, ...]]]:
    """``query``'s rows in chunks, straight from a driver cursor: no Row object per row.
    PostgreSQL streams them through a server-side cursor; SQLite's cursor streams anyway."""
    # the only literals are a centre name and two dates, rendered and quoted by the dialect
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    server_side = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name=f"snapshot_{uuid.uuid4().hex}") if server_side else driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            yield rows
    finally:
        cursor.close()


def _typed(values: Sequence[Any], target: pa.DataType) -> pa.Array:
    # the target type is given wherever the driver's values already fit it: inferring a type
    # from Python objects costs more than reading them
    sample = next((value for value in values if value is not None), None)
    if isinstance(sample, str) and not pa.types.is_string(target):
        text = pa.array(values, pa.string())
        if pa.types.is_timestamp(target):
            # SQLite keeps UTC as naive ISO text: parse it naive, then declare it UTC
            text = text.cast(pa.timestamp(target.unit))
        return text.cast(target)
    if type(sample) is int and pa.types.is_boolean(target):  # SQLite's 0 and 1
        return pa.array(values, pa.int64()).cast(target)
    return pa.array(values, target)
