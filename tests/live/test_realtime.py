"""The realtime snapshot, hand-worked, on SQLite and PostgreSQL.

Centre rotterdam is Europe/Amsterdam (UTC+1 in January); now is 2026-01-05 09:10:00Z,
10:10 local, so "today" is local 2026-01-05. All times below are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callkpi.live.realtime import take_snapshot
from callkpi.testing import abandoned_contact, contact_timeline, event_factory

NOW = datetime(2026, 1, 5, 9, 10, tzinfo=UTC)


@pytest.fixture
def events() -> list[dict]:
    make = event_factory("rt")

    def state(agent: str, time: str, state: str, **extensions: str) -> dict:
        data = {"state": state, **({"reason": "lunch"} if state == "not_ready" else {})}
        return make("agent.state_changed", f"2026-01-05T{time}Z", data, agentid=agent, **extensions)

    def offered(contact: str, time: str, queue: str) -> dict:
        return make("contact.offered", time, contactid=contact, queue=queue, channel="voice")

    return [
        # sales: c1 answered after 10 s (fast), c2 after 40 s (slow), c3 abandoned after 60 s
        *contact_timeline(make, "c1", "2026-01-05T08:00:00Z", wait_s=10, agentid="a1"),
        *contact_timeline(make, "c2", "2026-01-05T08:10:00Z", wait_s=40, agentid="a1"),
        *abandoned_contact(make, "c3", "2026-01-05T08:20:00Z", wait_s=60),
        # support: c8 answered after 5 s (fast)
        *contact_timeline(make, "c8", "2026-01-05T08:30:00Z", wait_s=5, queue="support", agentid="a2"),
        # waiting now: c4 (sales, 120 s), c5 (support, 30 s); c7 is two days old: a lost end, not a caller
        offered("c4", "2026-01-05T09:08:00Z", "sales"),
        offered("c5", "2026-01-05T09:09:30Z", "support"),
        offered("c7", "2026-01-03T09:00:00Z", "sales"),
        # a1 ends available on sales; its not_ready at 09:15 is after now and must not count
        state("a1", "07:55:00", "available"),
        state("a1", "08:00:10", "on_contact", queue="sales"),
        state("a1", "08:03:10", "after_contact_work", queue="sales"),
        state("a1", "08:04:00", "available", queue="sales"),
        state("a1", "09:15:00", "not_ready"),
        # a2 on a support contact
        state("a2", "08:00:00", "available", queue="support"),
        state("a2", "08:30:05", "on_contact", queue="support"),
        # a3 not ready since its only state event: found through the roster (agent.joined)
        make("agent.joined", "2026-01-05T07:00:00Z", {"name": "Ann"}, agentid="a3"),
        state("a3", "08:00:00", "not_ready"),
        # a4 logged out: not counted; a5 in after-contact work on sales
        state("a4", "07:00:00", "available"),
        state("a4", "08:50:00", "logged_out"),
        state("a5", "08:40:00", "available", queue="sales"),
        state("a5", "09:05:00", "after_contact_work", queue="sales"),
    ]


def test_snapshot_per_queue_and_in_total(store, feed, events, centre, callkpi_pm):
    feed(events)

    snapshot = take_snapshot(store, centre, NOW, callkpi_pm.catalog.kpis)

    assert (snapshot.local_date.isoformat(), snapshot.timezone) == ("2026-01-05", "Europe/Amsterdam")
    assert [q.queue for q in snapshot.queues] == ["sales", "support"]
    sales, support = snapshot.queues
    total = snapshot.total
    # waiting: c4 + c5 = 2; longest: c4 offered 09:08:00, 120 s before now
    assert (total.waiting, total.longest_wait_s) == (2, 120.0)
    assert (sales.waiting, sales.longest_wait_s) == (1, 120.0)
    assert (support.waiting, support.longest_wait_s) == (1, 30.0)
    # agents: a1 available, a2 on contact, a5 in ACW, a3 not ready; a4 logged out
    assert (total.agents_available, total.agents_on_contact, total.agents_acw, total.agents_not_ready) == (1, 1, 1, 1)
    assert (sales.agents_available, sales.agents_on_contact, sales.agents_acw) == (1, 0, 1)
    assert (support.agents_available, support.agents_on_contact) == (0, 1)
    # today: offered counts contacts with a known outcome: sales c1 c2 c3, support c8
    assert (total.offered, total.answered, total.abandoned) == (4, 3, 1)
    assert (sales.offered, sales.answered, sales.abandoned) == (3, 2, 1)
    # SL (answered within 20 s ÷ offered): total 2/4 = 50 %, sales 1/3, support 1/1
    assert total.service_level == pytest.approx(50.0)
    assert sales.service_level == pytest.approx(100 / 3)
    assert support.service_level == pytest.approx(100.0)
    # abandon rate: total 1/4 = 25 %, sales 1/3, support 0/1
    assert (total.abandon_rate, support.abandon_rate) == (pytest.approx(25.0), pytest.approx(0.0))
    assert sales.abandon_rate == pytest.approx(100 / 3)
    # the KPIs' default targets: service level 80 %, abandon rate 5 %
    assert total.targets == {"service_level": 80, "abandon_rate": 5}


def test_empty_centre_has_zeros_and_no_rates(store, centre, callkpi_pm):
    snapshot = take_snapshot(store, centre, NOW, callkpi_pm.catalog.kpis)

    assert snapshot.queues == ()
    assert (snapshot.total.waiting, snapshot.total.longest_wait_s, snapshot.total.offered) == (0, None, 0)
    assert (snapshot.total.service_level, snapshot.total.abandon_rate) == (None, None)


def test_unknown_centre_is_a_key_error(store, callkpi_pm):
    with pytest.raises(KeyError):
        take_snapshot(store, "nowhere", NOW, callkpi_pm.catalog.kpis)


def test_staffed_and_occupancy_today_include_open_episodes(store, feed, centre, callkpi_pm):
    """b1 logs in at 08:00 UTC and stays available (one state event: visible from it on); b2 is
    available 08:00, on contact 08:30, and its ACW at 09:00 is the centre's last event (the data end).
    b1: 08:00–09:00 open, 3,600 s available. b2: available 1,800 s, on contact 1,800 s (closed), its
    ACW opens at the data end (0 s). Staffed 7,200 s, 3,600 of them open; occupancy = busy 1,800 ÷
    ready (busy 1,800 + available 5,400) = 25 %."""
    make = event_factory("open")

    def state(agent: str, time: str, name: str) -> dict:
        return make("agent.state_changed", f"2026-01-05T{time}Z", {"state": name}, agentid=agent)

    feed([state("b1", "08:00:00", "available")])
    first = take_snapshot(store, centre, NOW, callkpi_pm.catalog.kpis)
    # b1 alone, open since its first event: seen, but the data end is that event: 0 s yet
    assert first.total.agents_available == 1
    assert (first.total.staffed_s, first.total.open_s) == (0, 0)
    feed([state("b2", "08:00:00", "available"), state("b2", "08:30:00", "on_contact"),
          state("b2", "09:00:00", "after_contact_work")])  # fmt: skip
    total = take_snapshot(store, centre, NOW, callkpi_pm.catalog.kpis).total
    assert (total.staffed_s, total.open_s, total.occupancy) == (7200, 3600, pytest.approx(25.0))
    # 09:00 UTC is 10:00 in Amsterdam
    assert total.agent_note == "includes 3,600 s still open at 2026-01-05 10:00"
    assert (total.agents_available, total.agents_acw) == (1, 1)
