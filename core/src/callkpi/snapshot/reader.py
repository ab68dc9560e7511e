"""Running the engine's compiled KPI queries on a snapshot with DuckDB.

Each fact table, ``dim_agent`` and ``dim_agent_history`` becomes a DuckDB view of the same name over its Parquet
files, with exactly the store table's columns (hive ``centre`` typed as text, the ``month``
folder left out), so the engine's SQLAlchemy ``Select`` runs unchanged. It is compiled
with the PostgreSQL dialect, whose SQL DuckDB speaks, with ``?`` parameters: values go to
DuckDB typed (dates as dates, flags as booleans), never spliced into the text. The session
time zone is UTC, so timestamps come back as UTC instants.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from ..kpi.result_columns import Columns
from .layout import DATA_FILE

_DIALECT = postgresql.dialect(paramstyle="qmark")
_HIVE_TYPES = "{'centre': 'VARCHAR', 'month': 'VARCHAR'}"


class SnapshotReader:
    """A DuckDB connection with one view per snapshot table. Use as a context manager."""

    def __init__(self, directory: Path, tables: Iterable[Table], dimensions: Iterable[Table]):
        self.connection = duckdb.connect()
        self.connection.execute("SET TimeZone = 'UTC'")
        for table in tables:
            self._view(directory, table, f"{table.name}/*/*/{DATA_FILE}", partitioned=True)
        for table in dimensions:
            self._view(directory, table, f"{table.name}/{DATA_FILE}", partitioned=False)

    def _view(self, directory: Path, table: Table, files: str, *, partitioned: bool) -> None:
        if not any(directory.glob(files)):
            # nothing snapshotted yet: an empty table with the store's columns reads as no rows
            self.connection.execute(str(CreateTable(table).compile(dialect=_DIALECT)))
            return
        columns = ", ".join(f'"{column.name}"' for column in table.columns)
        options = f", hive_partitioning = true, hive_types = {_HIVE_TYPES}" if partitioned else ""
        self.connection.execute(
            f'CREATE VIEW "{table.name}" AS SELECT {columns} '
            f"FROM read_parquet('{_quoted(directory / files)}'{options})"
        )

    def run(self, query: Select) -> Columns:
        """``query``'s result as columns in its column order (:mod:`callkpi.kpi.result_columns`)."""
        compiled = query.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
        parameters = [compiled.params[name] for name in compiled.positiontup or ()]
        cursor = self.connection.execute(str(compiled), parameters)
        types = [str(column[1]) for column in cursor.description]
        arrays = list(cursor.fetchnumpy().values())
        assert len(arrays) == len(types), "the query's column labels must differ"
        return [_as_fetched(array, kind) for array, kind in zip(arrays, types, strict=True)]

    def months_holding(self, table: str, centre: str, column: str, values: list[str]) -> set[date]:
        """The local months of ``centre`` whose ``table`` rows have ``column`` in ``values``."""
        cursor = self.connection.execute(
            f'SELECT DISTINCT local_month FROM "{table}" '
            f'WHERE centre = ? AND "{column}" IN (SELECT unnest(CAST(? AS VARCHAR[])))',
            [centre, values],
        )
        return {month for (month,) in cursor.fetchall() if month is not None}

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> SnapshotReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _as_fetched(array: np.ndarray, kind: str) -> np.ndarray:
    """``array`` typed as a row fetch would type its values: numpy hands DATE back as
    timestamps and HUGEINT sums (integers) as floats."""
    if kind == "DATE":
        return array.astype("datetime64[D]")
    if kind == "HUGEINT":
        return array.astype(np.int64)
    return array


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
