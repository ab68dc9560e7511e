"""Case, QA, sale and forecast facts from hand-worked timelines, through the real Ingestor,
in and out of order and rebuilt."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from callkpi.connectors import RawEvent
from callkpi.projector import rebuild
from callkpi.store.centres import load_centres
from callkpi.store.tables import CaseFact, ForecastIntervalFact, QaEvaluationFact, SaleFact

TABLES = (CaseFact, QaEvaluationFact, SaleFact, ForecastIntervalFact)


def ingest(ingestor, *batches: list[dict]) -> None:
    for batch in batches:
        outcomes = ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in batch])
        assert {o.status for o in outcomes} <= {"accepted", "duplicate"}, outcomes


def at(clock: str, day: int = 5) -> str:
    return f"2026-01-{day:02d}T{clock}Z"


def utc(clock: str, day: int = 5) -> datetime:
    return datetime.fromisoformat(at(clock, day))


def rows(store, table: Any) -> list[dict[str, Any]]:
    keys = list(table.__table__.primary_key.columns)
    with store.transaction() as connection:
        found = connection.execute(select(table.__table__).order_by(*keys)).mappings()
        return [dict(row) for row in found]


def all_rows(store) -> list[list[dict[str, Any]]]:
    return [rows(store, table) for table in TABLES]


def business_events(make_event) -> list[dict]:
    envelope = {"contactid": "c1", "agentid": "a1", "queue": "sales"}
    forecast = {
        "interval_minutes": 30,
        "intervals": [{"start": at("09:00:00"), "offered": 10, "aht_s": 240}],
    }
    newer = {"intervals": [{"start": at("09:15:00"), "offered": 7, "aht_s": 200}]}
    return [
        make_event(
            "case.opened", at("09:00:00"), {"caseid": "k1", "category": "billing"}, **envelope
        ),
        make_event("case.resolved", at("11:30:00", day=6), {"caseid": "k1"}),
        make_event("case.resolved", at("12:00:00", day=6), {"caseid": "k1"}),  # a later one
        make_event("case.opened", at("10:00:00"), {"caseid": "k2"}, queue="support"),
        make_event(
            "qa.evaluated",
            at("14:00:00"),
            {"evaluationid": "e1", "form": "voice-v2", "score": 42, "max_score": 50},
            agentid="a1",
            contactid="c1",
        ),
        make_event(
            "sale.recorded",
            at("09:10:00"),
            {"saleid": "x1", "amount": 99.5, "currency": "EUR", "cross_sell": True},
            **envelope,
        ),
        make_event("forecast.published", at("08:00:00", day=1), forecast, queue="sales"),
        make_event("forecast.published", at("08:00:00", day=2), newer, queue="sales"),
    ]


def test_cases_evaluations_sales_and_forecasts(store, ingestor, make_event):
    ingest(ingestor, *([event] for event in reversed(business_events(make_event))))
    cases, evaluations, sales, forecasts = all_rows(store)
    k1, k2 = cases
    assert (k1["caseid"], k1["contactid"], k1["agentid"], k1["queue"]) == (
        "k1",
        "c1",
        "a1",
        "sales",
    )
    assert k1["category"] == "billing" and k1["opened_at"] == utc("09:00:00")
    # the earliest resolution: 2026-01-06 11:30 − 2026-01-05 09:00 = 26 h 30 min = 95 400 s
    assert k1["resolved_at"] == utc("11:30:00", day=6) and k1["resolution_s"] == 95_400
    assert k1["opened_epoch_s"] == utc("09:00:00").timestamp() == 1_767_603_600
    assert k1["local_date"] == date(2026, 1, 5) and k1["local_interval"] == 540
    assert k2["resolved_at"] is None and k2["resolution_s"] is None and k2["queue"] == "support"
    (evaluation,) = evaluations
    assert (evaluation["form"], evaluation["score"], evaluation["max_score"]) == (
        "voice-v2",
        42,
        50,
    )
    assert evaluation["agentid"] == "a1" and evaluation["evaluated_at"] == utc("14:00:00")
    (sale,) = sales
    assert (sale["amount"], sale["currency"], sale["cross_sell"]) == (99.5, "EUR", True)
    assert sale["agentid"] == "a1" and sale["local_interval"] == 540
    # 09:00–09:30 forecast 10 contacts → 5 per quarter hour; the newer publication
    # replaces 09:15 with 7 contacts at 200 s
    assert [(f["interval_start"], f["offered"], f["aht_s"]) for f in forecasts] == [
        (utc("09:00:00"), 5.0, 240.0),
        (utc("09:15:00"), 7.0, 200.0),
    ]
    assert forecasts[1]["published_at"] == utc("08:00:00", day=2)
    assert [f["local_interval"] for f in forecasts] == [540, 555]


def test_every_order_and_a_rebuild_give_the_same_rows(store, ingestor, make_event):
    events = business_events(make_event)
    ingest(ingestor, events[4:], events[:4])
    split = all_rows(store)
    ingest(ingestor, events)  # all duplicates now: nothing changes
    assert all_rows(store) == split
    with store.transaction() as connection:
        rebuild(connection, load_centres(connection))
    assert all_rows(store) == split
    assert [len(table) for table in split] == [2, 1, 1, 2]


def test_a_resolution_before_the_opening_arrives(store, ingestor, make_event):
    ingest(
        ingestor,
        [make_event("case.resolved", at("10:30:00"), {"caseid": "k9"})],
        [make_event("case.opened", at("10:00:00"), {"caseid": "k9"}, agentid="a2")],
    )
    (case,) = rows(store, CaseFact)
    # 10:30 − 10:00 = 1 800 s, merged whichever part came first
    assert case["resolution_s"] == 1800 and case["agentid"] == "a2"
    assert case["local_interval"] == 600
