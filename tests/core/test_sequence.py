"""The ``sequence`` extension attribute: its form, the SDK helpers, and re-sent events."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from callkpi.connectors import sequence, sequenced
from callkpi.events import InvalidEvent
from callkpi.events.schemas import load_schema
from callkpi.testing import raw_events

STATE = {
    "specversion": "1.0", "id": "e1", "source": "pbx", "type": "agent.state_changed",
    "time": "2026-01-05T09:00:00Z", "agentid": "a1", "data": {"state": "available"},
}


def test_sequence_pads_each_position_so_string_order_is_number_order():
    assert sequence(12, 3) == "000000000000012.000000000000003"
    positions = [(9,), (10,), (10, 0), (10, 2), (10, 11), (100,)]
    assert sorted(positions, key=lambda p: sequence(*p)) == positions


@pytest.mark.parametrize("positions", [(), (-1,), (True,), (1.5,), (10**15,)])
def test_sequence_refuses_what_is_not_a_place(positions):
    with pytest.raises(ValueError, match="expected one or more whole numbers from 0"):
        sequence(*positions)


def test_sequenced_stamps_a_records_events_in_order_and_keeps_a_producers_own():
    events = [{"id": "a"}, {"id": "b", "sequence": "mine"}, {"id": "c"}]
    assert [e["sequence"] for e in sequenced(events, 7)] == [sequence(7, 0), "mine", sequence(7, 2)]
    assert "sequence" not in events[0]  # the input is left as it was


@pytest.mark.parametrize("value", ["000000000000042", "2026-01-05T09:00:00.123Z/7", "~"])
def test_the_model_and_the_published_schema_accept_an_orderable_string(callkpi_pm, value):
    event = {**STATE, "sequence": value}
    assert callkpi_pm.catalog.event_types.validator.validate(event).sequence == value
    assert Draft202012Validator(load_schema("agent.state_changed")).is_valid(event)


@pytest.mark.parametrize("value", [42, "", "a b", "x" * 129, "é", "7\n"])
def test_the_model_and_the_published_schema_reject_anything_else(callkpi_pm, value):
    event = {**STATE, "sequence": value}
    with pytest.raises(InvalidEvent) as caught:
        callkpi_pm.catalog.event_types.validator.validate(event)
    (reason,) = caught.value.reasons
    assert reason.startswith(f"sequence = {value!r}"[:40])
    assert "expected a string of 1–128 visible ASCII characters" in reason
    # The schema's pattern is ECMA-262, where "$" is the very end; Python's re (which the
    # jsonschema package uses) also lets "$" match before a final newline.
    if not (isinstance(value, str) and value.endswith("\n")):
        assert not Draft202012Validator(load_schema("agent.state_changed")).is_valid(event)


def test_a_resent_event_that_differs_only_in_sequence_is_a_duplicate(ingestor):
    # The same queue_log line read from a rotated copy sits at another offset.
    first = ingestor.ingest(raw_events([{**STATE, "sequence": sequence(100, 0)}]))
    again = ingestor.ingest(raw_events([{**STATE, "sequence": sequence(9, 0)}, STATE]))
    changed = ingestor.ingest(raw_events([{**STATE, "data": {"state": "not_ready"}}]))
    assert (first.accepted, again.duplicates, changed.quarantined) == (1, 2, 1)
