"""The event table's rows: which ids are stored (with their content hash), and appending
the new ones, each the fastest way its dialect allows."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, TextClause, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert

from ..projector.driver import bind_processor, result_processor, run_text
from ..projector.upsert import chunks
from .tables import StoredEvent

EVENT_TABLE = StoredEvent.__table__


def insert_new(connection: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert rows whose id is not stored yet; return the ids actually inserted.

    On SQLite the batch holds the write lock since BEGIN, so the look-up before this insert
    is authoritative and the fast executemany path is safe. PostgreSQL writers run
    concurrently: RETURNING tells which rows another writer stored first."""
    if connection.dialect.name != "postgresql":
        _append_on_sqlite(connection, rows)
        return {row["id"] for row in rows}
    # One array per column, unnested by the server: one short statement per batch, where a
    # VALUES list of thousands of rows cost more in psycopg's query parsing than the insert.
    names = [column.name for column in EVENT_TABLE.columns]
    arrays = [
        literal([row[column.name] for row in rows], ARRAY(column.type))
        for column in EVENT_TABLE.columns
    ]
    source = func.unnest(*arrays).table_valued(*names).render_derived()
    statement = (
        postgresql_insert(EVENT_TABLE)
        .from_select(names, select(*source.c))
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return set(connection.execute(statement.returning(EVENT_TABLE.c.id)).scalars())


def _append_on_sqlite(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """One executemany of plain tuples: the two times are the only values needing
    conversion, so the generic row-to-parameters step (a third of this insert) is skipped.
    Each time column has its own converter, which remembers the batch's shared arrival."""
    stamp_time, stamp_received = (
        bind_processor(EVENT_TABLE.c[name].type, connection.dialect) or _as_is
        for name in ("time", "received_at")
    )
    params = [
        (
            row["id"], row["type"], row["source"],
            _utc_text(row["time_json"]) or stamp_time(row["time"]), row["centre"],
            row["contactid"], row["agentid"], row["queue"], row["channel"], row["body"],
            row["content_hash"], stamp_received(row["received_at"]),
        )
        for row in rows
    ]
    connection.exec_driver_sql(_SQLITE_APPEND, params)


def _utc_text(json_time: str) -> str | None:
    """SQLite's stored text of a time in UTC, cut from its JSON form (pydantic writes a zero
    offset as ``Z``, with six fraction digits or none), or None for any other form. Five
    times cheaper than converting the datetime, which cost about 3 % of ingest."""
    if json_time[-1:] != "Z":
        return None
    if len(json_time) == 20:  # YYYY-MM-DDTHH:MM:SSZ
        return f"{json_time[:10]} {json_time[11:19]}.000000"
    if len(json_time) == 27:  # YYYY-MM-DDTHH:MM:SS.ffffffZ
        return f"{json_time[:10]} {json_time[11:26]}"
    return None


def _as_is(value: Any) -> Any:
    return value


# The columns as the parameter tuples above list them; a test holds them to the table's.
SQLITE_COLUMNS = (
    "id", "type", "source", "time", "centre", "contactid", "agentid", "queue", "channel",
    "body", "content_hash", "received_at",
)
_SQLITE_APPEND = (
    f"INSERT INTO event ({', '.join(SQLITE_COLUMNS)}) VALUES ({', '.join('?' * len(SQLITE_COLUMNS))}) "
    "ON CONFLICT (id) DO NOTHING"
)


def stored_hashes(connection: Connection, ids: list[str]) -> dict[str, tuple[str, datetime]]:
    found: dict[str, tuple[str, datetime]] = {}
    if connection.dialect.name != "postgresql":
        as_time = result_processor(EVENT_TABLE.c.received_at.type, connection.dialect)
        for chunk in chunks(ids):
            rows = run_text(connection, _sqlite_hashes_sql(_padded(len(chunk))), _padded_ids(chunk))
            found.update({event_id: (digest, as_time(received)) for event_id, digest, received in rows})
        return found
    for chunk in chunks(ids):
        rows = connection.execute(_postgresql_hashes_of(chunk))
        found.update({row.id: (row.content_hash, row.received_at) for row in rows})
    return found


def _padded(count: int) -> int:
    """The next power of two: look-ups come in a few sizes, so their SQL stays compiled."""
    return 1 << (count - 1).bit_length()


def _padded_ids(ids: list[str]) -> dict[str, str]:
    # Repeating an id pads the IN list without changing what it matches.
    padding = [ids[0]] * (_padded(len(ids)) - len(ids))
    return {f"i{index}": event_id for index, event_id in enumerate([*ids, *padding])}


@lru_cache(maxsize=16)
def _sqlite_hashes_sql(count: int) -> TextClause:
    """The stored hash and arrival of ``count`` ids, as driver-level SQL: SQLAlchemy's
    expansion of a 500-value IN list per look-up cost more than SQLite's index look-ups."""
    wanted = ", ".join(f":i{index}" for index in range(count))
    return text(f"SELECT id, content_hash, received_at FROM event WHERE id IN ({wanted})")


def _postgresql_hashes_of(ids: list[str]) -> Select[Any]:
    """The stored hash and arrival of each of ``ids``.

    The ids are one array parameter joined through ``unnest``: psycopg prepares a
    statement it sees repeatedly, and neither generic plan of the obvious forms uses the
    primary key on a table without statistics yet — ``id IN (500 placeholders)`` and
    ``id = ANY(array)`` both scan the table comparing every row with every id (170 ms per
    look-up at 10k stored events). Joining the unnested array is planned as one index
    look-up per id whatever the statistics say."""
    columns = (EVENT_TABLE.c.id, EVENT_TABLE.c.content_hash, EVENT_TABLE.c.received_at)
    array = literal(ids, ARRAY(EVENT_TABLE.c.id.type))
    wanted = func.unnest(array).table_valued("id").render_derived()
    return select(*columns).join_from(wanted, EVENT_TABLE, EVENT_TABLE.c.id == wanted.c.id)
