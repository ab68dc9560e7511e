"""Ingest: idempotent append, conflicts and bad input to quarantine, one transaction per batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, TypeAdapter
from sqlalchemy import func, select
from sqlalchemy.dialects import sqlite

from callkpi.connectors import RawEvent
from callkpi.projector.driver import bind_processor
from callkpi.store.event_rows import SQLITE_COLUMNS, _utc_text
from callkpi.store.quarantine import list_quarantined
from callkpi.store.tables import StoredEvent


def raw(event: dict, origin: str = "test") -> RawEvent:
    return RawEvent(json.dumps(event).encode(), origin)


def count(store, table) -> int:
    with store.transaction() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_same_event_twice_is_a_duplicate_not_a_second_row(store, ingestor, make_event):
    offered = make_event(
        "contact.offered", "2026-01-05T09:00:00Z", {"customer": "+31201234567"}, contactid="c1", queue="sales"
    )
    first = ingestor.ingest_batch([raw(offered)])
    second = ingestor.ingest_batch([raw(offered), raw(offered)])
    assert [o.status for o in first] == ["accepted"]
    assert [o.status for o in second] == ["duplicate", "duplicate"]
    assert count(store, StoredEvent) == 1


def test_same_id_with_other_content_is_quarantined_as_a_conflict(store, ingestor, make_event):
    offered = make_event("contact.offered", "2026-01-05T09:00:00Z", contactid="c1", queue="sales")
    ingestor.ingest_batch([raw(offered)])
    (outcome,) = ingestor.ingest_batch([raw({**offered, "queue": "support"}, "file.jsonl:7")])
    assert outcome.status == "quarantined"
    assert "different content" in outcome.reasons[0]
    with store.reading() as connection:
        (row,) = list_quarantined(connection, ingestor.quarantine_seal)
    assert row.origin == "file.jsonl:7" and row.event_id == offered["id"]
    assert json.loads(row.raw)["queue"] == "support"


def test_customer_number_is_never_stored_in_clear(store, ingestor, make_event):
    offered = make_event("contact.offered", "2026-01-05T09:00:00Z", {"customer": "+31 20 123 4567"}, contactid="c1")
    ingestor.ingest_batch([raw(offered)])
    with store.transaction() as connection:
        body = connection.execute(select(StoredEvent.body)).scalar_one()
    assert "1234567" not in body
    assert len(json.loads(body)["data"]["customer_hmac"]) == 64


def test_unknown_centre_is_quarantined_with_how_to_fix(store, ingestor, make_event):
    offered = make_event("contact.offered", "2026-01-05T09:00:00Z", contactid="c1", centre="rotterdam")
    (outcome,) = ingestor.ingest_batch([raw(offered)])
    assert outcome.status == "quarantined"
    assert "callkpi centre add rotterdam" in outcome.reasons[0]


def test_e164_shortcut_agrees_with_full_phone_parsing():
    from callkpi.store.privacy import normalise_customer

    # The E.164 form is returned as is; every other spelling must parse to exactly it.
    assert normalise_customer("+31201234567") == "+31201234567"
    assert normalise_customer("+31 (0)20-123 4567") == "+31201234567"
    assert normalise_customer("020 123 4567", "NL") == "+31201234567"
    assert normalise_customer(" +44 20 7946 0123 ") == "+442079460123"


def test_duplicates_and_conflicts_are_found_across_look_up_chunks(store, ingestor, make_event):
    # 700 ids are looked up in two chunks (500, then 200 padded to 256 by repeating an id):
    # every re-sent event must still be found, and the changed one (the 650th, in the
    # second chunk) told apart as a conflict.
    events = [
        make_event("contact.offered", "2026-01-05T09:00:00Z", contactid=f"c{n}", queue="sales") for n in range(700)
    ]
    assert {o.status for o in ingestor.ingest_batch([raw(e) for e in events])} == {"accepted"}
    resent = [raw(e) for e in events]
    resent[649] = raw({**events[649], "queue": "support"})
    outcomes = ingestor.ingest_batch(resent)
    assert [o.status for o in outcomes].count("duplicate") == 699
    assert outcomes[649].status == "quarantined" and "different content" in outcomes[649].reasons[0]
    assert count(store, StoredEvent) == 700


def test_the_sqlite_append_names_every_event_column_in_the_table_order():
    assert tuple(column.name for column in StoredEvent.__table__.columns) == SQLITE_COLUMNS


def test_customer_events_store_the_hmac_at_the_end_of_data(store, ingestor, make_event):
    offered = make_event(
        "contact.offered",
        "2026-01-05T09:00:00Z",
        {"customer": "+31 20 123 4567", "language": "nl-NL"},
        contactid="c1",
        queue="sales",
    )
    ingestor.ingest_batch([raw(offered)])
    with store.transaction() as connection:
        body = connection.execute(select(StoredEvent.body)).scalar_one()
    event = ingestor.validator.validate(raw(offered).payload)
    expected = event.model_dump(mode="json", exclude_none=True)
    del expected["data"]["customer"]
    expected["data"]["customer_hmac"] = ingestor.hasher.hash("+31 20 123 4567", "NL")
    assert body == orjson.dumps(expected).decode()


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
    offset_minutes=st.sampled_from([0, 0, 60, -210, 345]),
)
def test_the_sqlite_time_cut_from_json_is_the_converted_datetime(moment, offset_minutes):
    # The event insert cuts the stored text from the event's JSON time when that is in
    # UTC; it must be exactly what the column's datetime conversion writes.
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    event_time = TypeAdapter(AwareDatetime).validate_json(orjson.dumps(local.isoformat()))
    json_time = orjson.loads(TypeAdapter(AwareDatetime).dump_json(event_time))
    convert = bind_processor(StoredEvent.__table__.c.time.type, sqlite.dialect())
    assert (_utc_text(json_time) or convert(event_time)) == convert(event_time)
    assert (_utc_text(json_time) is not None) == (offset_minutes == 0)
