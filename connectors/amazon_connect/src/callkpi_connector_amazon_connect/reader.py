"""Reading one Firehose file: contact records and agent events, in whatever mix it holds.

Every record is yielded as it is read, so memory stays flat however long the file is. Each
version of a contact record is its own event (id ``ContactId`` + ``LastUpdateTimestamp``,
``time`` that timestamp): the projector keeps the newest version of a contact, and an exact
repeat of a version is a duplicate at ingest. The agent mapper remembers one state per
agent. Anything that is neither, or cannot be mapped, is quarantined with its line and the
reason.

Each event's ``sequence`` is its record's place in the file (then its index among the
record's events): Firehose writes a stream's records in the order they arrived, so events at
the same millisecond fold in that order. It is the file's own order; two files start again
at 0, so a tie between files is not ordered by it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from callkpi.connectors import ConnectorRun, RawEvent, sequenced

from .agent_events import AgentEventMapper, is_agent_event
from .contact_records import BadRecord, ContactRecordMapper, is_contact_record
from .jsonstream import Record, read_chunks, records

NEITHER = (
    "expected an Amazon Connect contact record (with ContactId) or agent event "
    "(with EventType and AgentARN)"
)


def read(
    source: str, config: dict[str, Any], run: ConnectorRun | None = None
) -> Iterator[RawEvent]:
    """Yield the events of the Firehose file ``source`` (plain or gzip)."""
    path = Path(source)
    notes = run.notes if run is not None else Counter()
    contacts, agents = ContactRecordMapper(config), AgentEventMapper(config, notes)
    for place, record in enumerate(records(read_chunks(path))):
        origin = f"{path.name}:{record.position}"
        if record.error is not None:
            yield RawEvent(record.value, origin, f"line {record.line}: {record.error}")
        elif is_contact_record(record.value):
            yield _contact_event(contacts, record, origin, place)
        elif is_agent_event(record.value):
            yield from _agent_events(agents, record, origin, place)
        else:
            yield RawEvent(_payload(record.value), origin, f"line {record.line}: {NEITHER}")


def _payload(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"json": value}


def _contact_event(mapper: ContactRecordMapper, record: Record, origin: str, place: int) -> RawEvent:
    try:
        return RawEvent(sequenced([mapper.event(record.value)], place)[0], origin)
    except BadRecord as exc:
        return RawEvent(record.value, origin, f"line {record.line}: contact record: {exc}")


def _agent_events(
    mapper: AgentEventMapper, record: Record, origin: str, place: int
) -> Iterator[RawEvent]:
    try:
        events = mapper.events(record.value)
    except BadRecord as exc:
        yield RawEvent(record.value, origin, f"line {record.line}: agent event: {exc}")
        return
    for event in sequenced(events, place):
        yield RawEvent(event, origin)
