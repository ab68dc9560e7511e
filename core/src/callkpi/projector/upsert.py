"""Writing fact rows: one executemany upsert per table and batch, on SQLite and PostgreSQL.

The statement is SQLAlchemy's dialect ``INSERT … ON CONFLICT DO UPDATE``, compiled once
per dialect and table; the rows' values go through each column type's own bind processor
and straight to the driver's executemany. Fact batches run to thousands of rows, and
SQLAlchemy's per-row parameter handling would otherwise cost more than the database does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.dialects import postgresql, sqlite

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# Bound parameters per statement stay well below SQLite's and PostgreSQL's limits.
IN_CHUNK = 500


def upsert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``table``, replacing every non-key column of rows that exist."""
    if not rows:
        return
    sql, names, processors, positional = _compiled_upsert(connection.dialect, table)
    if positional:
        params: list[Any] = [tuple(_bind(row, names, processors)) for row in rows]
    else:
        params = [dict(zip(names, _bind(row, names, processors), strict=True)) for row in rows]
    connection.exec_driver_sql(sql, params)


def _bind(
    row: dict[str, Any], names: tuple[str, ...], processors: tuple[Callable[[Any], Any] | None, ...]
) -> Iterator[Any]:
    for name, process in zip(names, processors, strict=True):
        value = row[name]
        yield process(value) if process and value is not None else value


@lru_cache(maxsize=16)
def _compiled_upsert(
    dialect: Dialect, table: Table
) -> tuple[str, tuple[str, ...], tuple[Any, ...], bool]:
    if dialect.name not in _INSERTS:
        raise NotImplementedError(
            f"store dialect = {dialect.name!r}: the projector writes facts to "
            f"{' or '.join(sorted(_INSERTS))}; expected one of those"
        )
    statement = _INSERTS[dialect.name](table)
    keys = [column.name for column in table.primary_key.columns]
    replace = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    compiled = statement.on_conflict_do_update(index_elements=keys, set_=replace).compile(
        dialect=dialect, column_keys=[c.name for c in table.columns]
    )
    names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    processors = tuple(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    return compiled.string, names, processors, compiled.positional


def chunks(items: Iterable[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size``, for IN (…) lists the databases accept."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
