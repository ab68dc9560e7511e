"""How far a snapshot has read each centre's events, kept in the store's ``checkpoint`` table.

One row per snapshot folder and centre (connector ``snapshot``, source ``<folder>|<centre>``)
holds the latest ``event.received_at`` the last refresh saw and a fingerprint of the fact
tables' columns: a migration that changes them makes the next refresh a full one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import Connection, Table, func, insert, select, update

from ..store.tables import Checkpoint, StoredEvent

CHECKPOINTS = Checkpoint.__table__
EVENTS = StoredEvent.__table__
CONNECTOR = "snapshot"


@dataclass(frozen=True)
class Watermark:
    """The newest ``received_at`` a refresh saw (``None``: the centre had no events yet)."""

    through: datetime | None
    schema: str


def schema_fingerprint(tables: list[Table]) -> str:
    """A short hash of the tables' names, columns and column types."""
    text = ";".join(
        f"{t.name}:" + ",".join(f"{c.name} {c.type!r}" for c in t.columns) for t in tables
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def latest_received(connection: Connection, centre: str) -> datetime | None:
    """When the centre's newest stored event was received."""
    query = select(func.max(EVENTS.c.received_at)).where(EVENTS.c.centre == centre)
    return connection.execute(query).scalar()


def load(connection: Connection, directory: Path, centre: str) -> Watermark | None:
    query = select(CHECKPOINTS.c.value).where(*_key(directory, centre))
    value = connection.execute(query).scalar()
    if value is None:
        return None
    saved = orjson.loads(value)
    through = datetime.fromisoformat(saved["through"]) if saved["through"] else None
    return Watermark(through, saved["schema"])


def save(connection: Connection, directory: Path, centre: str, mark: Watermark) -> None:
    through = mark.through.astimezone(UTC).isoformat() if mark.through else None
    row = {
        "value": orjson.dumps({"through": through, "schema": mark.schema}).decode(),
        "updated_at": datetime.now(UTC),
    }
    if not connection.execute(
        update(CHECKPOINTS).where(*_key(directory, centre)).values(**row)
    ).rowcount:
        connection.execute(
            insert(CHECKPOINTS).values(
                connector=CONNECTOR, source=_source(directory, centre), **row
            )
        )


def _key(directory: Path, centre: str) -> tuple:
    return (
        CHECKPOINTS.c.connector == CONNECTOR,
        CHECKPOINTS.c.source == _source(directory, centre),
    )


def _source(directory: Path, centre: str) -> str:
    return f"{directory.resolve()}|{centre}"
