"""Recovery of missed contacts: hand-worked timelines through ingest and the projector, on
SQLite and PostgreSQL (the conformance class), in every arrival order and batching, and on
DuckDB (the columnar snapshot).

2026-01-05 (UTC), seconds after 09:00; the window is 60 min = 3,600 s:

    m1  A   0     abandoned after 30 s (gave up at 30)
    m2  A   600   abandoned after 20 s (gave up at 620)
    x2  A   1200  answered after 10 s (at 1210): m1 recovered after 1180 s, m2 after 590 s, inbound
    m3  B   300   abandoned after 60 s (gave up at 360)
    cb  B   900   outbound callback of m3, answered after 5 s (905): m3 recovered after 545 s, callback
    m4  C   400   timed out after 120 s (gave up at 520)
    o4  C   7600  outbound, answered after 10 s (7610): m4 recovered after 7090 s (outside 60 min)
    m5  D   500   abandoned after 15 s
    n5  D   1000  outbound that never connected (setup_failed): D is still not reached
    m6  -   700   abandoned, no caller number: unidentified
    m7  E   8000  abandoned, never reached
    z9  Z   10800 answered: the end of the data

Censoring cut-off at 60 min: 10800 − 3600 = 7200, so m7 is censored; watched m1–m5 = 5.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
from kpi_timeline import StandardKpiTests, at
from sqlalchemy import select

from callkpi.connectors import RawEvent
from callkpi.kpi import ReportRequest, run_report
from callkpi.kpi.conformance import expect
from callkpi.store.tables import ContactFact

A, B, C, D, E, Z = (f"+3120000010{i}" for i in range(6))


def missed(make, cid, start, wait, customer=None, timed_out=False):
    ext = {"contactid": cid, "queue": "sales", "channel": "voice"}
    who = {"customer": customer} if customer else {}
    end = (
        make("contact.ended", at(start + wait), {"ended_by": "system", "timed_out": True}, **ext)
        if timed_out
        else make("contact.abandoned", at(start + wait), **ext)
    )
    return [make("contact.offered", at(start), who, **ext), end]


def reached(make, cid, start, wait, customer, direction="inbound", callback_of=None):
    ext = {"contactid": cid, "queue": "sales", "channel": "voice"}
    data = {"customer": customer, "direction": direction}
    if callback_of:
        data["callback_of"] = callback_of
    return [
        make("contact.offered", at(start), data, **ext),
        make("contact.answered", at(start + wait), agentid="a1", **ext),
        make("contact.ended", at(start + wait + 60), {"ended_by": "customer"}, agentid="a1", **ext),
    ]


def recovery_timeline(make):
    return [
        *missed(make, "m1", 0, 30, A),
        *missed(make, "m2", 600, 20, A),
        *reached(make, "x2", 1200, 10, A),
        *missed(make, "m3", 300, 60, B),
        *reached(make, "cb", 900, 5, B, "outbound", callback_of="m3"),
        *missed(make, "m4", 400, 120, C, timed_out=True),
        *reached(make, "o4", 7600, 10, C, "outbound"),
        *missed(make, "m5", 500, 15, D),
        make("contact.setup_failed", at(1000), {"customer": D, "direction": "outbound"},
             contactid="n5", queue="sales", channel="voice"),
        *missed(make, "m6", 700, 25),
        *missed(make, "m7", 8000, 40, E),
        *reached(make, "z9", 10800, 10, Z),
    ]


class TestRecovery(StandardKpiTests):
    expected = (
        expect("abandon_recovery_rate", 60, n=5),  # m1, m2, m3 of m1–m5
        expect("abandon_recovery_rate", 20, "callback", n=5),  # m3
        # 10 min: m2 (590 s) and m3 (545 s); the cut-off moves to 10200, so m7 is watched too
        expect("abandon_recovery_rate", 100 / 3, n=6, window_min=10),
        expect("time_to_recovery", (1180 + 590 + 545 + 7090) / 4, n=4),
    )

    def timeline(self, make_event):
        return recovery_timeline(make_event)


EXPECTED_ROWS = {
    "m1": (1180.0, "inbound", "x2"),
    "m2": (590.0, "inbound", "x2"),
    "m3": (545.0, "callback", "cb"),
    "m4": (7090.0, "outbound", "o4"),
}


def recovery_rows(store) -> dict[str, tuple]:
    facts = ContactFact.__table__
    query = select(facts.c.contactid, facts.c.recovered_after_s, facts.c.recovered_by, facts.c.recovery_contactid)
    with store.transaction() as connection:
        rows = connection.execute(query).all()
    return {row[0]: tuple(row[1:]) for row in rows if row[1] is not None or row[2] is not None}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_order_and_batching_gives_the_same_recoveries(store, ingestor, make_event, seed):
    events = recovery_timeline(make_event)
    random.Random(seed).shuffle(events)
    # several batches: a recovering contact often arrives in a later batch than the missed one
    for start in range(0, len(events), 7):
        ingestor.ingest_batch([RawEvent(e, f"e{start + i}") for i, e in enumerate(events[start : start + 7])])
    assert recovery_rows(store) == EXPECTED_ROWS


def test_a_later_answer_replaces_the_recovery(store, ingestor, make_event):
    """x2 arrives first and recovers m1; a callback answered earlier, arriving later, takes over."""
    first = [*missed(make_event, "m1", 0, 30, A), *reached(make_event, "x2", 1200, 10, A)]
    ingestor.ingest_batch([RawEvent(e, f"a{i}") for i, e in enumerate(first)])
    assert recovery_rows(store) == {"m1": (1180.0, "inbound", "x2")}
    callback = reached(make_event, "cb1", 100, 20, A, "outbound", callback_of="m1")
    ingestor.ingest_batch([RawEvent(e, f"b{i}") for i, e in enumerate(callback)])
    assert recovery_rows(store) == {"m1": (90.0, "callback", "cb1")}  # 120 − 30


def test_duckdb_gives_the_same_numbers(store, ingestor, make_event, standard_kpis, tmp_path):
    ingestor.ingest_batch([RawEvent(e, f"e{i}") for i, e in enumerate(recovery_timeline(make_event))])
    kpis = tuple(e.selection for e in TestRecovery.expected)
    day = date(2026, 1, 5)
    request = ReportRequest(kpis, day, day, (), "default", "duckdb")
    (row,) = run_report(store, request, registry=standard_kpis, snapshot_dir=tmp_path / "snap").rows
    assert [value.value for value in row.values.values()] == pytest.approx([60, 20, 100 / 3, 2351.25])
