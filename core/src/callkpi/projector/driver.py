"""Statements compiled once and run at the driver level, with C-speed value conversion.

A projector statement runs once per batch with hundreds of values (an upsert's rows, an
agent query's times). SQLAlchemy's per-value handling — its SQLite DATETIME / DATE bind
processors format through a ``%`` template and a dict per value, behind the UTC type's
Python wrapper — cost more than SQLite itself did. Here each statement is compiled once
per dialect, its values converted by ``isoformat`` where that writes the same text, and
the parameters handed straight to the DB-API driver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, CursorResult, Date, Dialect, Float, TextClause
from sqlalchemy.types import TypeEngine
from sqlmodel.sql.sqltypes import UTCDateTime

Processor = Callable[[Any], Any]


def bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    """The type's own bind processor, or on SQLite an equivalent faster one (REAL affinity
    stores a number as SQLite's own float, so floats need no conversion at all)."""
    standard = type_.dialect_impl(dialect).bind_processor(dialect)
    if dialect.name != "sqlite" or standard is None:
        return standard
    if isinstance(type_, Float):
        return None
    if isinstance(type_, UTCDateTime):
        return _sqlite_datetime(standard)
    if isinstance(type_, Date):
        return _sqlite_date(standard)
    return standard


def _sqlite_datetime(standard: Processor) -> Processor:
    # A batch's rows share some datetime objects (every event's received_at): the last
    # one converted is remembered, as one tuple so that threads never see half an update.
    last: list[tuple[Any, str]] = [(object(), "")]

    def process(value: Any) -> Any:
        remembered = last[0]
        if value is remembered[0]:
            return remembered[1]
        offset = value.utcoffset() if type(value) is datetime else None
        if offset is None:
            return standard(value)  # naive or odd input: the standard way, and its error
        # "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, as SQLAlchemy's storage format writes it;
        # the slice drops the offset, so a time already in UTC (nearly all) is not converted.
        text = (value.astimezone(UTC) if offset else value).isoformat(" ", "microseconds")[:26]
        last[0] = (value, text)
        return text

    return process


def _sqlite_date(standard: Processor) -> Processor:
    def process(value: Any) -> Any:
        return value.isoformat() if type(value) is date else standard(value)

    return process


def run_text(
    connection: Connection, clause: TextClause, params: Mapping[str, Any]
) -> CursorResult[Any]:
    """Execute ``clause`` (a cached ``text()`` with typed bind parameters) with ``params``;
    rows come back as the driver returns them, without result type processing."""
    sql, names, processors, positional = _compiled_text(connection.dialect, clause)
    values = [
        params[name] if process is None or params[name] is None else process(params[name])
        for name, process in zip(names, processors, strict=True)
    ]
    driver_params: Any = tuple(values) if positional else dict(zip(names, values, strict=True))
    return connection.exec_driver_sql(sql, driver_params)


@lru_cache(maxsize=64)
def _compiled_text(
    dialect: Dialect, clause: TextClause
) -> tuple[str, tuple[str, ...], tuple[Processor | None, ...], bool]:
    compiled = clause.compile(dialect=dialect)
    names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    processors = tuple(bind_processor(compiled.binds[name].type, dialect) for name in names)
    return compiled.string, names, processors, bool(compiled.positional)


@lru_cache(maxsize=16)
def result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor:
    """Turns a value as the driver returns it into the value SQLAlchemy would have."""
    process = type_.dialect_impl(dialect).result_processor(dialect, None)
    return process or (lambda value: value)
