"""Local-time buckets: 23- and 25-hour days in Amsterdam, the +05:45 offset of Kathmandu."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from callkpi.connectors import RawEvent
from callkpi.store.centres import add_centre
from callkpi.store.tables import AgentIntervalFact, ContactFact


def setup(store, ingestor, zone: str, events: list[dict]) -> None:
    with store.transaction() as connection:
        add_centre(connection, "local", zone)
    outcomes = ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in events])
    assert {o.status for o in outcomes} == {"accepted"}, outcomes


def rows(store, table) -> list[dict]:
    with store.transaction() as connection:
        return [
            dict(r)
            for r in connection.execute(
                select(table.__table__).order_by(*table.__table__.primary_key)
            ).mappings()
        ]


def shift(make_event, start: str, end: str) -> list[dict]:
    return [
        make_event(
            "agent.state_changed", start, {"state": "available"}, agentid="a1", centre="local"
        ),
        make_event(
            "agent.state_changed", end, {"state": "logged_out"}, agentid="a1", centre="local"
        ),
    ]


def offer(make_event, contactid: str, time: str) -> dict:
    return make_event("contact.offered", time, contactid=contactid, centre="local")


def test_amsterdam_23_hour_day(store, ingestor, make_event):
    # 2026-03-29: at 01:00 UTC local time jumps from 02:00 CET to 03:00 CEST.
    setup(
        store,
        ingestor,
        "Europe/Amsterdam",
        [
            *shift(
                make_event, "2026-03-28T23:00:00Z", "2026-03-29T04:00:00Z"
            ),  # local 00:00 → 06:00, 5 real hours
            offer(make_event, "before", "2026-03-29T00:30:00Z"),  # 01:30 CET
            offer(make_event, "after", "2026-03-29T01:10:00Z"),  # 03:10 CEST
        ],
    )
    contacts = {row["contactid"]: row for row in rows(store, ContactFact)}
    assert (contacts["before"]["local_interval"], contacts["before"]["local_hour"]) == (90, 1)
    assert (contacts["after"]["local_interval"], contacts["after"]["local_hour"]) == (180, 3)
    assert (
        contacts["after"]["local_date"] == date(2026, 3, 29)
        and contacts["after"]["local_weekday"] == 7
    )
    assert contacts["after"]["local_week"] == date(2026, 3, 23)  # the Monday before that Sunday
    intervals = rows(store, AgentIntervalFact)
    assert (
        sum(row["staffed_s"] for row in intervals) == 18000
    )  # 5 hours, not the 6 on the wall clock
    assert {row["local_date"] for row in intervals} == {date(2026, 3, 29)}
    # local 00:00–02:00 (8 intervals), then 03:00–06:00 (12 intervals): 02:00–03:00 does not exist
    assert [row["local_interval"] for row in intervals] == [
        *range(0, 120, 15),
        *range(180, 360, 15),
    ]


def test_amsterdam_25_hour_day(store, ingestor, make_event):
    # 2026-10-25: at 01:00 UTC local time falls back from 03:00 CEST to 02:00 CET.
    setup(
        store,
        ingestor,
        "Europe/Amsterdam",
        [
            *shift(
                make_event, "2026-10-24T22:00:00Z", "2026-10-25T05:00:00Z"
            ),  # local 00:00 → 06:00, 7 real hours
            offer(make_event, "first", "2026-10-25T00:30:00Z"),  # 02:30 CEST
            offer(make_event, "second", "2026-10-25T01:30:00Z"),  # 02:30 CET, the same wall clock
        ],
    )
    contacts = [
        (row["local_date"], row["local_interval"], row["local_hour"])
        for row in rows(store, ContactFact)
    ]
    assert contacts == [(date(2026, 10, 25), 150, 2)] * 2
    intervals = rows(store, AgentIntervalFact)
    assert sum(row["staffed_s"] for row in intervals) == 25200  # 7 hours
    assert len(intervals) == 28 and {row["local_date"] for row in intervals} == {date(2026, 10, 25)}
    # local 00:00–03:00 CEST (12 intervals), then 02:00–06:00 CET (16): 02:00–02:45 twice
    assert [row["local_interval"] for row in intervals] == [
        *range(0, 180, 15),
        *range(120, 360, 15),
    ]


def test_kathmandu_quarter_hour_offset(store, ingestor, make_event):
    setup(
        store,
        ingestor,
        "Asia/Kathmandu",
        [
            *shift(
                make_event, "2026-01-05T03:10:00Z", "2026-01-05T03:40:00Z"
            ),  # local 08:55 → 09:25
            offer(make_event, "morning", "2026-01-05T03:20:00Z"),  # 09:05 local
            offer(make_event, "midnight", "2026-01-05T18:20:00Z"),  # 00:05 local on the 6th
        ],
    )
    contacts = {row["contactid"]: row for row in rows(store, ContactFact)}
    assert (contacts["morning"]["local_interval"], contacts["morning"]["local_hour"]) == (540, 9)
    assert (contacts["midnight"]["local_date"], contacts["midnight"]["local_interval"]) == (
        date(2026, 1, 6),
        0,
    )
    intervals = rows(store, AgentIntervalFact)
    # UTC intervals 03:00, 03:15, 03:30 are local 08:45, 09:00, 09:15
    assert [(row["local_interval"], row["staffed_s"]) for row in intervals] == [
        (525, 300),
        (540, 900),
        (555, 600),
    ]
