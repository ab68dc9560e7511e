"""Reading one Firehose file: contact records and agent events, in whatever mix it holds.

Contact records are deduplicated on ``ContactId`` within the file, keeping the version with
the highest ``LastUpdateTimestamp`` (older versions are counted in the notes); they are
yielded after the file is read, agent events as they come. Anything that is neither, or
cannot be mapped, is quarantined with its line and the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from callkpi.connectors import ConnectorRun, RawEvent

from .agent_events import AgentEventMapper, is_agent_event
from .contact_records import BadRecord, ContactRecordMapper, is_contact_record, version_key
from .jsonstream import Record, read_text, records

SUPERSEDED = "older versions of a contact record in the same file (superseded)"
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
    newest: dict[str, tuple[str, Record]] = {}
    agents = AgentEventMapper(config, notes)
    for record in records(read_text(path)):
        origin = f"{path.name}:{record.position}"
        if record.error is not None:
            yield RawEvent(record.value, origin, f"line {record.line}: {record.error}")
        elif is_contact_record(record.value):
            yield from _keep_newest(newest, record, origin, notes)
        elif is_agent_event(record.value):
            yield from _agent_events(agents, record, origin)
        else:
            yield RawEvent(_payload(record.value), origin, f"line {record.line}: {NEITHER}")
    yield from _contact_events(ContactRecordMapper(config), newest, path.name)


def _payload(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"json": value}


def _keep_newest(
    newest: dict[str, tuple[str, Record]], record: Record, origin: str, notes: Counter[str]
) -> Iterator[RawEvent]:
    """Remember the record unless a newer version of its contact was already seen."""
    try:
        version = version_key(record.value)
    except BadRecord as exc:
        yield RawEvent(record.value, origin, f"line {record.line}: {exc}")
        return
    contact = str(record.value["ContactId"])
    seen = newest.get(contact)
    if seen is not None:
        notes[SUPERSEDED] += 1
        if seen[0] >= version:
            return
    newest[contact] = (version, record)


def _contact_events(
    mapper: ContactRecordMapper, newest: dict[str, tuple[str, Record]], name: str
) -> Iterator[RawEvent]:
    for _, record in newest.values():
        origin = f"{name}:{record.position}"
        try:
            yield RawEvent(mapper.event(record.value), origin)
        except BadRecord as exc:
            yield RawEvent(record.value, origin, f"line {record.line}: contact record: {exc}")


def _agent_events(mapper: AgentEventMapper, record: Record, origin: str) -> Iterator[RawEvent]:
    try:
        events = mapper.events(record.value)
    except BadRecord as exc:
        yield RawEvent(record.value, origin, f"line {record.line}: agent event: {exc}")
        return
    for event in events:
        yield RawEvent(event, origin)
