"""Quarantined input sealed at rest: it may hold a caller's number in clear, since it never
reached the step that replaces the number by its HMAC."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from callkpi.connectors import RawEvent
from callkpi.store.ingest import QUARANTINE_SEAL
from callkpi.store.privacy import CustomerHasher
from callkpi.store.quarantine import list_quarantined, replay, seal_clear_rows
from callkpi.store.sealing import SEALED_PREFIX, Seal, SealError, derive_key
from callkpi.store.tables import QuarantinedInput
from callkpi.testing import TEST_HMAC_KEY, event_factory

NUMBER = "+31 20 765 4321"
make = event_factory("sealing")


def broken_offer() -> dict:
    """A contact.offered with the caller's number and a queue of the wrong type."""
    return make("contact.offered", "2026-01-05T09:00:00Z", {"customer": NUMBER}, contactid="c1", queue=7)


def test_sealed_text_opens_with_its_key_only() -> None:
    seal = Seal(derive_key(TEST_HMAC_KEY, "quarantine"), "quarantine")
    first, second = seal.seal(NUMBER), seal.seal(NUMBER)
    assert first.startswith(SEALED_PREFIX) and "765" not in first
    assert first != second  # a fresh nonce each time: equal inputs do not show as equal
    assert seal.open(first) == seal.open(second) == NUMBER
    other = CustomerHasher(bytes(32)).seal("quarantine")
    with pytest.raises(SealError, match=r"quarantine: sealed with another key or altered; expected the "
                                        r"installation key .*CALLKPI_KEY_FILE or CALLKPI_HMAC_KEY"):
        other.open(first)
    tampered = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    with pytest.raises(SealError):
        seal.open(tampered)


def test_a_purpose_key_is_not_the_installation_key() -> None:
    assert derive_key(TEST_HMAC_KEY, "quarantine") != TEST_HMAC_KEY
    assert derive_key(TEST_HMAC_KEY, "quarantine") != derive_key(TEST_HMAC_KEY, "other")


def test_quarantine_keeps_the_number_for_replay_but_sealed_at_rest(store, ingestor) -> None:
    (outcome,) = ingestor.ingest_batch([RawEvent(json.dumps(broken_offer()), "calls.jsonl:3")])
    assert outcome.status == "quarantined"
    with store.reading() as connection:
        at_rest = connection.execute(select(QuarantinedInput.raw, QuarantinedInput.reasons)).one()
        (row,) = list_quarantined(connection, ingestor.quarantine_seal)
    assert all(cell.startswith(SEALED_PREFIX) and "765" not in cell for cell in at_rest)
    assert json.loads(row.raw)["data"]["customer"] == NUMBER
    assert row.reasons == ("queue = 7: expected a valid string",)
    fixed = {**json.loads(row.raw), "queue": "sales"}
    assert replay(ingestor, row.id, json.dumps(fixed)).status == "accepted"


def test_a_replay_that_fails_again_keeps_its_new_reasons_sealed(store, ingestor) -> None:
    ingestor.ingest_batch([RawEvent(json.dumps(broken_offer()), "calls.jsonl:3")])
    still_bad = {**broken_offer(), "queue": "sales", "time": "yesterday"}
    assert replay(ingestor, 1, json.dumps(still_bad)).status == "quarantined"
    with store.reading() as connection:
        stored = connection.execute(select(QuarantinedInput.reasons)).scalar_one()
        (row,) = list_quarantined(connection, ingestor.quarantine_seal)
    assert stored.startswith(SEALED_PREFIX)
    assert row.reasons[0].startswith("time = 'yesterday'")


def test_rows_stored_in_clear_before_sealing_read_as_they_were_and_seal_on_request(store, ingestor) -> None:
    clear = {"received_at": datetime(2026, 1, 5, tzinfo=UTC), "origin": "old.jsonl:1", "raw": NUMBER,
             "reasons": json.dumps(["not valid JSON: expected value"]), "status": "open"}
    with store.transaction() as connection:
        connection.execute(insert(QuarantinedInput.__table__).values(**clear))
    seal = CustomerHasher(TEST_HMAC_KEY).seal(QUARANTINE_SEAL)
    with store.transaction() as connection:
        before = list_quarantined(connection, seal)
        assert seal_clear_rows(connection, seal) == 1
        assert seal_clear_rows(connection, seal) == 0
    with store.reading() as connection:
        after = list_quarantined(connection, seal)
        at_rest = connection.execute(select(QuarantinedInput.raw)).scalar_one()
    assert before == after and after[0].raw == NUMBER
    assert at_rest.startswith(SEALED_PREFIX)
