"""Refreshing a snapshot: rewrite the partitions whose facts changed since the last refresh.

Per centre, the refresh first reads the newest ``event.received_at`` (its new watermark),
then finds the changed partitions from the events received after the previous watermark
(see :mod:`.changes`; the window starts :data:`LAG` earlier so that an ingest transaction
still open at the last refresh, whose events carry an older ``received_at``, is not
missed), rewrites them from the store, and saves the watermark. A centre without new
events costs two small queries. The first refresh, ``full=True``, a lost snapshot folder
or changed fact columns rewrite every partition of the centre.

Refreshes of one folder take turns on a lock file beside it (across threads and processes;
an older view's partitions must never land after a newer refresh's), and read the store in
a read transaction: on SQLite a refresh never holds the write lock while it writes Parquet,
so ingest goes on meanwhile. Only saving the watermark writes.

Facts changed without new events are not seen: after ``callkpi rebuild`` or a change of
a centre's time zone, refresh with ``full=True`` (``callkpi snapshot --full``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock
from sqlalchemy import Connection, Table

from ..projector.open_episodes import refresh_open_time
from ..store.centres import CentreConfig, load_centres
from . import watermark
from .changes import CONTACTS, EVERY_MONTH, LEGS, Dirty, changed_partitions, touched_contacts
from .export import export_partition, export_whole, months_in_store
from .layout import snapshot_tables, stored_partitions
from .reader import SnapshotReader
from .watermark import Watermark

LAG = timedelta(minutes=5)


@dataclass(frozen=True)
class RefreshSummary:
    """What a refresh did: the centres it rewrote partitions of, how many, and their rows."""

    directory: Path
    centres: tuple[str, ...]
    partitions: int
    rows: int


@dataclass(frozen=True)
class _Job:
    directory: Path
    tables: list[Table]
    fingerprint: str
    full: bool
    lag: timedelta


def refresh(
    store: Any,
    directory: Path,
    *,
    centre: str | None = None,
    full: bool = False,
    lag: timedelta = LAG,
) -> RefreshSummary:
    """Bring the snapshot in ``directory`` up to date with ``store`` (one centre, or all).

    ``lag``: how far before the last watermark to look again for events received late.
    """
    # the open agent episodes counted up to the data end first, so the snapshot holds them
    refresh_open_time(store, centre)
    tables, whole_tables = snapshot_tables()
    job = _Job(directory, tables, watermark.schema_fingerprint(tables + whole_tables), full, lag)
    with refresh_lock(directory):
        return _refresh(store, job, whole_tables, centre)


def refresh_lock(directory: Path) -> FileLock:
    """The lock refreshes of ``directory`` take turns on: a file beside the folder, never in
    it (a missing folder is how a lost snapshot is noticed)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(directory.parent / f".{directory.name}.refresh.lock")


def _refresh(store: Any, job: _Job, whole_tables: list[Table], centre: str | None) -> RefreshSummary:
    directory = job.directory
    with store.reading() as connection:
        centres = _selected(load_centres(connection), centre)
    refreshed, partitions, rows = [], 0, 0
    for config in centres:
        done = _refresh_centre(store, job, config)
        if done is not None:
            refreshed.append(config.name)
            partitions, rows = partitions + done[0], rows + done[1]
    with store.reading() as connection:
        for table in whole_tables:
            if refreshed or not (directory / table.name).is_dir():
                export_whole(connection, directory, table)
    return RefreshSummary(directory, tuple(refreshed), partitions, rows)


def _selected(centres: dict[str, CentreConfig], name: str | None) -> list[CentreConfig]:
    if name is None:
        return list(centres.values())
    if name not in centres:
        known = ", ".join(sorted(centres))
        raise ValueError(f"centre = {name!r}: no such centre; expected one of {known}")
    return [centres[name]]


def _refresh_centre(store: Any, job: _Job, centre: CentreConfig) -> tuple[int, int] | None:
    with store.reading() as connection:
        mark = watermark.load(connection, job.directory, centre.name)
        through = watermark.latest_received(connection, centre.name)
        whole = job.full or mark is None or mark.schema != job.fingerprint
        if not whole and job.directory.is_dir() and mark.through == through:
            return None
        dirty = _dirty(connection, job, centre, None if whole else mark)
        written = _rewrite(connection, job.directory, centre.name, job.tables, dirty)
    with store.transaction() as connection:
        watermark.save(connection, job.directory, centre.name, Watermark(through, job.fingerprint))
    return written


def _dirty(
    connection: Connection, job: _Job, centre: CentreConfig, mark: Watermark | None
) -> Dirty:
    names = [table.name for table in job.tables]
    if mark is None or not job.directory.is_dir():
        return dict.fromkeys(names, EVERY_MONTH)
    since = mark.through - job.lag if mark.through is not None else None
    dirty = changed_partitions(connection, centre, since, names)
    for table in (CONTACTS, LEGS):
        if dirty.get(table.name) is not None:
            dirty[table.name] |= _old_contact_months(connection, job.directory, table, centre.name, since)
    return dirty


def _old_contact_months(
    connection: Connection, directory: Path, table: Table, centre: str, since: Any
) -> set[date]:
    """The months the snapshot had the touched contacts (or their legs) in: a late early event
    can move one."""
    contacts = touched_contacts(connection, centre, since)
    if not contacts or not stored_partitions(directory, table.name, centre):
        return set()
    with SnapshotReader(directory, [table], []) as reader:
        return reader.months_holding(table.name, centre, "contactid", contacts)


def _rewrite(
    connection: Connection, directory: Path, centre: str, tables: list[Table], dirty: Dirty
) -> tuple[int, int]:
    partitions = rows = 0
    for table in tables:
        if table.name not in dirty:
            continue
        months = dirty[table.name]
        if months is EVERY_MONTH:
            months = months_in_store(connection, table, centre)
            months |= stored_partitions(directory, table.name, centre)
        for month in sorted(months):
            rows += export_partition(connection, directory, table, centre, month)
            partitions += 1
    return partitions, rows
