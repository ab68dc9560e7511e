"""Transfers through the real ingest: queue KPIs count queue legs, agent KPIs agent legs.

Every time is seconds after 2026-01-05 09:00 UTC (centre ``default``, UTC); the whole
timeline lies in the local interval 09:00 (legs are bucketed by their offer, all before 09:15
except E, offered 09:30).

    B  blind transfer support/a1 → sales/a2, a hold on each leg, ACW for each agent
       0 offered support · 10 answered a1 (wait 10) · 40–60 hold a1 · 100 transferred by a1
       (blind, to_queue sales) · 100 offered sales · 130 answered a2 (wait 30) · 200–210 hold a2
       · 350 ended · 115 wrap-up a1 · 370 wrap-up a2
       a1: talk (100 − 10) − 20 = 70, hold 20, ACW 115 − 100 = 15 → handle 105, transferred
       a2: talk (350 − 130) − 10 = 210, hold 10, ACW 370 − 350 = 20 → handle 240
       contact view (before legs): a1 talk (350 − 10) − 30 = 310, hold 30, ACW 20 → handle 360
    C  attended transfer support/a1 → a3 directly (a consult on hold, a3 picks up as a1 hands over)
       600 offered support · 605 answered a1 (wait 5) · 640 hold a1 · 690 answered a3 · 690 hold
       ended · 690 transferred by a1 (attended, to_agent a3) · 900 ended · 700 wrap-up a1 · 930
       wrap-up a3
       a1: talk (690 − 605) − 50 = 35, hold 50, ACW 10 → handle 95, transferred
       a3: talk 900 − 690 = 210, ACW 30 → handle 240
       contact view: a1 talk (900 − 605) − 50 = 245, hold 50, ACW 930 − 900 = 30 → handle 325
    D  abandon in the second queue: 1200 offered support · 1220 answered a2 (wait 20) · 1300
       transferred by a2 (blind, to sales) · 1300 offered sales · 1360 abandoned (wait 60) · 1360
       ended · 1310 wrap-up a2
       a2: talk 80, ACW 10 → handle 90, transferred; sales: offered 1, abandoned 1
       contact view: answered by a2, talk 1360 − 1220 = 140, ACW 0 → handle 140
    E  no transfer: 1800 offered sales · 1804 answered a2 (wait 4) · 1900 ended · 1905 wrap-up
       a2: talk 96, ACW 5 → handle 101 (the same in both views)

Queue legs: support B, C, D (waits 10, 5, 20, all answered); sales B (30, answered), D (60,
abandoned), E (4, answered). Agent legs: a1 B 105, C 95; a2 B 240, D 90, E 101; a3 C 240.
"""

from __future__ import annotations

from datetime import date

import pytest
from kpi_timeline import StandardKpiTests, at

from callkpi.connectors import RawEvent
from callkpi.kpi import run_report
from callkpi.kpi.conformance import expect
from callkpi.kpi.report import KpiSelection, ReportRequest

DAY = date(2026, 1, 5)


def blind_transfer(make):
    b = {"contactid": "B", "channel": "voice"}
    return [
        make("contact.offered", at(0), {"direction": "inbound"}, queue="support", **b),
        make("contact.answered", at(10), agentid="a1", queue="support", **b),
        make("contact.hold_started", at(40), agentid="a1", **b),
        make("contact.hold_ended", at(60), agentid="a1", **b),
        make(
            "contact.transferred",
            at(100),
            {"kind": "blind", "to_queue": "sales"},
            agentid="a1",
            queue="support",
            **b,
        ),
        make("contact.offered", at(100), queue="sales", **b),
        make("contact.answered", at(130), agentid="a2", queue="sales", **b),
        make("contact.hold_started", at(200), agentid="a2", **b),
        make("contact.hold_ended", at(210), agentid="a2", **b),
        make("contact.ended", at(350), {"ended_by": "customer"}, agentid="a2", **b),
        make("contact.wrapup_completed", at(115), agentid="a1", **b),
        make("contact.wrapup_completed", at(370), agentid="a2", **b),
    ]


