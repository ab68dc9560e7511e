"""The statements every SMS reply runs, compiled once and run on SQLite's own cursor.

An inbound reply runs about six small statements, and on SQLite SQLAlchemy's execution
around each (cache lookup, parameter construction, events, result set-up) cost several
times what SQLite spent executing it. A :class:`HotStatement` is compiled for SQLite once;
its parameters go through the same bind processors SQLAlchemy would use and its rows
through the same result processors, so what is stored and read is identical — only the
machinery in between is skipped. On PostgreSQL it is executed through SQLAlchemy as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Executable
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler

_SQLITE = sqlite.dialect()
_Slot = tuple[str, Callable[[Any], Any] | None, Any]  # (parameter, bind processor, constant)


class HotStatement:
    """``statement`` (``postgresql``: that dialect's variant, if it differs) run with a
    mapping of its bound parameters; results as plain tuples or dicts."""

    def __init__(self, statement: Executable, *, postgresql: Executable | None = None) -> None:
        self.postgresql = statement if postgresql is None else postgresql
        compiled = statement.compile(dialect=_SQLITE)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("an expanding IN cannot be compiled once; spell its values out")
        self.sql = compiled.string
        self._slots = _slots(compiled)
        self._keys = [entry.keyname for entry in compiled._result_columns]
        self._results = [entry.type._cached_result_processor(_SQLITE, None) for entry in compiled._result_columns]

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple]:
        if connection.dialect.name != "sqlite":
            return [tuple(row) for row in connection.execute(self.postgresql, params)]
        rows = _sqlite_cursor(connection, self.sql, self._bound(params)).fetchall()
        if not any(self._results):
            return rows
        return [tuple(value if process is None else process(value) for process, value in zip(self._results, row,
                                                                                               strict=True))
                for row in rows]

    def mappings(self, connection: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [dict(zip(self._keys, row, strict=True)) for row in self.rows(connection, params)]

    def run(self, connection: Connection, params: Mapping[str, Any]) -> None:
        if connection.dialect.name != "sqlite":
            connection.execute(self.postgresql, params)
        else:
            _sqlite_cursor(connection, self.sql, self._bound(params))

    def inserted_id(self, connection: Connection, params: Mapping[str, Any]) -> int:
        """Run an INSERT; the id of the row it inserted."""
        if connection.dialect.name != "sqlite":
            return connection.execute(self.postgresql, params).inserted_primary_key[0]
        return _sqlite_cursor(connection, self.sql, self._bound(params)).lastrowid

    def _bound(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, process, constant in self._slots:
            value = params[name] if constant is _REQUIRED else constant
            values.append(value if process is None or constant is not _REQUIRED else process(value))
        return values


_REQUIRED = object()


def _slots(compiled: SQLCompiler) -> list[_Slot]:
    """Per ``?`` in order: its parameter's name, bind processor, and its processed value when
    the statement fixes it (``values(status="pending")``)."""
    processors = compiled._bind_processors
    slots = []
    for name in compiled.positiontup:
        bind, process = compiled.binds[name], processors.get(name)
        if bind.required:
            slots.append((name, process, _REQUIRED))
        else:
            value = bind.effective_value
            slots.append((name, None, value if process is None else process(value)))
    return slots


def _sqlite_cursor(connection: Connection, sql: str, values: list[Any]) -> Any:
    if not connection.in_transaction():
        connection.begin()  # as SQLAlchemy's autobegin would: the statement joins the caller's transaction
    try:
        return connection.connection.driver_connection.execute(sql, values)
    except sqlite3.Error as exc:  # raised as SQLAlchemy would, so callers catch the same errors
        raise DBAPIError.instance(sql, values, exc, sqlite3.Error, dialect=connection.dialect) from exc
