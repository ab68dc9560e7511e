"""Where a connector stopped, kept in the store, and the sync loop that uses it.

A run continues from the checkpoint, hands events to the real :class:`Ingestor` batch by
batch and saves the checkpoint after each batch commits. The checkpoint is saved after
the events, not with them: a crash in between replays one batch, and because event ids
are stable the replay only counts duplicates, it never stores anything twice.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from sqlalchemy import insert, select, update

from .connectors import Connector, ConnectorRun, Idle, RawEvent
from .store.ingest import Ingestor, IngestSummary
from .store.tables import Checkpoint

CHECKPOINT_TABLE = Checkpoint.__table__
# Enough bytes to tell one log file from its successor (rotation) without reading much.
HEAD_BYTES = 4096


class CheckpointStore:
    """Checkpoints by connector id and source, as JSON in the store's ``checkpoint`` table."""

    def __init__(self, store: Any):
        self.store = store

    def load(self, connector: str, source: str) -> dict[str, Any] | None:
        query = select(CHECKPOINT_TABLE.c.value).where(
            CHECKPOINT_TABLE.c.connector == connector, CHECKPOINT_TABLE.c.source == source
        )
        with self.store.transaction() as connection:
            value = connection.execute(query).scalar()
        return orjson.loads(value) if value is not None else None

    def save(self, connector: str, source: str, value: dict[str, Any]) -> None:
        row = {"value": orjson.dumps(value).decode(), "updated_at": datetime.now(UTC)}
        key = (CHECKPOINT_TABLE.c.connector == connector, CHECKPOINT_TABLE.c.source == source)
        with self.store.transaction() as connection:
            changed = connection.execute(
                update(CHECKPOINT_TABLE).where(*key).values(**row)
            ).rowcount
            if not changed:
                connection.execute(
                    insert(CHECKPOINT_TABLE).values(connector=connector, source=source, **row)
                )


@dataclass(frozen=True)
class FilePosition:
    """A byte offset in a file plus the file's identity (a hash of its first bytes), so a
    rotated or truncated file is noticed and read from the start instead of mid-way."""

    offset: int
    head_sha256: str
    head_len: int

    def to_json(self) -> dict[str, Any]:
        return {"offset": self.offset, "head_sha256": self.head_sha256, "head_len": self.head_len}


def file_head(handle: BinaryIO, length: int = HEAD_BYTES) -> tuple[str, int]:
    """The SHA-256 and length of the first ``length`` bytes of an open binary file."""
    handle.seek(0)
    head = handle.read(length)
    return hashlib.sha256(head).hexdigest(), len(head)


def resume_offset(
    handle: BinaryIO, size: int, saved: dict[str, Any] | None
) -> tuple[int, str | None]:
    """Where to continue reading ``handle`` given the saved position, and why not where it
    left off (``None`` when resuming as saved or starting fresh)."""
    if not saved:
        return 0, None
    if size < saved["offset"]:
        return 0, "file is shorter than at the last run (truncated): read from the start"
    head, _ = file_head(handle, saved["head_len"])
    if head != saved["head_sha256"]:
        return 0, "file starts differently than at the last run (rotated): read from the start"
    return saved["offset"], None


def position_of(handle: BinaryIO, offset: int) -> FilePosition:
    """The position ``offset`` in ``handle``'s file, with the file's current identity."""
    here = handle.tell()
    head, length = file_head(handle)
    handle.seek(here)
    return FilePosition(offset, head, length)


@dataclass
class SyncResult:
    """What one sync did: the ingest totals, the connector's notes and where it stopped."""

    ingest: IngestSummary = field(default_factory=IngestSummary)
    notes: Counter[str] = field(default_factory=Counter)
    checkpoint: dict[str, Any] | None = None


def sync_source(
    connector: Connector,
    source: str,
    config: dict[str, Any],
    ingestor: Ingestor,
    *,
    follow: bool = False,
    stop: Callable[[], bool] = lambda: False,
    batch_size: int = 2000,
    poll_interval_s: float = 1.0,
) -> SyncResult:
    """Read ``source`` with ``connector`` into the store, continuing from its checkpoint."""
    checkpoints = CheckpointStore(ingestor.store)
    key = source_key(source)
    saved = checkpoints.load(connector.id, key) if connector.resumable else None
    run = ConnectorRun(key, saved, follow=follow, stop=stop, poll_interval_s=poll_interval_s)
    result = SyncResult(notes=run.notes)
    last_saved = orjson.dumps(saved)
    for batch in _batches_until_idle(connector.events(source, config, run), batch_size):
        if batch:
            _add(result.ingest, ingestor.ingest(batch, batch_size=len(batch)))
        # Compared as JSON because a reader may update its checkpoint in place.
        current = orjson.dumps(run.checkpoint)
        if connector.resumable and run.checkpoint is not None and current != last_saved:
            checkpoints.save(connector.id, key, run.checkpoint)
            last_saved = current
    result.checkpoint = run.checkpoint
    return result


def source_key(source: str) -> str:
    """How a source is named in the checkpoint table: an absolute path for files."""
    if source == "-" or "://" in source:
        return source[:500]
    return str(Path(source).resolve())[:500]


def _batches_until_idle(events: Iterable[RawEvent | Idle], size: int) -> Iterator[list[RawEvent]]:
    """Batches of at most ``size``; an :data:`IDLE` from the reader ends a batch early."""
    batch: list[RawEvent] = []
    for item in events:
        if isinstance(item, Idle):
            yield batch
            batch = []
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    yield batch


def _add(total: IngestSummary, part: IngestSummary) -> None:
    total.accepted += part.accepted
    total.duplicates += part.duplicates
    total.quarantined += part.quarantined
    total.rejected += part.rejected
    total.by_type.update(part.by_type)
