"""Contact facts from hand-worked timelines, ingested through the real Ingestor."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from callkpi.connectors import RawEvent
from callkpi.store.tables import ContactFact

CUSTOMER = "+31201234567"


def ingest(ingestor, *batches: list[dict]) -> None:
    for batch in batches:
        outcomes = ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in batch])
        assert {o.status for o in outcomes} <= {"accepted", "duplicate"}, outcomes


def contact(store, contactid: str = "c1") -> ContactFact:
    with store.transaction() as connection:
        row = connection.execute(
            select(ContactFact.__table__).where(ContactFact.contactid == contactid)
        ).one()
    return ContactFact(**row._mapping)


def at(clock: str) -> str:
    return f"2026-01-05T{clock}Z"


def test_answered_with_two_holds_and_after_contact_work(store, ingestor, make_event):
    c = {"contactid": "c1"}
    ingest(
        ingestor,
        [
            make_event(
                "contact.offered",
                at("09:00:00"),
                {"customer": CUSTOMER, "language": "nl"},
                queue="sales",
                channel="voice",
                **c,
            ),
            make_event("contact.answered", at("09:00:40"), {"ring_s": 5}, agentid="a1", **c),
            make_event("contact.hold_started", at("09:02:00"), **c),
            make_event("contact.hold_ended", at("09:02:30"), **c),
            make_event("contact.hold_started", at("09:05:00"), **c),
            make_event("contact.hold_ended", at("09:06:15"), **c),
            make_event("contact.ended", at("09:10:00"), {"ended_by": "customer"}, **c),
            make_event(
                "contact.wrapup_completed",
                at("09:11:30"),
                {"disposition": "sale", "resolved": True},
                **c,
            ),
        ],
    )
    fact = contact(store)
    assert (fact.outcome, fact.queue, fact.channel, fact.agentid, fact.language) == (
        "answered",
        "sales",
        "voice",
        "a1",
        "nl",
    )
    assert fact.wait_s == 40 and fact.ring_s == 5  # 09:00:00 → 09:00:40
    assert (fact.hold_s, fact.hold_count, fact.longest_hold_s) == (105, 2, 75)  # 30 s + 75 s
    assert fact.talk_s == 455  # (09:10:00 − 09:00:40 = 560) − 105 hold
    assert fact.acw_s == 90  # 09:10:00 → 09:11:30
    assert fact.handle_s == 650  # 455 + 105 + 90
    assert (fact.disposition, fact.resolved) == ("sale", True)
    assert fact.wrapup_ended_at == datetime(2026, 1, 5, 9, 11, 30, tzinfo=UTC)
    assert len(fact.customer_hmac) == 64 and CUSTOMER not in fact.customer_hmac
    # UTC centre, Monday 2026-01-05 09:00
    assert (fact.local_date, fact.local_interval, fact.local_hour, fact.local_weekday) == (
        date(2026, 1, 5),
        540,
        9,
        1,
    )
    assert (fact.local_week, fact.local_month) == (date(2026, 1, 5), date(2026, 1, 1))


def test_abandoned_in_queue(store, ingestor, make_event):
    ingest(
        ingestor,
        [
            make_event("contact.offered", at("09:00:00"), contactid="c1"),
            make_event("contact.abandoned", at("09:01:10"), contactid="c1"),
            make_event("contact.ended", at("09:01:12"), contactid="c1"),
        ],
    )
    fact = contact(store)
    assert fact.outcome == "abandoned" and fact.wait_s == 70  # abandon time, not end time
    assert (fact.answered_at, fact.talk_s, fact.hold_s, fact.handle_s) == (None, None, None, None)


def test_ended_unanswered_is_timed_out_when_the_system_gave_up(store, ingestor, make_event):
    ingest(
        ingestor,
        [
            make_event("contact.offered", at("09:00:00"), contactid="flag"),
            make_event("contact.ended", at("09:05:00"), {"timed_out": True}, contactid="flag"),
            make_event("contact.offered", at("09:00:00"), contactid="system"),
            make_event("contact.ended", at("09:03:00"), {"ended_by": "system"}, contactid="system"),
            make_event("contact.offered", at("09:00:00"), contactid="hangup"),
            make_event(
                "contact.ended", at("09:00:30"), {"ended_by": "customer"}, contactid="hangup"
            ),
            make_event("contact.offered", at("09:00:00"), contactid="waiting"),
        ],
    )
    assert (contact(store, "flag").outcome, contact(store, "flag").wait_s) == ("timed_out", 300)
    assert (contact(store, "system").outcome, contact(store, "system").wait_s) == ("timed_out", 180)
    assert (contact(store, "hangup").outcome, contact(store, "hangup").wait_s) == ("abandoned", 30)
    assert (contact(store, "waiting").outcome, contact(store, "waiting").wait_s) == (None, None)


def test_ended_unanswered_by_the_agent_is_not_abandoned(store, ingestor, make_event):
    # An agent cannot end a contact nobody answered: its answer is missing (a log cut
    # mid-call), so the outcome stays unknown rather than inflating the abandon rate. An end
    # that does not say who ended it is the caller giving up, as before: its offer is kept.
    ingest(
        ingestor,
        [
            make_event("contact.offered", at("09:00:00"), contactid="agent"),
            make_event("contact.ended", at("09:02:00"), {"ended_by": "agent"}, contactid="agent"),
            make_event("contact.offered", at("09:00:00"), contactid="unknown"),
            make_event("contact.ended", at("09:01:00"), contactid="unknown"),
        ],
    )
    assert (contact(store, "agent").outcome, contact(store, "agent").wait_s) == (None, None)
    assert (contact(store, "unknown").outcome, contact(store, "unknown").wait_s) == ("abandoned", 60)


def test_blocked_contact_is_offered_at_its_block(store, ingestor, make_event):
    ingest(
        ingestor,
        [
            make_event(
                "contact.blocked",
                at("09:00:05"),
                {"reason": "queue_full", "direction": "inbound"},
                contactid="c1",
                queue="sales",
            )
        ],
    )
    fact = contact(store)
    assert (fact.outcome, fact.queue, fact.direction, fact.wait_s) == (
        "blocked",
        "sales",
        "inbound",
        None,
    )
    assert fact.offered_at == datetime(2026, 1, 5, 9, 0, 5, tzinfo=UTC)


def test_self_served_keeps_the_offer_time(store, ingestor, make_event):
    ingest(
        ingestor,
        [
            make_event("contact.offered", at("09:00:00"), contactid="c1"),
            make_event("contact.self_served", at("09:02:00"), {"via": "ivr"}, contactid="c1"),
        ],
    )
    fact = contact(store)
    assert fact.outcome == "self_served"
    assert fact.offered_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_transfers_are_counted(store, ingestor, make_event):
    c = {"contactid": "c1"}
    ingest(
        ingestor,
        [
            make_event("contact.offered", at("09:00:00"), **c),
            make_event("contact.answered", at("09:00:10"), agentid="a1", **c),
            make_event("contact.transferred", at("09:02:00"), {"to_queue": "billing"}, **c),
            make_event("contact.transferred", at("09:04:00"), {"to_agent": "a3"}, **c),
            make_event("contact.ended", at("09:06:00"), **c),
        ],
    )
    fact = contact(store)
    assert fact.transfers == 2 and fact.agentid == "a1"  # the first agent who answered
    assert (fact.talk_s, fact.hold_s, fact.handle_s) == (350, 0, 350)  # 09:00:10 → 09:06:00, no ACW


def test_sales_add_revenue_even_when_they_arrive_first(store, ingestor, make_event):
    sale = {"currency": "EUR"}
    ingest(
        ingestor,
        [
            make_event(
                "sale.recorded",
                at("09:08:00"),
                {**sale, "saleid": "s1", "amount": 20.5},
                contactid="c1",
            )
        ],
        [
            make_event("contact.offered", at("09:00:00"), contactid="c1"),
            make_event("contact.answered", at("09:00:10"), agentid="a1", contactid="c1"),
            make_event(
                "sale.recorded",
                at("09:09:00"),
                {**sale, "saleid": "s2", "amount": 4.25},
                contactid="c1",
            ),
        ],
    )
    fact = contact(store)
    assert (fact.revenue, fact.sales, fact.outcome) == (24.75, 2, "answered")  # 20.5 + 4.25


def test_recorded_summary_is_authoritative_and_fills_derived_fields(store, ingestor, make_event):
    summary = {
        "outcome": "answered",
        "offered_at": at("09:00:00"),
        "answered_at": at("09:00:20"),
        "ended_at": at("09:06:00"),
        "wrapup_ended_at": at("09:07:00"),
        "talk_s": 300,
        "hold_s": 40,
        "hold_count": 1,
        "acw_s": 60,
        "disposition": "info",
        "customer": CUSTOMER,
    }
    abandoned = {"outcome": "abandoned", "offered_at": at("10:00:00"), "ended_at": at("10:00:45")}
    ingest(
        ingestor,
        [
            make_event("contact.offered", at("08:59:00"), contactid="c1", queue="support"),
            make_event("contact.recorded", at("09:10:00"), summary, contactid="c1", agentid="a7"),
            make_event(
                "contact.recorded", at("10:05:00"), abandoned, contactid="c2", queue="sales"
            ),
        ],
    )
    fact = contact(store, "c1")
    assert fact.offered_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the summary's, not 08:59
    assert (fact.queue, fact.agentid, fact.outcome, fact.disposition) == (
        "support",
        "a7",
        "answered",
        "info",
    )
    assert fact.wait_s == 20  # derived: 09:00:20 − 09:00:00
    assert fact.handle_s == 400  # 300 talk + 40 hold + 60 ACW
    assert fact.customer_hmac is not None
    lost = contact(store, "c2")
    assert (lost.outcome, lost.wait_s, lost.handle_s) == (
        "abandoned",
        45,
        None,
    )  # 10:00:45 − 10:00:00


def test_wrapup_before_or_after_the_end_gives_the_same_fact(store, ingestor, make_event):
    def lifecycle(contactid: str) -> tuple[list[dict], list[dict]]:
        c = {"contactid": contactid}
        calls = [
            make_event("contact.offered", at("09:00:00"), **c),
            make_event("contact.answered", at("09:01:00"), agentid="a1", **c),
            make_event("contact.ended", at("09:06:00"), **c),
        ]
        wrapups = [
            make_event(
                "contact.wrapup_completed", at("09:08:00"), {"disposition": "callback"}, **c
            ),
            make_event(
                "contact.wrapup_completed",
                at("09:09:00"),
                {"disposition": "done", "resolved": True},
                **c,
            ),
        ]
        return calls, wrapups

    calls, wrapups = lifecycle("early")
    ingest(ingestor, [wrapups[1]], [wrapups[0]], calls)  # wrap-ups first, latest one first of all
    calls, wrapups = lifecycle("late")
    ingest(ingestor, calls, wrapups)
    early, late = contact(store, "early"), contact(store, "late")
    assert (early.acw_s, early.disposition, early.resolved) == (
        180,
        "done",
        True,
    )  # 09:06 → 09:09, latest wins
    assert early.handle_s == 480  # 300 talk + 0 hold + 180 ACW
    assert early.model_dump(exclude={"contactid"}) == late.model_dump(exclude={"contactid"})


def test_gap_to_next_contact_across_three_contacts_arriving_out_of_order(
    store, ingestor, make_event
):
    def offered(contactid: str, clock: str) -> dict:
        return make_event("contact.offered", at(clock), {"customer": CUSTOMER}, contactid=contactid)

    ingest(ingestor, [offered("third", "12:00:00")], [offered("first", "09:00:00")])
    assert (
        contact(store, "first").next_contact_gap_s == 10800
    )  # 09:00 → 12:00 while the middle one is missing
    ingest(
        ingestor,
        [
            offered("second", "10:30:00"),
            make_event(
                "contact.offered", at("11:00:00"), {"customer": "+31209999999"}, contactid="other"
            ),
        ],
    )
    gaps = [contact(store, cid).next_contact_gap_s for cid in ("first", "second", "third", "other")]
    assert gaps == [5400, 5400, None, None]  # 09:00 → 10:30 → 12:00; another customer is apart
