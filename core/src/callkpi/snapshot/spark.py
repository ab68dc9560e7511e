"""Running the engine's compiled KPI queries on a snapshot with Apache Spark (Spark Connect).

The same SQLAlchemy ``Select`` the store and DuckDB run is compiled with the PostgreSQL
dialect (as :mod:`.reader` does, with ``:name`` parameters), parsed by sqlglot, its
parameters put in as typed literals by sqlglot, and written out in Spark SQL: no string rewriting of our
own. Each snapshot table is a temporary view of the same name over its Parquet folder;
Spark discovers the hive ``centre=…/month=…`` folders as partition columns, so a report's
centre filter reads only that centre's folders. The session's time zone is UTC, so
timestamps are UTC instants, as in the store.

Results come back as one Arrow table (``DataFrame.toArrow``) and each column becomes the
numpy array :mod:`callkpi.kpi.result_columns` describes, without a Python object per row.

The session is ``settings.spark_remote`` (``sc://host:15002/;token=…;use_ssl=true``) or,
by default, a Spark Connect server started in this process for one machine
(:func:`local_session`), listening on 127.0.0.1 only. Needs the ``callkpi[spark]`` extra.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import sqlglot
from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql
from sqlglot import exp

from ..kpi.report import SparkTarget
from ..kpi.result_columns import Columns
from .layout import arrow_schema, snapshot_tables
from .publish import has_folder, publish

_DIALECT = postgresql.dialect(paramstyle="named")  # ":name" placeholders, which sqlglot parses
_LOCAL = "local[2]"
LOCAL_CONF = {
    # the local server must be reachable from this machine only
    "spark.connect.grpc.binding.address": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
}
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    # ANSI mode would turn a division by a zero count into an error; the store gives NULL
    "spark.sql.ansi.enabled": "false",
}
_SPARK_TYPES = {
    "bool": "BOOLEAN",
    "timestamp[us, tz=UTC]": "TIMESTAMP",
    "date32[day]": "DATE",
    "int64": "BIGINT",
    "double": "DOUBLE",
    "string": "STRING",
}
_lock = threading.Lock()
_sessions: dict[str | None, Any] = {}


def spark_session(remote: str | None) -> Any:
    """The Spark Connect session at ``remote`` (an ``sc://`` URL), or the local one, made
    once per process and kept: starting the local server takes 10–15 s."""
    from pyspark.sql import SparkSession

    with _lock:
        session = _sessions.get(remote)
        if session is None or session.is_stopped:
            if remote is None:
                builder = SparkSession.builder.remote(_LOCAL)
                for key, value in LOCAL_CONF.items():
                    builder = builder.config(key, value)
            else:
                builder = SparkSession.builder.remote(remote)
            session = _sessions[remote] = builder.getOrCreate()
            for key, value in SESSION_CONF.items():
                session.conf.set(key, value)
    return session


class SparkReader:
    """Temporary views of the snapshot at ``location`` (a path or URL Spark can read) on a
    Spark Connect ``session``. Its :meth:`run` is the engine's ``QueryRunner``."""

    def __init__(
        self, session: Any, location: str, tables: Iterable[Table], dimensions: Iterable[Table]
    ) -> None:
        self.session = session
        root = location.rstrip("/")
        for table in tables:
            self._view(root, table, partitioned=True)
        for table in dimensions:
            self._view(root, table, partitioned=False)

    def _view(self, location: str, table: Table, *, partitioned: bool) -> None:
        if not has_folder(location, table.name):
            # nothing snapshotted yet: an empty view with the store's columns reads as no rows
            frame = self.session.createDataFrame([], schema=_spark_schema(table))
        else:
            # a partitioned table's folders become the centre and month columns (hive layout)
            reader = self.session.read.option("recursiveFileLookup", str(not partitioned).lower())
            frame = reader.parquet(f"{location}/{table.name}")
        # exactly the store table's columns: the data files keep centre too, the same value
        frame.select(*(column.name for column in table.columns)).createOrReplaceTempView(table.name)

    def run(self, query: Select) -> Columns:
        """``query``'s result as columns in its column order (:mod:`callkpi.kpi.result_columns`)."""
        result = self.session.sql(spark_sql(query)).toArrow()
        return [_as_fetched(column) for column in result.columns]


def _spark_schema(table: Table) -> str:
    """``table``'s columns as a Spark DDL schema (``"centre STRING, talk_s BIGINT"``)."""
    return ", ".join(f"`{field.name}` {_SPARK_TYPES[str(field.type)]}" for field in arrow_schema(table))


def spark_sql(query: Select) -> str:
    """``query`` in Spark SQL: compiled for PostgreSQL, translated by sqlglot."""
    compiled = query.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    tree = sqlglot.parse_one(str(compiled), read="postgres")
    tree = exp.replace_placeholders(tree, **{name: _literal(value) for name, value in compiled.params.items()})
    return tree.sql(dialect="spark")


def _literal(value: Any) -> exp.Expression:
    """A parameter as a typed sqlglot literal (dates and instants cast, as DuckDB binds them)."""
    if isinstance(value, datetime):  # the session's zone is UTC
        text = value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        return exp.cast(exp.Literal.string(text), exp.DataType.build("timestamp"))
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("date"))
    return exp.convert(value)


def _as_fetched(column: pa.ChunkedArray) -> np.ndarray:
    """An Arrow column as a row fetch would give it: integers int64, decimals float64,
    dates datetime64[D], text objects, NULLs masked."""
    kind = column.type
    if pa.types.is_decimal(kind):
        column = column.cast(pa.float64())
    elif pa.types.is_integer(kind):
        column = column.cast(pa.int64())
    array = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    mask = array.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_date(kind):
        values = array.cast(pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    elif pa.types.is_floating(array.type) or pa.types.is_integer(array.type):
        values = array.fill_null(0).to_numpy(zero_copy_only=False)
    else:  # text (a Python str per value, as DuckDB's fetch gives) and UTC instants
        values = array.to_numpy(zero_copy_only=False)
    return np.ma.MaskedArray(values, mask=mask) if mask.any() else values


def open_spark_reader(directory: Path, target: SparkTarget) -> SparkReader:
    """A Spark reader over the snapshot refreshed in ``directory``: read there by a local
    session, or published first to ``target.location`` for a cluster."""
    if target.location is None:
        location = directory.resolve().as_uri()
    else:
        publish(directory, target.location)
        location = target.location
    return SparkReader(spark_session(target.remote), location, *snapshot_tables())
