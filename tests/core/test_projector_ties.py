"""Events at the same time: ordered by meaning and by the source's ``sequence``, never by id.

Each timeline is hand-worked; the ids are chosen so that id order would be the wrong one.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from callkpi.connectors import RawEvent, sequence
from callkpi.live.agent_states import current_agent_states
from callkpi.projector.timeline import STATE_TIE_ORDER, timeline
from callkpi.store.tables import AgentIntervalFact


def at(clock: str) -> str:
    return f"2026-01-05T{clock}Z"


def state(make_event, clock: str, name: str, event_id: str, seq: int | None = None, **extra) -> dict:
    event = make_event(
        "agent.state_changed", at(clock), {"state": name}, agentid="a1", id=event_id, **extra
    )
    return event if seq is None else {**event, "sequence": sequence(seq)}


def ingest(ingestor, events: list[dict]) -> None:
    outcomes = ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in events])
    assert {o.status for o in outcomes} == {"accepted"}, outcomes


def on_contact_and_available(store) -> dict[str, tuple[float, float]]:
    table = AgentIntervalFact.__table__
    with store.reading() as connection:
        rows = connection.execute(select(table).where(table.c.agentid == "a1")).mappings().all()
    return {f"{row['interval_start']:%H:%M}": (row["on_contact_s"], row["available_s"]) for row in rows}


def test_the_source_sequence_orders_a_tie_against_id_and_meaning(store, ingestor, make_event):
    # Back to back in one second: free at 09:10:00, and the next contact connects in that
    # same second (the source wrote available, then on_contact). By id ("s-a" < "s-b") and
    # by meaning (on_contact before available) the contact would come first and leave the
    # agent available; by sequence on_contact holds 09:10:00–09:13:00 = 180 s.
    ingest(ingestor, [
        state(make_event, "09:00:00", "available", "s-0", 1),
        state(make_event, "09:10:00", "available", "s-b", 2),
        state(make_event, "09:10:00", "on_contact", "s-a", 3),
        state(make_event, "09:13:00", "available", "s-c", 4),
        state(make_event, "09:14:00", "logged_out", "s-d", 5),
    ])
    # 09:00–09:15: on contact 180 s; available 09:00–09:10 (600 s) + 09:13–09:14 (60 s) = 660 s.
    assert on_contact_and_available(store) == {"09:00": (180.0, 660.0)}


def test_without_a_sequence_a_contact_shorter_than_a_second_ends_free(store, ingestor, make_event):
    # Connected and ended within 09:05:00; id order ("s-a" available < "s-b" on_contact)
    # would leave the agent on contact until 09:12:00 (420 s). By meaning on_contact comes
    # first: 0 s on contact, available 09:00–09:12 = 720 s.
    ingest(ingestor, [
        state(make_event, "09:00:00", "available", "s-0"),
        state(make_event, "09:05:00", "on_contact", "s-b"),
        state(make_event, "09:05:00", "available", "s-a"),
        state(make_event, "09:12:00", "logged_out", "s-c"),
    ])
    assert on_contact_and_available(store) == {"09:00": (0.0, 720.0)}


def test_the_meaning_order_of_agent_states_at_one_instant(make_event):
    # Ids in reverse of the expected order, so only the meaning can produce it.
    names = list(STATE_TIE_ORDER)
    bodies = [state(make_event, "09:00:00", name, f"s-{9 - i}") for i, name in enumerate(names)]
    assert [entry.data["state"] for entry in timeline(reversed(bodies), {})] == names
    assert names == ["logged_out", "on_contact", "after_contact_work", "available", "not_ready"]


def test_a_sequence_compares_only_within_its_source(make_event):
    # Source "b" sequence 1 and source "a" sequence 9: grouped by source ("a" first), each in
    # its own order; an event without a sequence sorts before the sequenced ones.
    bodies = [
        {**state(make_event, "09:00:00", "available", "x1", 1), "source": "b"},
        {**state(make_event, "09:00:00", "not_ready", "x2", 9), "source": "a"},
        {**state(make_event, "09:00:00", "on_contact", "x3", 2), "source": "b"},
        state(make_event, "09:00:00", "after_contact_work", "x4"),
    ]
    assert [entry.id for entry in timeline(bodies, {})] == ["x4", "x2", "x1", "x3"]


def test_the_live_state_is_the_one_the_tie_order_leaves_in_force(store, ingestor, make_event):
    # The agent's two latest state events share 09:10:00; by id ("s-a" on_contact first) the
    # wallboard would show available, by sequence the agent is on contact now.
    ingest(ingestor, [
        state(make_event, "09:00:00", "available", "s-0", 1, queue="sales"),
        state(make_event, "09:10:00", "available", "s-b", 2, queue="sales"),
        state(make_event, "09:10:00", "on_contact", "s-a", 3, queue="support"),
    ])
    now = datetime(2026, 1, 5, 9, 12, tzinfo=UTC)
    with store.reading() as connection:
        (agent,) = current_agent_states(connection, "default", now, date(2026, 1, 5))
    assert (agent.agentid, agent.state, agent.queue) == ("a1", "on_contact", "support")
    assert agent.since == datetime(2026, 1, 5, 9, 10, tzinfo=UTC)
