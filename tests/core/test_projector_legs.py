"""Contact legs from hand-worked timelines, ingested through the real Ingestor (SQLite and
PostgreSQL), in a centre whose local time is not UTC (Amsterdam, UTC+1 in January)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from callkpi.connectors import RawEvent
from callkpi.store.centres import add_centre
from callkpi.store.tables import ContactLegFact

AMS = {"centre": "ams", "channel": "voice"}


def at(clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-01-05T{clock}").replace(tzinfo=UTC)


def legs(store, contactid: str) -> list[dict]:
    table = ContactLegFact.__table__
    with store.transaction() as connection:
        query = select(table).where(table.c.contactid == contactid).order_by(table.c.seq)
        return [dict(row) for row in connection.execute(query).mappings()]


def ingest(store, ingestor, events: list[dict]) -> None:
    with store.transaction() as connection:
        add_centre(connection, "ams", "Europe/Amsterdam")
    outcomes = ingestor.ingest_batch([RawEvent(json.dumps(e), f"event {i}") for i, e in enumerate(events)])
    assert {o.status for o in outcomes} == {"accepted"}, outcomes


def pick(rows: list[dict], *columns: str) -> list[tuple]:
    return [tuple(row[c] for c in columns) for row in rows]


def test_a_blind_transfer_is_two_queue_legs_and_two_agent_legs(store, ingestor, make_event):
    c = {"contactid": "b1", **AMS}
    ingest(store, ingestor, [
        make_event("contact.offered", at("09:14:50"), queue="support", **c),
        make_event("contact.answered", at("09:15:00"), {"ring_s": 4}, agentid="a1", queue="support", **c),
        make_event("contact.hold_started", at("09:15:30"), agentid="a1", **c),
        make_event("contact.hold_ended", at("09:15:50"), agentid="a1", **c),
        make_event("contact.transferred", at("09:16:30"), {"kind": "blind", "to_queue": "sales"}, agentid="a1", **c),
        make_event("contact.offered", at("09:16:30"), queue="sales", **c),
        make_event("contact.answered", at("09:17:00"), agentid="a2", queue="sales", **c),
        make_event("contact.hold_started", at("09:18:00"), agentid="a2", **c),  # never ended: to the end
        make_event("contact.ended", at("09:20:00"), {"ended_by": "customer"}, **c),
        make_event("contact.wrapup_completed", at("09:16:45"), agentid="a1", **c),
        make_event("contact.wrapup_completed", at("09:20:20"), agentid="a2", **c),
    ])  # fmt: skip
    rows = legs(store, "b1")
    # in start order: support (offered 09:14:50), a1 (answered 09:15:00), sales, a2
    assert pick(rows, "leg", "queue", "agentid", "outcome") == [
        ("queue", "support", "a1", "answered"),
        ("agent", "support", "a1", "transferred"),
        ("queue", "sales", "a2", "answered"),
        ("agent", "sales", "a2", "completed"),
    ]
    # waits: support 10 s, sales 30 s (from the re-offer at 09:16:30)
    assert [r["wait_s"] for r in rows if r["leg"] == "queue"] == [10.0, 30.0]
    # a1: connected 09:15:00–09:16:30 = 90 s, hold 20 → talk 70; ACW 09:16:30–09:16:45 = 15; handle 105
    # a2: connected 09:17:00–09:20:00 = 180 s, the open hold 09:18–09:20 = 120 → talk 60; ACW 20; handle 200
    agents = [r for r in rows if r["leg"] == "agent"]
    assert pick(agents, "ring_s", "talk_s", "hold_s", "hold_count", "acw_s", "handle_s") == [
        (4.0, 70.0, 20.0, 1, 15.0, 105.0),
        (None, 60.0, 120.0, 1, 20.0, 200.0),
    ]
    assert pick(agents, "transfer_kind", "to_queue") == [("blind", "sales"), (None, None)]
    # local buckets of each leg's offer, Amsterdam time (UTC+1): a1's leg is in the interval its
    # queue leg was offered (10:00, though answered at 10:15), a2's in sales' (10:15)
    assert [(r["local_date"], r["local_interval"]) for r in rows] == [
        (date(2026, 1, 5), 600), (date(2026, 1, 5), 600), (date(2026, 1, 5), 615), (date(2026, 1, 5), 615),
    ]  # fmt: skip


def test_an_attended_transfer_and_an_abandon_in_the_second_queue(store, ingestor, make_event):
    c, d = {"contactid": "c1", "queue": "support", **AMS}, {"contactid": "d1", **AMS}
    ingest(store, ingestor, [
        make_event("contact.offered", at("10:00:00"), **c),
        make_event("contact.answered", at("10:00:05"), agentid="a1", **c),
        make_event("contact.hold_started", at("10:01:00"), agentid="a1", **c),  # consulting a3
        make_event("contact.answered", at("10:01:40"), agentid="a3", **c),
        make_event("contact.hold_ended", at("10:01:40"), agentid="a3", **c),
        make_event("contact.transferred", at("10:01:40"), {"kind": "attended", "to_agent": "a3"}, agentid="a1", **c),
        make_event("contact.ended", at("10:05:00"), {"ended_by": "customer"}, agentid="a3", **c),
        make_event("contact.offered", at("11:00:00"), queue="support", **d),
        make_event("contact.answered", at("11:00:20"), agentid="a2", queue="support", **d),
        make_event("contact.transferred", at("11:01:00"), {"kind": "blind", "to_queue": "sales"}, agentid="a2", **d),
        make_event("contact.offered", at("11:01:00"), queue="sales", **d),
        make_event("contact.abandoned", at("11:02:00"), queue="sales", **d),
    ])  # fmt: skip
    attended = legs(store, "c1")
    # one queue leg; a1 until a3 picked up (10:00:05–10:01:40 = 95 s, the consult hold 40 s),
    # passed on (attended); a3 from 10:01:40 to the end, 200 s, in the interval it was answered
    assert pick(attended, "leg", "agentid", "outcome", "talk_s", "hold_s", "transfer_kind", "to_agent") == [
        ("queue", "a1", "answered", None, None, None, None),
        ("agent", "a1", "transferred", 55.0, 40.0, "attended", "a3"),
        ("agent", "a3", "completed", 200.0, 0.0, None, None),
    ]
    assert [r["local_interval"] for r in attended] == [660, 660, 660]
    abandoned = legs(store, "d1")
    # answered in support after 20 s, abandoned in sales after 60 s; a2 talked 40 s and
    # transferred; the contact never ended, so a2's leg ended with the transfer (handle 40)
    assert pick(abandoned, "leg", "queue", "outcome", "wait_s", "handle_s") == [
        ("queue", "support", "answered", 20.0, None),
        ("agent", "support", "transferred", None, 40.0),
        ("queue", "sales", "abandoned", 60.0, None),
    ]


def test_a_re_queue_in_the_second_of_the_transfer_keeps_its_leg(store, ingestor, make_event):
    # q1 gives up at 09:01:00 and the call re-enters q2 in that second (an overflow): the
    # transfer sorts after the offer in q2 (type rank), yet must not close the leg it leads
    # into. q1: waited 60 s, transferred on; q2: answered by a1 after 10 s, talk 50 s.
    c = {"contactid": "r1", **AMS}
    ingest(store, ingestor, [
        make_event("contact.offered", at("09:00:00"), queue="q1", **c),
        make_event("contact.transferred", at("09:01:00"), {"to_queue": "q2"}, queue="q1", **c),
        make_event("contact.offered", at("09:01:00"), queue="q2", **c),
        make_event("contact.answered", at("09:01:10"), agentid="a1", queue="q2", **c),
        make_event("contact.ended", at("09:02:00"), {"ended_by": "customer"}, agentid="a1", **c),
    ])  # fmt: skip
    assert pick(legs(store, "r1"), "leg", "queue", "outcome", "wait_s", "handle_s") == [
        ("queue", "q1", "transferred", 60.0, None),
        ("queue", "q2", "answered", 10.0, None),
        ("agent", "q2", "completed", None, 50.0),
    ]


def test_the_end_of_an_agent_who_sent_the_contact_back_to_a_queue_ends_only_its_part(
    store, ingestor, make_event
):
    # a1 answers after 15 s, blind-transfers to billing at 09:01:15, and its part ends then
    # (ended, by a1, as Genesys Cloud ends the agent's segments); the customer hangs up in
    # billing at 09:02:15: billing's leg is abandoned after 60 s, not 0 s.
    c = {"contactid": "g1", **AMS}
    ingest(store, ingestor, [
        make_event("contact.offered", at("09:00:00"), queue="support", **c),
        make_event("contact.answered", at("09:00:15"), agentid="a1", queue="support", **c),
        make_event("contact.transferred", at("09:01:15"), {"kind": "blind", "to_queue": "billing"},
                   agentid="a1", **c),
        make_event("contact.offered", at("09:01:15"), queue="billing", **c),
        make_event("contact.ended", at("09:01:15"), agentid="a1", **c),
        make_event("contact.abandoned", at("09:02:15"), queue="billing", **c),
    ])  # fmt: skip
    assert pick(legs(store, "g1"), "leg", "queue", "outcome", "wait_s", "handle_s") == [
        ("queue", "support", "answered", 15.0, None),
        ("agent", "support", "transferred", None, 60.0),
        ("queue", "billing", "abandoned", 60.0, None),
    ]


def contact_row(store, contactid: str) -> dict:
    from callkpi.store.tables import ContactFact

    table = ContactFact.__table__
    with store.transaction() as connection:
        return dict(connection.execute(select(table).where(table.c.contactid == contactid)).mappings().one())


def test_a_conference_keeps_both_agents_on_the_contact(store, ingestor, make_event):
    # a1 talks 0–300 s (09:00–09:05); a2 joins at 120 s with its own leg and stays to the end.
    # a1: talk 300, ACW 20 → 320; a2: talk 180, ACW 30 → 210. The contact counts the overlap
    # once: talk 09:00–09:05 = 300, ACW to the last wrap-up 30 → handle 330 (Σ legs 530).
    c = {"contactid": "k1", "queue": "support", **AMS}
    ingest(store, ingestor, [
        make_event("contact.offered", at("08:59:50"), **c),
        make_event("contact.answered", at("09:00:00"), agentid="a1", **c),
        make_event("contact.answered", at("09:02:00"), {"leg": "k1-a2"}, agentid="a2", **c),
        make_event("contact.ended", at("09:05:00"), {"leg": "k1-a2", "ended_by": "agent"}, agentid="a2", **c),
        make_event("contact.ended", at("09:05:00"), {"ended_by": "customer"}, **c),
        make_event("contact.wrapup_completed", at("09:05:20"), agentid="a1", **c),
        make_event("contact.wrapup_completed", at("09:05:30"), {"leg": "k1-a2"}, agentid="a2", **c),
    ])  # fmt: skip
    assert pick(legs(store, "k1"), "leg", "agentid", "outcome", "talk_s", "acw_s", "handle_s") == [
        ("queue", "a1", "answered", None, None, None),
        ("agent", "a1", "completed", 300.0, 20.0, 320.0),
        ("agent", "a2", "completed", 180.0, 30.0, 210.0),
    ]
    row = contact_row(store, "k1")
    assert (row["talk_s"], row["acw_s"], row["handle_s"]) == (300.0, 30.0, 330.0)


def test_a_consult_then_a_transfer(store, ingestor, make_event):
    # a1 answers at 0, holds the customer at 60 and consults a2, who joins at 100 (own leg);
    # the customer comes back at 130 (three-way), a1 hands over at 150 and a2 talks to 400.
    # a1: connected 150, hold 70 → talk 80, transferred (attended); a2: talk 100–400 = 300.
    c = {"contactid": "k2", "queue": "support", **AMS}
    ingest(store, ingestor, [
        make_event("contact.offered", at("09:00:00"), **c),
        make_event("contact.answered", at("09:00:00"), agentid="a1", **c),
        make_event("contact.hold_started", at("09:01:00"), agentid="a1", **c),
        make_event("contact.answered", at("09:01:40"), {"leg": "k2-a2"}, agentid="a2", **c),
        make_event("contact.hold_ended", at("09:02:10"), agentid="a1", **c),
        make_event("contact.transferred", at("09:02:30"), {"kind": "attended", "to_agent": "a2"}, agentid="a1", **c),
        make_event("contact.ended", at("09:06:40"), {"leg": "k2-a2"}, agentid="a2", **c),
        make_event("contact.ended", at("09:06:40"), {"ended_by": "customer"}, **c),
    ])  # fmt: skip
    assert pick(legs(store, "k2"), "leg", "agentid", "outcome", "talk_s", "hold_s", "transfer_kind") == [
        ("queue", "a1", "answered", None, None, None),
        ("agent", "a1", "transferred", 80.0, 70.0, "attended"),
        ("agent", "a2", "completed", 300.0, 0.0, None),
    ]
    row = contact_row(store, "k2")
    assert (row["talk_s"], row["hold_s"], row["handle_s"]) == (330.0, 70.0, 400.0)
