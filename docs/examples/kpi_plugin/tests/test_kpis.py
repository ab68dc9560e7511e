"""Conformance tests of the example KPIs: a hand-worked timeline and the values it must give.

``KpiTests`` (from callkpi) ingests the timeline through the real ingest and projector
into a fresh SQLite store and computes every expectation for the day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from callkpi.kpi.conformance import KpiTests, expect
from callkpi.testing import abandoned_contact, contact_timeline

NINE = datetime.fromisoformat("2026-01-05T09:00:00+00:00")


class TestExampleKpis(KpiTests):
    # Three handled contacts and one abandoned, on Monday 5 January 2026 (centre default, UTC):
    #   c1  talk 500 s + wrap-up 200 s = handle 700 s   long (> 600); its talk alone is not
    #   c2  talk 650 s + wrap-up   0 s = handle 650 s   long; its talk alone is long too
    #   c3  talk 100 s + wrap-up  30 s = handle 130 s   short; transferred twice
    #   c4  abandoned after 40 s: not handled, so in no denominator
    expected = (
        # 2 long (c1, c2) ÷ 3 handled × 100
        expect("long_call_rate", 200 / 3, n=3),
        # talk_only: 1 long talk (c2) ÷ 3 handled × 100
        expect("long_call_rate", 100 / 3, "talk_only"),
        # long_call_s = 120: all 3 handles are longer (700, 650, 130) → 3 ÷ 3 × 100
        expect("long_call_rate", 100.0, long_call_s=120),
        # 2 transfers (c3) ÷ 3 answered
        expect("transfers_per_contact", 2 / 3, n=3),
    )

    def timeline(self, make_event):
        c3 = contact_timeline(make_event, "c3", NINE + timedelta(minutes=20), talk_s=100, acw_s=30)
        answered_at = NINE + timedelta(minutes=20, seconds=20)  # contact_timeline waits 20 s
        transfers = [
            make_event(
                "contact.transferred",
                answered_at + timedelta(seconds=10 + i),
                contactid="c3",
                queue="sales",
                channel="voice",
                agentid="a1",
            )
            for i in range(2)
        ]
        return [
            *contact_timeline(make_event, "c1", NINE, talk_s=500, acw_s=200),
            *contact_timeline(make_event, "c2", NINE + timedelta(minutes=5), talk_s=650, acw_s=0),
            *c3,
            *transfers,
            *abandoned_contact(make_event, "c4", NINE + timedelta(minutes=30), wait_s=40),
        ]
