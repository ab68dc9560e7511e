"""The event handed to ``callkpi_event_recorded`` is exactly the stored one: ingest derives
it from the validated event instead of validating the stored body a second time."""

from __future__ import annotations

import json

from sqlalchemy import select

from callkpi import hookimpl
from callkpi.connectors import RawEvent
from callkpi.events import Envelope
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.store.tables import StoredEvent
from callkpi.testing import TEST_HMAC_KEY


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[Envelope, str | None]] = []

    @hookimpl
    def callkpi_event_recorded(self, event: Envelope, customer: str | None) -> None:
        self.seen.append((event, customer))


def test_hook_receives_the_stored_event_with_the_customer_hashed(store, make_event):
    recorder = Recorder()
    pm = get_plugin_manager(Settings(_env_file=None), plugins=(("recorder", recorder),))
    ingestor = Ingestor(store, pm, CustomerHasher(TEST_HMAC_KEY))
    events = [
        make_event(
            "contact.offered",
            "2026-03-02T09:00:00+01:00",
            {"customer": "+44 20 7946 0018"},
            contactid="c1",
            queue="sales",
            channel="voice",
        ),
        make_event(
            "contact.answered", "2026-03-02T08:00:20Z", {"ring_s": 3}, contactid="c1", agentid="a1"
        ),
    ]
    outcomes = ingestor.ingest_batch([RawEvent(json.dumps(e).encode(), "test") for e in events])
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    with store.transaction() as connection:
        bodies = {
            row.id: row.body for row in connection.execute(select(StoredEvent.id, StoredEvent.body))
        }
    validator = pm.catalog.event_types.validator
    # Both events were announced, each equal to validating what the store holds.
    assert [validator.validate(bodies[event.id]) for event, _ in recorder.seen] == [
        e for e, _ in recorder.seen
    ]
    (offered, customer), (answered, no_customer) = recorder.seen
    assert (customer, no_customer) == ("+44 20 7946 0018", None)
    assert offered.data.customer is None and len(offered.data.customer_hmac) == 64
    assert answered.data.ring_s == 3.0
