"""Working through quarantine: list, show, replay (fixed or as stored) and discard.

Payloads and reasons are stored sealed (:mod:`callkpi.store.sealing`): reading a row takes
the ingest side's seal. Nothing here deletes a row. A replay that succeeds marks its row
``replayed``; one that fails again puts the new reasons on the same row, so one bad input
stays one row however often it is retried.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, select, update

from ..connectors import RawEvent
from .ingest import EventOutcome, Ingestor, PreparedInput
from .sealing import Seal, is_sealed
from .tables import QuarantinedInput

QUARANTINE_TABLE = QuarantinedInput.__table__
RowStatus = Literal["open", "replayed", "discarded"]
STATUSES: tuple[str, ...] = ("open", "replayed", "discarded")


class QuarantineError(ValueError):
    """A quarantine row cannot be found or is not in a state that allows the action."""


@dataclass(frozen=True)
class QuarantinedRow:
    """One quarantined input with every reason, as stored."""

    id: int
    received_at: datetime
    origin: str
    raw: str
    reasons: tuple[str, ...]
    event_id: str | None
    centre: str | None
    status: str
    resolved_at: datetime | None


def list_quarantined(
    connection: Connection, seal: Seal, status: str = "open", centre: str | None = None
) -> list[QuarantinedRow]:
    """Rows with ``status`` (or every row for ``"all"``), optionally of one centre, oldest first."""
    if status != "all" and status not in STATUSES:
        raise QuarantineError(
            f"status = {status!r}: expected one of {', '.join((*STATUSES, 'all'))}"
        )
    query = select(QUARANTINE_TABLE).order_by(QUARANTINE_TABLE.c.id)
    if status != "all":
        query = query.where(QUARANTINE_TABLE.c.status == status)
    if centre is not None:
        query = query.where(QUARANTINE_TABLE.c.centre == centre)
    return [_row(row, seal) for row in connection.execute(query)]


def get_quarantined(connection: Connection, seal: Seal, row_id: int) -> QuarantinedRow:
    row = connection.execute(
        select(QUARANTINE_TABLE).where(QUARANTINE_TABLE.c.id == row_id)
    ).first()
    if row is None:
        raise QuarantineError(
            f"id = {row_id}: no quarantined input has this id; expected one shown by "
            "`callkpi quarantine list --status all`"
        )
    return _row(row, seal)


def open_ids(connection: Connection) -> list[int]:
    query = (
        select(QUARANTINE_TABLE.c.id)
        .where(QUARANTINE_TABLE.c.status == "open")
        .order_by(QUARANTINE_TABLE.c.id)
    )
    return list(connection.execute(query).scalars())


def discard(connection: Connection, seal: Seal, row_id: int) -> QuarantinedRow:
    """Mark an open row ``discarded``: kept for the record, never replayed by ``--all``."""
    row = _open_row(connection, seal, row_id)
    _resolve(connection, row_id, "discarded")
    return row


def replay(ingestor: Ingestor, row_id: int, payload: str | None = None) -> EventOutcome:
    """Re-ingest an open row's raw input (or ``payload``, a fixed version of it) through the real
    ingest path, in one transaction with the row's new status or reasons."""
    with ingestor.store.transaction() as connection:
        row = _open_row(connection, ingestor.quarantine_seal, row_id)
    replayer = _RowReplayer(ingestor, row_id)
    raw = RawEvent(
        row.raw if payload is None else payload, f"{row.origin} (replay of quarantine {row_id})"
    )
    (outcome,) = replayer.ingest_batch([raw])
    return outcome


class _RowReplayer(Ingestor):
    """An Ingestor whose one input is quarantine row ``row_id``: instead of quarantining a new
    row it resolves or updates that row, inside the ingest transaction."""

    def __init__(self, ingestor: Ingestor, row_id: int):
        super().__init__(
            ingestor.store, ingestor.pm, ingestor.hasher, allowed_centre=ingestor.allowed_centre
        )
        self.row_id = row_id

    def keep_quarantined(
        self,
        connection: Connection,
        prepared: list[PreparedInput],
        outcomes: list[EventOutcome],
        now: datetime,
    ) -> list[EventOutcome]:
        (outcome,) = outcomes
        if outcome.status in ("accepted", "duplicate"):
            _resolve(connection, self.row_id, "replayed", now)
            return outcomes
        reasons = json.dumps(list(outcome.reasons))
        connection.execute(
            update(QUARANTINE_TABLE)
            .where(QUARANTINE_TABLE.c.id == self.row_id)
            .values(reasons=self.quarantine_seal.seal(reasons))
        )
        return [EventOutcome(outcome.status, outcome.event_id, outcome.reasons, self.row_id)]


def _open_row(connection: Connection, seal: Seal, row_id: int) -> QuarantinedRow:
    row = get_quarantined(connection, seal, row_id)
    if row.status != "open":
        when = f" at {row.resolved_at:%Y-%m-%d %H:%M} UTC" if row.resolved_at else ""
        raise QuarantineError(
            f"id = {row_id}: this input was already {row.status}{when}; expected an open one"
        )
    return row


def _resolve(
    connection: Connection, row_id: int, status: RowStatus, now: datetime | None = None
) -> None:
    values: dict[str, Any] = {"status": status, "resolved_at": now or datetime.now(UTC)}
    connection.execute(
        update(QUARANTINE_TABLE).where(QUARANTINE_TABLE.c.id == row_id).values(**values)
    )


def seal_clear_rows(connection: Connection, seal: Seal) -> int:
    """Seal the payload and reasons of rows stored before sealing existed; how many it sealed."""
    table = QUARANTINE_TABLE
    clear = [row for row in connection.execute(select(table.c.id, table.c.raw, table.c.reasons))
             if not (is_sealed(row.raw) and is_sealed(row.reasons))]
    for row in clear:
        sealed = {name: value if is_sealed(value) else seal.seal(value)
                  for name, value in (("raw", row.raw), ("reasons", row.reasons))}
        connection.execute(update(table).where(table.c.id == row.id).values(**sealed))
    return len(clear)


def _row(row: Any, seal: Seal) -> QuarantinedRow:
    return QuarantinedRow(
        row.id,
        row.received_at,
        row.origin,
        seal.open(row.raw),
        tuple(json.loads(seal.open(row.reasons))),
        row.event_id,
        row.centre,
        row.status,
        row.resolved_at,
    )
