"""Conformance of the "Access and queue" KPIs: hand-worked timelines through ingest and the projector.

The queue timeline (one UTC day, 2026-01-05):

    c1 answered after 10 s      c4 abandoned after 3 s      c7 timed out after 200 s
    c2 answered after 20 s      c5 abandoned after 25 s     b1 blocked, f1 setup failed, s1 self-served
    c3 answered after 40 s      c6 abandoned after 100 s

offered = c1–c7 = 7; answered 3; abandoned 3; attempts (any outcome) = 10.
"""

from __future__ import annotations

from datetime import timedelta

from kpi_timeline import T0, StandardKpiTests, abandoned, answered, at, timed_out, unqueued

from callkpi.kpi.conformance import expect


def queue_timeline(make):
    return [
        *answered(make, "c1", 10, 60),
        *answered(make, "c2", 20, 60, start=60),
        *answered(make, "c3", 40, 60, start=120),
        *abandoned(make, "c4", 3, start=180),
        *abandoned(make, "c5", 25, start=240),
        *abandoned(make, "c6", 100, start=300),
        *timed_out(make, "c7", 200, start=360),
        *unqueued(make, "b1", "blocked"),
        *unqueued(make, "f1", "setup_failed"),
        *unqueued(make, "s1", "self_served"),
    ]


class TestVolumes(StandardKpiTests):
    expected = (
        expect("offered", 7),  # c1–c7
        expect("received", 8),  # 7 offered + b1 blocked (f1, s1 never reached a queue)
        expect("answered", 3),  # c1, c2, c3
        expect("answer_rate", 300 / 7, n=7),  # 3 ÷ 7 × 100 = 42.857 %
        expect("arrival_rate", 7 / 24),  # 7 offered over the 24 hours of a UTC day
        expect("arrival_rate", 7, "per_day"),  # 7 ÷ (24 ÷ 24)
        expect("blocked_rate", 100 / 8),  # 1 blocked ÷ (7 offered + 1 blocked) = 12.5 %
        expect("setup_success_rate", 90, n=10),  # (10 attempts − 1 failed) ÷ 10
        expect("self_service_rate", 10),  # 1 self-served ÷ 10 attempts
    )

    def timeline(self, make_event):
        return queue_timeline(make_event)


class TestServiceLevel(StandardKpiTests):
    expected = (
        expect("service_level", 200 / 7, n=7),  # c1, c2 within 20 s (inclusive) ÷ 7 = 28.57 %
        expect("service_level", 300 / 7, threshold_s=40),  # c1, c2, c3 within 40 s ÷ 7 = 42.86 %
        expect(
            "service_level", 200 / 7, "exclude_short_abandons"
        ),  # no short abandons at 0 s: 2 ÷ 7
        expect(
            "service_level", 200 / 6, "exclude_short_abandons", short_abandon_s=5
        ),  # c4 (3 s) is short: 2 ÷ 6
        expect(
            "service_level", 300 / 7, "abandons_in_threshold_met"
        ),  # left the queue within 20 s: c1, c2, c4 → 3 ÷ 7
        expect(
            "service_level", 200 / 6, "answered_over_answered_and_abandoned", n=6
        ),  # 2 ÷ (3 + 3)
        expect("service_level", 200 / 3, "asterisk_sl", n=3),  # 2 ÷ 3 answered
        expect("service_level", 50, "asterisk_sl2"),  # (2 answered + c4 abandoned) within 20 s ÷ 6
    )

    def timeline(self, make_event):
        return queue_timeline(make_event)


class TestWaits(StandardKpiTests):
    expected = (
        expect("asa", 70 / 3, n=3),  # (10 + 20 + 40) ÷ 3 answered = 23.33 s
        expect("asa", 10, "all_contacts", n=7),  # 70 ÷ 7 offered
        expect("avg_queue_time", 398 / 7),  # (10 + 20 + 40 + 3 + 25 + 100 + 200) ÷ 7 = 56.86 s
        expect("longest_wait", 200),  # c7 waited 200 s before the queue gave up
        expect("avg_abandon_time", 128 / 3),  # (3 + 25 + 100) ÷ 3 = 42.67 s
    )

    def timeline(self, make_event):
        return queue_timeline(make_event)


class TestAbandons(StandardKpiTests):
    expected = (
        expect("abandon_rate", 300 / 7),  # 3 ÷ 7 = 42.86 %
        expect("abandon_rate", 300 / 7, "exclude_short_abandons"),  # none short at 0 s
        expect(
            "abandon_rate", 200 / 6, "exclude_short_abandons", short_abandon_s=5
        ),  # (3 − 1) ÷ (7 − 1)
        expect("abandon_rate", 50, "over_answered_and_abandoned"),  # 3 ÷ (3 + 3)
        expect("abandoned_within", 200 / 7),  # c4, c5 within 60 s ÷ 7
        expect("abandoned_within", 300 / 7, "within_180s"),  # c4, c5, c6 within 180 s ÷ 7
    )

    def timeline(self, make_event):
        return queue_timeline(make_event)


def recorded(make, cid: str, channel: str, first_response_s: float):
    data = {
        "outcome": "answered",
        "offered_at": at(0).isoformat(),
        "answered_at": at(5).isoformat(),
        "ended_at": (T0 + timedelta(minutes=10)).isoformat(),
        "first_response_s": first_response_s,
    }
    return make(
        "contact.recorded",
        at(600),
        data,
        contactid=cid,
        channel=channel,
        queue="chat",
        agentid="a1",
    )


class TestFirstResponseTime(StandardKpiTests):
    expected = (
        expect("first_response_time", 60, n=2),
    )  # chat 30 s and sms 90 s → 60 s; the voice contact is not counted

    def timeline(self, make_event):
        return [
            recorded(make_event, "m1", "chat", 30),
            recorded(make_event, "m2", "sms", 90),
            recorded(make_event, "v1", "voice", 10),
        ]
