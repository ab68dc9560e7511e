"""Still-open agent episodes count up to the data end: hand-worked timelines through the real ingest.

2026-01-05, UTC centre ``default``:

    a1  09:00 available ……………………………………… (open at the data end) · 10:30 logged out (arrives later)
    a2  09:00 available · 10:20 on contact (the centre's last event: the data end is 10:20)
    a3  09:30 not ready "lunch" (a break; open at the data end)

At the data end 10:20, a1's open episode is 09:00–10:20 = 4,800 s available, staffed; a3's is
09:30–10:20 = 3,000 s not ready. a2's 09:00–10:20 is closed (4,800 s available) and its
on-contact episode opens at the data end (0 s).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from callkpi.connectors import RawEvent
from callkpi.kpi import ReportRequest, run_report
from callkpi.projector import rebuild, refresh_open_time
from callkpi.store.centres import load_centres
from callkpi.store.tables import AgentIntervalFact, AgentOpenEpisode, AgentOpenIntervalFact, CentreDataEnd

DAY = date(2026, 1, 5)
DATA_END = datetime(2026, 1, 5, 10, 20, tzinfo=UTC)


def at(clock: str) -> str:
    return f"2026-01-05T{clock}:00Z"


def state(make, clock, agent, name, **data):
    return make("agent.state_changed", at(clock), {"state": name, **data}, agentid=agent)


def floor_day(make) -> list[dict]:
    return [
        state(make, "09:00", "a1", "available"),
        state(make, "09:00", "a2", "available"),
        state(make, "09:30", "a3", "not_ready", reason="Lunch"),
        state(make, "10:20", "a2", "on_contact"),
    ]


def ingest(ingestor, *batches):
    for batch in batches:
        outcomes = ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in batch])
        assert {o.status for o in outcomes} == {"accepted"}, outcomes


def agent_report(ingestor, registry, *kpis, by=("agent",)):
    request = ReportRequest(kpis, DAY, DAY, by, centre="default")
    return run_report(ingestor.store, request, registry=registry)


def test_an_open_episode_counts_up_to_the_data_end_with_its_detail(ingestor, standard_kpis, make_event):
    ingest(ingestor, floor_day(make_event))
    report = agent_report(ingestor, standard_kpis, "utilization", "availability", "occupancy")
    a1 = report.row(agent="a1").values
    # staffed = utilization's sample: 09:00–10:20 = 4,800 s, all of it still open, all available
    assert (a1["utilization"].value, a1["utilization"].n) == (0, 4800)
    assert a1["availability"].value == 100
    assert a1["utilization"].details == {"open_s": 4800.0, "open_until": DATA_END.timestamp()}
    assert a1["utilization"].note == "includes 4,800 s still open at 2026-01-05 10:20"
    # a2: 4,800 s closed, its on-contact episode opened at the data end itself: nothing open
    a2 = report.row(agent="a2").values["utilization"]
    assert (a2.n, a2.details["open_s"], a2.note) == (4800, 0.0, None)
    # a3 paused at 09:30: 3,000 s not ready, staffed, not available; no ready time for occupancy
    a3 = report.row(agent="a3").values
    assert (a3["utilization"].n, a3["availability"].value) == (3000, 0)
    assert a3["occupancy"].value is None
    assert a3["availability"].note == "includes 3,000 s still open at 2026-01-05 10:20"


def test_the_report_period_cuts_the_open_time(ingestor, standard_kpis, make_event):
    ingest(ingestor, floor_day(make_event))
    by_hour = agent_report(ingestor, standard_kpis, "utilization", by=("agent", "hour"))
    nine, ten = by_hour.row(agent="a1", hour=9).values, by_hour.row(agent="a1", hour=10).values
    # 09:00–10:00 holds 3,600 s of it, 10:00–10:20 the other 1,200 s
    assert (nine["utilization"].n, nine["utilization"].details["open_s"]) == (3600, 3600.0)
    assert (ten["utilization"].n, ten["utilization"].details["open_s"]) == (1200, 1200.0)
    # the day before the episode: nothing; a day after the data end: nothing either
    for day in (date(2026, 1, 4), date(2026, 1, 6)):
        request = ReportRequest(("utilization",), day, day, ("agent",), centre="default")
        assert run_report(ingestor.store, request, registry=standard_kpis).rows == ()


def test_the_open_time_is_split_over_15_minute_intervals(ingestor, standard_kpis, make_event):
    ingest(ingestor, floor_day(make_event))
    refresh_open_time(ingestor.store)
    rows = _open_rows(ingestor.store, "a1")
    # 09:00, 09:15, 09:30, 09:45, 10:00 whole (900 s); 10:15–10:20 300 s
    assert {clock: row["available_s"] for clock, row in rows.items()} == {
        "09:00": 900, "09:15": 900, "09:30": 900, "09:45": 900, "10:00": 900, "10:15": 300,
    }
    assert all(row["staffed_s"] == row["available_s"] for row in rows.values())
    # a3's break counts where it started (09:30), once; 09:30–10:20 not ready
    paused = _open_rows(ingestor.store, "a3")
    assert {clock: (row["not_ready_s"], row["breaks_started"]) for clock, row in paused.items()} == {
        "09:30": (900, 1), "09:45": (900, 0), "10:00": (900, 0), "10:15": (300, 0),
    }
    by_interval = agent_report(ingestor, standard_kpis, "utilization", by=("agent", "interval15"))
    assert by_interval.row(agent="a1", interval15=10 * 60 + 15).values["utilization"].n == 300
    # nothing open is in the closed facts
    assert _closed_rows(ingestor.store, "a1") == {}


def test_the_end_arriving_gives_exactly_the_closed_numbers(ingestor, standard_kpis, make_event):
    ingest(ingestor, floor_day(make_event))
    assert agent_report(ingestor, standard_kpis, "utilization").row(agent="a1").values["utilization"].n == 4800
    logoff = state(make_event, "10:30", "a1", "logged_out")
    ingest(ingestor, [logoff])
    report = agent_report(ingestor, standard_kpis, "utilization", "break_count")
    a1 = report.row(agent="a1").values["utilization"]
    # closed 09:00–10:30 = 5,400 s, none of it open: not 4,800 + 5,400
    assert (a1.n, a1.details.get("open_s"), a1.note) == (5400, 0.0, None)
    assert _open_rows(ingestor.store, "a1") == {}
    # the data end moved to 10:30: a3's pause now 09:30–10:30, a2 on contact 10:20–10:30
    assert report.row(agent="a3").values["utilization"].n == 3600
    assert report.row(agent="a2").values["utilization"].value == pytest.approx(600 / 5400 * 100)
    assert report.row(agent="a3").values["break_count"].value == 1  # the open lunch, once
    assert _closed_rows(ingestor.store, "a1")["10:15"]["available_s"] == 900


def test_any_order_and_batching_give_the_same_open_facts(store, ingestor, standard_kpis, make_event):
    events = [*floor_day(make_event), state(make_event, "10:05", "a1", "not_ready", reason="Coffee")]
    expected = _facts_after(store, ingestor, [events])
    shuffled = events[:]
    random.Random(5).shuffle(shuffled)
    # one at a time, refreshing in between: the partial recounts must add up to the same rows
    assert _facts_after(store, ingestor, [[event] for event in shuffled], refresh_each=True) == expected
    assert _facts_after(store, ingestor, [shuffled[:2], shuffled[2:]]) == expected
    with store.transaction() as connection:
        rebuild(connection, load_centres(connection))
    refresh_open_time(store)
    assert _read_facts(store) == expected


def _facts_after(store, ingestor, batches, refresh_each=False):
    with store.transaction() as connection:
        for table in (*_TABLES, CentreDataEnd):
            connection.execute(table.__table__.delete())
        connection.exec_driver_sql("DELETE FROM event")
    for batch in batches:
        ingest(ingestor, batch)
        if refresh_each:
            refresh_open_time(store)
    refresh_open_time(store)
    return _read_facts(store)


_TABLES = (AgentIntervalFact, AgentOpenEpisode, AgentOpenIntervalFact)


def _read_facts(store):
    with store.reading() as connection:
        return [
            sorted(map(dict, connection.execute(select(table.__table__)).mappings()), key=repr)
            for table in (*_TABLES, CentreDataEnd)
        ]


def _open_rows(store, agentid):
    return _rows(store, AgentOpenIntervalFact, agentid)


def _closed_rows(store, agentid):
    return _rows(store, AgentIntervalFact, agentid)


def _rows(store, fact, agentid):
    table = fact.__table__
    with store.reading() as connection:
        rows = connection.execute(select(table).where(table.c.agentid == agentid)).mappings().all()
    return {f"{row['interval_start']:%H:%M}": dict(row) for row in rows}