def transfers(make):
    c = {"contactid": "C", "channel": "voice", "queue": "support"}
    d = {"contactid": "D", "channel": "voice"}
    e = {"contactid": "E", "channel": "voice", "queue": "sales"}
    return [
        *blind_transfer(make),
        make("contact.offered", at(600), **c),
        make("contact.answered", at(605), agentid="a1", **c),
        make("contact.hold_started", at(640), agentid="a1", **c),
        make("contact.answered", at(690), agentid="a3", **c),
        make("contact.hold_ended", at(690), agentid="a3", **c),
        make(
            "contact.transferred", at(690), {"kind": "attended", "to_agent": "a3"}, agentid="a1", **c
        ),
        make("contact.ended", at(900), {"ended_by": "customer"}, agentid="a3", **c),
        make("contact.wrapup_completed", at(700), agentid="a1", **c),
        make("contact.wrapup_completed", at(930), agentid="a3", **c),
        make("contact.offered", at(1200), queue="support", **d),
        make("contact.answered", at(1220), agentid="a2", queue="support", **d),
        make(
            "contact.transferred",
            at(1300),
            {"kind": "blind", "to_queue": "sales"},
            agentid="a2",
            queue="support",
            **d,
        ),
        make("contact.offered", at(1300), queue="sales", **d),
        make("contact.abandoned", at(1360), queue="sales", **d),
        make("contact.ended", at(1360), {"ended_by": "customer"}, queue="sales", **d),
        make("contact.wrapup_completed", at(1310), agentid="a2", **d),
        make("contact.offered", at(1800), **e),
        make("contact.answered", at(1804), agentid="a2", **e),
        make("contact.ended", at(1900), {"ended_by": "customer"}, agentid="a2", **e),
        make("contact.wrapup_completed", at(1905), agentid="a2", **e),
    ]


class TestBlindTransfer(StandardKpiTests):
    """Contact B alone: two queues, two agents, one contact."""

    expected = (
        expect("offered", 2),  # support 1 + sales 1
        expect("offered", 1, "first_queue"),  # one contact
        expect("answered", 2),
        expect("answered", 1, "first_queue"),
        expect("aht", 345 / 2, n=2),  # (a1 105 + a2 240) ÷ 2 agent legs = 172.5 s
        expect("aht", 360, "per_contact", n=1),  # the contact's 360 s, all a1's
        expect("avg_talk_time", 140),  # (70 + 210) ÷ 2
        expect("avg_hold_time", 15, n=2),  # (20 + 10) ÷ 2 legs on hold
        expect("avg_acw", 17.5),  # (15 + 20) ÷ 2
        expect("transfer_rate", 50),  # a1's leg ÷ 2 legs
        expect("asa", 20),  # (10 + 30) ÷ 2 answered legs
    )

    def timeline(self, make_event):
        return blind_transfer(make_event)


class TestTransfers(StandardKpiTests):
    """The four contacts: the centre's day, legs against the contact view."""

    expected = (
        expect("offered", 6),  # support 3 + sales 3
        expect("offered", 4, "first_queue"),  # B, C, D, E
        expect("answered", 5),  # every queue leg but D's in sales
        expect("answered", 4, "first_queue"),
        expect("answer_rate", 500 / 6),  # 5 ÷ 6
        expect("answer_rate", 100, "first_queue"),  # 4 ÷ 4: D's abandon is invisible per contact
        expect("abandon_rate", 100 / 6),  # D in sales: 1 ÷ 6
        expect("abandon_rate", 0, "first_queue"),
        # waits ≤ 20 s: support 10, 5, 20 and sales E 4 → 4 ÷ 6
        expect("service_level", 400 / 6),
        # contact view: B 10, C 5, D 20, E 4 all ≤ 20 → 4 ÷ 4
        expect("service_level", 100, "first_queue"),
        expect("asa", 69 / 5, n=5),  # (10 + 5 + 20 + 30 + 4) ÷ 5
        expect("asa", 39 / 4, "first_queue", n=4),  # (10 + 5 + 20 + 4) ÷ 4
        expect("avg_queue_time", 129 / 6),  # (10 + 5 + 20 + 30 + 60 + 4) ÷ 6
        expect("longest_wait", 60),  # D in sales
        expect("avg_abandon_time", 60),
        expect("abandoned_within", 100 / 6),  # D's 60 s ≤ 60 s, ÷ 6
        expect("aht", 871 / 6, n=6),  # (105 + 95 + 240 + 90 + 101 + 240) ÷ 6
        expect("aht", 926 / 4, "per_contact", n=4),  # (360 + 325 + 140 + 101) ÷ 4
        expect("avg_talk_time", 701 / 6),  # (70 + 35 + 210 + 80 + 96 + 210) ÷ 6
        expect("avg_call_length", 781 / 6),  # talk 701 + hold 80
        expect("avg_hold_time", 80 / 3, n=3),  # (20 + 50 + 10) ÷ 3 legs on hold
        expect("hold_rate", 50),  # 3 ÷ 6
        expect("longest_hold", 50),  # a1's consult hold on C
        expect("avg_acw", 15),  # (15 + 10 + 20 + 10 + 5 + 30) ÷ 6
        expect("transfer_rate", 50),  # a1 B, a1 C, a2 D ÷ 6
    )

    def timeline(self, make_event):
        return transfers(make_event)


