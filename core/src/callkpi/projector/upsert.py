"""Writing fact rows: one executemany upsert per table and batch, on SQLite and PostgreSQL.

The statement is SQLAlchemy's dialect ``INSERT … ON CONFLICT DO UPDATE``, compiled once
per dialect and table; the rows' values go through each column type's bind processor
(``driver.bind_processor``) and straight to the driver's executemany. Fact batches run to
thousands of rows, and SQLAlchemy's per-row parameter handling would otherwise cost more
than the database does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.dialects import postgresql, sqlite

from .driver import bind_processor

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# Bound parameters per statement stay well below SQLite's and PostgreSQL's limits.
IN_CHUNK = 500


def upsert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``table``, replacing every non-key column of rows that exist."""
    _execute_many(connection, table, rows, replace_existing=True)


def insert_missing(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``table``, leaving rows whose key is already stored untouched."""
    _execute_many(connection, table, rows, replace_existing=False)


def _execute_many(connection: Connection, table: Table, rows: Sequence[dict[str, Any]],
                  replace_existing: bool) -> None:
    if not rows:
        return
    compiled = _compiled_upsert(connection.dialect, table, replace_existing)
    sql, names, processors, positional = compiled
    values = _row_values(names, processors)
    if positional:
        params: list[Any] = [values(row) for row in rows]
    else:
        params = [dict(zip(names, values(row), strict=True)) for row in rows]
    connection.exec_driver_sql(sql, params)


def _row_values(names: tuple[str, ...], processors: tuple[Callable[[Any], Any] | None, ...]
                ) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function from a row dict to its parameter tuple. Most columns need no processing,
    so one C-level itemgetter fetches all values and only the few typed ones (datetimes,
    dates) are converted afterwards: a million-row batch spends its time in the driver."""
    fetch = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    typed = [(index, process) for index, process in enumerate(processors) if process]
    if not typed:
        return fetch

    def values(row: dict[str, Any]) -> tuple[Any, ...]:
        result = list(fetch(row))
        for index, process in typed:
            if result[index] is not None:
                result[index] = process(result[index])
        return tuple(result)

    return values


@lru_cache(maxsize=16)
def _compiled_upsert(
    dialect: Dialect, table: Table, replace_existing: bool
) -> tuple[str, tuple[str, ...], tuple[Any, ...], bool]:
    if dialect.name not in _INSERTS:
        raise NotImplementedError(
            f"store dialect = {dialect.name!r}: the projector writes facts to "
            f"{' or '.join(sorted(_INSERTS))}; expected one of those"
        )
    statement = _INSERTS[dialect.name](table)
    keys = [column.name for column in table.primary_key.columns]
    if replace_existing:
        replace = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
        statement = statement.on_conflict_do_update(index_elements=keys, set_=replace)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    compiled = statement.compile(dialect=dialect, column_keys=[c.name for c in table.columns])
    names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    processors = tuple(bind_processor(table.c[name].type, dialect) for name in names)
    return compiled.string, names, processors, compiled.positional


def chunks(items: Iterable[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size``, for IN (…) lists the databases accept."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
