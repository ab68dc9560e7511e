"""Evaluating alert rules with hand-worked intervals, on SQLite and PostgreSQL: a rule fires
after two bad intervals, is not notified again while it stays bad, resolves after a good
interval; the state lives in the store, so another process does not notify again; every
callkpi_alert implementation hears each change, even when another one fails.

Centre rotterdam is UTC+1 in January; times are UTC. Service level = answered within 20 s ÷ offered.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from callkpi import hookimpl
from callkpi.live.alerts.cycle import evaluate_centre
from callkpi.live.alerts.evaluate import completed_intervals
from callkpi.store.tables import AlertChange, AlertDelivery
from callkpi.testing import abandoned_contact, contact_timeline, event_factory

HOOK_URL = "http://127.0.0.1:9/alerts"


def at(clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-01-05T{clock}+00:00")


class Listener:
    """A plugin collecting the alerts it is told about."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, dict]] = []

    @hookimpl
    def callkpi_alert(self, alert: dict, centre: str) -> None:
        self.heard.append((centre, alert))


class Broken:
    @hookimpl
    def callkpi_alert(self, alert: dict, centre: str) -> None:
        raise RuntimeError("pager down")


@pytest.fixture
def intervals(feed) -> None:
    make = event_factory("iv")
    feed([
        # 09:00–09:15: one answered in 10 s, one in 40 s → SL 50 % (bad)
        *contact_timeline(make, "c1", "2026-01-05T09:01:00Z", wait_s=10),
        *contact_timeline(make, "c2", "2026-01-05T09:05:00Z", wait_s=40),
        # 09:15–09:30: one abandoned → SL 0 % (bad)
        *abandoned_contact(make, "c3", "2026-01-05T09:20:00Z", wait_s=30),
        # 09:30–09:45: one answered in 5 s → SL 100 % (good)
        *contact_timeline(make, "c4", "2026-01-05T09:31:00Z", wait_s=5),
    ])


def test_completed_intervals_leave_out_the_one_in_progress():
    assert completed_intervals(at("09:30:30"), 2) == [at("09:00:00"), at("09:15:00")]
    assert completed_intervals(at("09:30:00"), 1) == [at("09:15:00")]


def test_fires_after_two_bad_intervals_and_resolves_after_a_good_one(store, centre, intervals, live_pm, configure):
    configure(alerts={"rules": ["service_level < 80 for 2 intervals"],
                      "webhooks": [{"url": HOOK_URL, "secret": "s" * 16}]})
    listener = Listener()
    live_pm.add("listener", lambda: listener)
    live_pm.add("broken", lambda: Broken())

    # 08:45 (no data: never breaches) and 09:00 (50 %): not two bad intervals yet
    assert evaluate_centre(store, live_pm, centre, at("09:15:30")) == []
    # 09:00 (50 %) and 09:15 (0 %): fires, with the latest interval's value
    fired = evaluate_centre(store, live_pm, centre, at("09:30:30"))
    assert [(a["status"], a["value"], a["threshold"]) for a in fired] == [("firing", 0.0, 80.0)]
    # still bad: no second notification
    assert evaluate_centre(store, live_pm, centre, at("09:31:00")) == []
    # 09:15 (0 %) and 09:30 (100 %): resolves; since = when it started firing
    resolved = evaluate_centre(store, live_pm, centre, at("09:45:30"))
    assert [(a["status"], a["value"], a["since"]) for a in resolved] == [
        ("resolved", 100.0, "2026-01-05T09:30:30+00:00")
    ]
    # the broken plugin did not keep the listener from hearing both changes
    assert [(c, a["status"]) for c, a in listener.heard] == [(centre, "firing"), (centre, "resolved")]
    assert listener.heard[0][1]["rule"] == "service_level < 80 % for 2 intervals"
    assert listener.heard[0][1]["id"].endswith(":1") and listener.heard[1][1]["id"].endswith(":2")


def test_state_in_the_store_stops_another_process_notifying_again(
    store, centre, intervals, live_pm, callkpi_pm, configure
):
    configure(alerts={"rules": ["service_level < 80 for 2 intervals"],
                      "webhooks": [{"url": HOOK_URL, "secret": "s" * 16}]})
    assert len(evaluate_centre(store, live_pm, centre, at("09:30:30"))) == 1

    # a second server (its own plugin manager) sees the same state: nothing new to say
    assert evaluate_centre(store, callkpi_pm, centre, at("09:30:40")) == []
    with store.reading() as connection:
        changes = connection.execute(select(AlertChange.seq, AlertChange.status)).all()
        deliveries = connection.execute(select(AlertDelivery.url, AlertDelivery.status)).all()
    assert changes == [(1, "firing")]
    assert deliveries == [(HOOK_URL, "pending")]


def test_live_rules_per_queue(store, centre, feed, live_pm, configure):
    make = event_factory("q")
    # sales: c5 waiting since 09:28:00; support: nobody waiting
    feed([make("contact.offered", "2026-01-05T09:28:00Z", contactid="c5", queue="sales", channel="voice"),
          *contact_timeline(make, "c6", "2026-01-05T09:00:00Z", queue="support", wait_s=5)])
    configure(alerts={"rules": ["longest_wait > 120 s queue=sales",
                                "longest_wait > 120 s queue=support", "waiting >= 1"]})

    changed = evaluate_centre(store, live_pm, centre, at("09:31:00"))

    # sales waits 180 s > 120 s; support has no waiting contact (no value: never breaches); 1 waiting ≥ 1
    assert [(a["rule"], a["value"]) for a in changed] == [
        ("longest_wait > 120 s queue=sales", 180.0),
        ("waiting >= 1", 1.0),
    ]
