"""Ingest: validate, hash customer ids, append idempotently, quarantine the rest, project.

One transaction per batch: events, quarantine rows and the facts they change commit
together, so a crash mid-batch loses nothing and a re-run duplicates nothing.

Speed (see ``bench/ingest.py``): each event is validated once, dumped once to the body
dict the projector reads, serialised once; its row is built in one dict. The stored event
handed to ``callkpi_event_recorded`` is derived from the validated one, not re-validated.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, insert

from ..connectors import RawEvent
from ..events import Envelope, EventValidator, InvalidEvent
from ..events.contact import is_withheld
from ..plugins import CallkpiPluginManager
from ..projector import project
from ..projector.gc_pause import cyclic_gc_paused
from .centres import CentreConfig, load_centres
from .completions import announce_completed_contacts
from .event_rows import insert_new, stored_hashes
from .privacy import CustomerHasher
from .recorded import announce_recorded
from .sealing import Seal
from .tables import QuarantinedInput, StoredEvent

Status = Literal["accepted", "duplicate", "quarantined", "rejected"]
EVENT_TABLE = StoredEvent.__table__
QUARANTINE_TABLE = QuarantinedInput.__table__
QUARANTINE_SEAL = "quarantine"


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """What became of one input: stored, a duplicate, quarantined (with why), or rejected
    outright (not the caller's to write, so not kept)."""

    status: Status
    event_id: str | None = None
    reasons: tuple[str, ...] = ()
    quarantine_id: int | None = None


@dataclass
class IngestSummary:
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    rejected: int = 0
    by_type: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.accepted + self.duplicates + self.quarantined + self.rejected


_SUMMARY_FIELD = {
    "accepted": "accepted",
    "duplicate": "duplicates",
    "quarantined": "quarantined",
    "rejected": "rejected",
}


@dataclass(slots=True)
class PreparedInput:
    """One input on its way through a batch: the raw input, the validated event and its
    stored row when valid, or the reasons it cannot be stored."""

    raw: RawEvent
    event: Envelope | None = None
    body: dict[str, Any] | None = None
    row: dict[str, Any] | None = None
    customer: str | None = None
    reasons: list[str] = field(default_factory=list)
    rejected: bool = False


class Ingestor:
    """Turns raw events into stored events and facts. ``allowed_centre``, when set, refuses
    (without keeping) events of any other centre: an API key's centre binding."""

    def __init__(
        self,
        store: Any,
        pm: CallkpiPluginManager,
        hasher: CustomerHasher,
        *,
        allowed_centre: str | None = None,
    ):
        self.store = store
        self.pm = pm
        self.hasher = hasher
        self.quarantine_seal = hasher.seal(QUARANTINE_SEAL)
        self.allowed_centre = allowed_centre
        self.validator: EventValidator = pm.catalog.event_types.validator
        self._centres: dict[str, CentreConfig] = {}

    def ingest(
        self,
        raw_events: Iterable[RawEvent],
        batch_size: int = 10_000,
        progress: Callable[[int], None] | None = None,
    ) -> IngestSummary:
        """Ingest a stream in batches of ``batch_size``; returns the totals."""
        summary = IngestSummary()
        for batch in _batches(raw_events, batch_size):
            # Resume the collector only once the batch's objects are gone: it then has
            # next to nothing to traverse.
            with cyclic_gc_paused():
                _tally(summary, self._ingest(batch))
            if progress:
                progress(len(batch))
        return summary

    def ingest_batch(self, batch: Sequence[RawEvent]) -> list[EventOutcome]:
        """Ingest one batch in one transaction; one outcome per input, in order."""
        return [outcome for _, outcome in self._ingest(batch)]

    def _ingest(self, batch: Sequence[RawEvent]) -> list[tuple[PreparedInput, EventOutcome]]:
        with cyclic_gc_paused(), self.store.transaction() as connection:
            if not self._centres:
                self._centres = load_centres(connection)
            now = datetime.now(UTC)
            prepared = [self._prepare(raw, connection, now) for raw in batch]
            outcomes = self._store(connection, prepared, now)
        self._announce(prepared, outcomes)
        return list(zip(prepared, outcomes, strict=True))

    def _prepare(self, raw: RawEvent, connection: Connection, now: datetime) -> PreparedInput:
        item = PreparedInput(raw)
        if raw.error is not None:  # the connector could not map this input: keep it, with why
            item.reasons = [raw.error]
            return item
        try:
            item.event = event = self.validator.validate(raw.payload)
        except InvalidEvent as exc:
            item.reasons = exc.reasons
            return item
        if self.allowed_centre and event.centre != self.allowed_centre:
            item.reasons = [
                f"centre = {event.centre!r}: this API key may only write events of centre "
                f"{self.allowed_centre!r}"
            ]
            item.rejected = True
            return item
        centre = self._centre(event.centre, connection)
        if centre is None:
            item.reasons = [
                f"centre = {event.centre!r}: no such centre; expected a configured centre "
                f"(add it with `callkpi centre add {event.centre} --timezone Area/City`, "
                "then replay)"
            ]
            return item
        item.body = body = event.model_dump(mode="json", exclude_none=True)
        if raw.sequence is not None and "sequence" not in body:
            body["sequence"] = raw.sequence  # the reader's place in its source (RawEvent)
        item.customer = self._hash_customer(body, centre)
        serialised = orjson.dumps(body)
        item.row = {
            "id": event.id,
            "type": event.type,
            "source": event.source,
            "time": event.time,
            "time_json": body["time"],  # the SQLite insert writes its text from it
            "centre": event.centre,
            "contactid": event.contactid,
            "agentid": event.agentid,
            "queue": event.queue,
            "channel": event.channel,
            "body": serialised.decode(),
            "content_hash": _content_hash(body, serialised),
            "received_at": now,
        }
        return item

    def _centre(self, name: str, connection: Connection) -> CentreConfig | None:
        if name not in self._centres:
            self._centres = load_centres(connection)
        return self._centres.get(name)

    def _hash_customer(self, body: dict[str, Any], centre: CentreConfig) -> str | None:
        data = body.get("data", {})
        customer = data.pop("customer", None)
        # a plugin's own event types may carry a customer without CustomerFields' check
        if customer is not None and not is_withheld(customer):
            data["customer_hmac"] = self.hasher.hash(customer, centre.settings.phone_region)
        return customer

    def _store(
        self, connection: Connection, prepared: list[PreparedInput], now: datetime
    ) -> list[EventOutcome]:
        ids = [p.row["id"] for p in prepared if p.row]
        known = stored_hashes(connection, ids)
        outcomes: list[EventOutcome | None] = []
        new_items = []
        for item in prepared:
            outcome = self._classify(item, known)
            if outcome is None:  # new: store it and remember it for in-batch duplicates
                known[item.row["id"]] = (item.row["content_hash"], now)
                new_items.append(item)
                outcome = EventOutcome("accepted", item.row["id"])
            outcomes.append(outcome)
        if new_items:
            stored = insert_new(connection, [item.row for item in new_items])
            if len(stored) < len(new_items):
                self._reclassify_lost_races(connection, prepared, outcomes, stored)
                new_items = [item for item in new_items if item.row["id"] in stored]
            contact_facts = project(connection, [item.body for item in new_items], self._centres)
            announce_completed_contacts(
                connection,
                self.pm,
                ((item.body, item.customer) for item in new_items),
                contact_facts,
            )
        return self.keep_quarantined(connection, prepared, outcomes, now)

    def _reclassify_lost_races(
        self,
        connection: Connection,
        prepared: list[PreparedInput],
        outcomes: list[EventOutcome],
        stored: set[str],
    ) -> None:
        """Another writer stored some of these ids between our look-up and our insert:
        they are duplicates or conflicts after all, decided against what it stored."""
        lost = {
            p.row["id"]
            for p, o in zip(prepared, outcomes, strict=True)
            if o.status == "accepted" and p.row["id"] not in stored
        }
        known = stored_hashes(connection, sorted(lost))
        for index, item in enumerate(prepared):
            if outcomes[index].status == "accepted" and item.row["id"] in lost:
                outcomes[index] = self._classify(item, known)

    @staticmethod
    def _classify(
        item: PreparedInput, known: dict[str, tuple[str, datetime]]
    ) -> EventOutcome | None:
        if item.rejected:
            return EventOutcome("rejected", reasons=tuple(item.reasons))
        if item.row is None:
            return EventOutcome("quarantined", reasons=tuple(item.reasons))
        stored = known.get(item.row["id"])
        if stored is None:
            return None
        if stored[0] == item.row["content_hash"]:
            return EventOutcome("duplicate", item.row["id"])
        item.reasons = [
            f"id = {item.row['id']!r}: an event with this id but different content was stored at "
            f"{stored[1]:%Y-%m-%d %H:%M:%S} UTC; expected the same content when re-sending, "
            "or a new id"
        ]
        return EventOutcome("quarantined", item.row["id"], tuple(item.reasons))

    def keep_quarantined(
        self,
        connection: Connection,
        prepared: list[PreparedInput],
        outcomes: list[EventOutcome],
        now: datetime,
    ) -> list[EventOutcome]:
        """Write a quarantine row for every quarantined input, inside the batch's transaction.
        Subclasses override this to treat rejects differently (quarantine replay updates the
        row it replays instead of adding one)."""
        result = []
        for item, outcome in zip(prepared, outcomes, strict=True):
            if outcome.status == "quarantined":
                row = quarantine_row(item.raw, item.reasons, now, item.event, self.quarantine_seal)
                qid = connection.execute(
                    insert(QUARANTINE_TABLE).values(**row)
                ).inserted_primary_key[0]
                outcome = EventOutcome(
                    "quarantined", outcome.event_id or row["event_id"], outcome.reasons, qid
                )
            result.append(outcome)
        return result

    def _announce(self, prepared: list[PreparedInput], outcomes: list[EventOutcome]) -> None:
        hook = self.pm.hook.callkpi_event_recorded
        if not hook.get_hookimpls():
            return
        accepted = (
            item for item, outcome in zip(prepared, outcomes, strict=True)
            if outcome.status == "accepted"
        )
        announce_recorded(
            hook,
            (
                (_as_stored(item.event, item.body) if item.customer is not None else item.event,
                 item.customer)
                for item in accepted
            ),
        )


def _tally(summary: IngestSummary, results: list[tuple[PreparedInput, EventOutcome]]) -> None:
    statuses = Counter(outcome.status for _, outcome in results)
    for status, count in statuses.items():
        name = _SUMMARY_FIELD[status]
        setattr(summary, name, getattr(summary, name) + count)
    summary.by_type.update(
        prepared.event.type for prepared, outcome in results if outcome.status == "accepted"
    )


def _as_stored(event: Envelope, body: dict[str, Any]) -> Envelope:
    """The event as stored: its customer replaced by the HMAC ingest put in ``body``.
    Equal to validating ``body`` again, at a fraction of the cost."""
    hashed = {"customer": None, "customer_hmac": body["data"]["customer_hmac"]}
    data = event.data.model_copy(update=hashed)
    return event.model_copy(update={"data": data})


def _content_hash(body: dict[str, Any], serialised: bytes) -> str:
    """What says whether a re-sent id is the same event: its body without ``sequence``. The
    sequence is where the event sat in one input (a line's offset), so the same line in a
    copied or concatenated file — or an at-least-once redelivery — is a duplicate, not a
    conflict; the stored sequence is the first one received. Without a sequence, the hash is
    the body's, as it always was."""
    if "sequence" not in body:
        return hashlib.sha256(serialised).hexdigest()
    return hashlib.sha256(orjson.dumps({k: v for k, v in body.items() if k != "sequence"})).hexdigest()


def quarantine_row(
    raw: RawEvent, reasons: Sequence[str], now: datetime, event: Envelope | None, seal: Seal
) -> dict[str, Any]:
    """The quarantine row of ``raw``: payload and reasons sealed (they may hold a caller's
    number), its id and centre in clear to find it by."""
    payload = raw.payload
    raw_text = (
        payload.decode("utf-8", "replace")
        if isinstance(payload, bytes)
        else (payload if isinstance(payload, str) else orjson.dumps(payload).decode())
    )
    event_id, centre = (event.id, event.centre) if event else _peek_identity(payload)
    return {
        "received_at": now,
        "origin": raw.origin[:500],
        "raw": seal.seal(raw_text),
        "reasons": seal.seal(orjson.dumps(list(reasons)).decode()),
        "event_id": event_id,
        "centre": centre,
        "status": "open",
    }


def _peek_identity(payload: bytes | str | dict[str, Any]) -> tuple[str | None, str | None]:
    """Best effort: the id and centre of input too broken to validate, for finding it later."""
    try:
        data = payload if isinstance(payload, dict) else orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    event_id, centre = data.get("id"), data.get("centre")
    return (
        str(event_id)[:200] if event_id is not None else None,
        str(centre)[:64] if centre is not None else None,
    )


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