def grouped(ingestor, kpis, registry, group_by, snapshot_dir=None):
    """The report on the store's database, or with ``snapshot_dir`` on DuckDB over its snapshot."""
    selections = tuple(KpiSelection(*kpi.split(":")) for kpi in kpis)
    if snapshot_dir is None:
        return run_report(ingestor.store, ReportRequest(selections, DAY, DAY, group_by), registry=registry)
    request = ReportRequest(selections, DAY, DAY, group_by, engine="duckdb")
    return run_report(ingestor.store, request, registry=registry, snapshot_dir=snapshot_dir)


QUEUE_KPIS = ("offered", "answered", "abandon_rate", "asa", "service_level")
AGENT_KPIS = ("aht", "avg_talk_time", "avg_hold_time", "avg_acw", "transfer_rate")
BY_QUEUE = {
    # support: B, C, D answered with waits 10, 5, 20
    "support": {"offered": 3, "answered": 3, "abandon_rate": 0, "asa": 35 / 3, "service_level": 100},
    # sales: B answered (30), D abandoned (60), E answered (4): 1 of 3 within 20 s
    "sales": {"offered": 3, "answered": 2, "abandon_rate": 100 / 3, "asa": 17, "service_level": 100 / 3},
}
BY_AGENT = {
    # a1: B 105 (talk 70, hold 20, ACW 15), C 95 (talk 35, hold 50, ACW 10), both passed on
    "a1": {"aht": 100, "avg_talk_time": 52.5, "avg_hold_time": 35, "avg_acw": 12.5, "transfer_rate": 100},
    # a2: B 240 (talk 210, hold 10, ACW 20), D 90 (talk 80, ACW 10, transferred), E 101 (96, 5)
    "a2": {
        "aht": 431 / 3,
        "avg_talk_time": 386 / 3,
        "avg_hold_time": 10,
        "avg_acw": 35 / 3,
        "transfer_rate": 100 / 3,
    },
    # a3: C 240 (talk 210, ACW 30); no hold: avg_hold_time has no data
    "a3": {"aht": 240, "avg_talk_time": 210, "avg_hold_time": None, "avg_acw": 30, "transfer_rate": 0},
}


def values(report, dimension, expected):
    return {
        key: {kpi: report.row(**{dimension: key})[kpi] for kpi in wanted}
        for key, wanted in expected.items()
    }


def approx(expected):
    return {
        key: {kpi: None if v is None else pytest.approx(v) for kpi, v in row.items()}
        for key, row in expected.items()
    }


@pytest.fixture
def loaded(ingestor, make_event):
    outcomes = ingestor.ingest_batch(
        [RawEvent(e, f"event {i}") for i, e in enumerate(transfers(make_event))]
    )
    assert all(o.status == "accepted" for o in outcomes), [o.reasons for o in outcomes]
    return ingestor


@pytest.mark.parametrize("engine", ["store", "duckdb"])
def test_queue_kpis_count_each_queue_a_contact_entered(loaded, standard_kpis, engine, tmp_path):
    """SQLite and PostgreSQL (the store fixture), and DuckDB over each one's snapshot."""
    snapshot = tmp_path / "snapshot" if engine == "duckdb" else None
    report = grouped(loaded, QUEUE_KPIS, standard_kpis, ("queue",), snapshot)
    assert values(report, "queue", BY_QUEUE) == approx(BY_QUEUE)


@pytest.mark.parametrize("engine", ["store", "duckdb"])
def test_agent_kpis_count_each_agent_who_handled_a_contact(loaded, standard_kpis, engine, tmp_path):
    snapshot = tmp_path / "snapshot" if engine == "duckdb" else None
    report = grouped(loaded, AGENT_KPIS, standard_kpis, ("agent",), snapshot)
    assert values(report, "agent", BY_AGENT) == approx(BY_AGENT)


def test_first_queue_puts_the_contact_in_its_first_queue(loaded, standard_kpis):
    report = grouped(loaded, ("offered:first_queue", "aht:per_contact"), standard_kpis, ("queue",))
    # B, C, D entered support first, E sales; per contact the first agent takes it all:
    # support (360 + 325 + 140) ÷ 3 = 275, sales 101
    assert report.row(queue="support")["offered:first_queue"] == 3
    assert report.row(queue="sales")["offered:first_queue"] == 1
    assert report.row(queue="support")["aht:per_contact"] == pytest.approx(275)
    assert report.row(queue="sales")["aht:per_contact"] == pytest.approx(101)
