"""Conformance of the "Handling" KPIs: hand-worked timelines through ingest and the projector.

Agent a1, 2026-01-05 (UTC), logged in 08:45–10:45 (2 staffed hours, one shift):

    h1 answered; talk 100 s with one 20 s hold; ACW 30 s; transferred once   handle 150
    h2 answered; talk 200 s with holds of 10 s and 40 s; ACW 10 s              handle 260
    h3 answered; talk 60 s, no hold, no wrap-up                                handle  60
    h4 answered, still talking (not handled)        h5 abandoned (not handled)

handled = h1, h2, h3 = 3.
"""

from __future__ import annotations

from kpi_timeline import StandardKpiTests, abandoned, answered, staffed

from callkpi.kpi.conformance import expect


def handling_timeline(make):
    return [
        *answered(make, "h1", 5, 100, holds=((30, 20),), acw=30, transfers=1),
        *answered(make, "h2", 5, 200, start=600, holds=((10, 10), (100, 40)), acw=10),
        *answered(make, "h3", 5, 60, start=1200),
        *answered(make, "h4", 5, 60, start=1800, ended=False),
        *abandoned(make, "h5", 30, start=2400),
    ]


class TestHandleTimes(StandardKpiTests):
    expected = (
        expect("aht", 470 / 3, n=3),  # (150 + 260 + 60) ÷ 3 = 156.67 s
        expect(
            "aht", 470 / 3, "talk_includes_hold"
        ),  # (talk incl. hold 120 + 250 + 60) + ACW (30 + 10) = 470, ÷ 3
        expect("aht", 430 / 3, "excludes_acw"),  # (120 + 250 + 60) ÷ 3 = 143.33 s
        expect("avg_talk_time", 120),  # (100 + 200 + 60) ÷ 3
        expect("avg_call_length", 430 / 3),  # talk + hold: (120 + 250 + 60) ÷ 3
        expect("avg_acw", 40 / 3),  # (30 + 10 + 0) ÷ 3 = 13.33 s
    )

    def timeline(self, make_event):
        return handling_timeline(make_event)


class TestHoldsAndTransfers(StandardKpiTests):
    expected = (
        expect("avg_hold_time", 35, n=2),  # (20 + 50) ÷ 2 contacts put on hold
        expect("avg_hold_time", 70 / 3, "per_answered"),  # 70 ÷ 3 handled
        expect("hold_rate", 200 / 3),  # 2 held ÷ 3 handled = 66.67 %
        expect("longest_hold", 40),  # h2's second hold episode
        expect("transfer_rate", 100 / 3),  # h1 ÷ 3 handled
    )

    def timeline(self, make_event):
        return handling_timeline(make_event)


class TestAgentProductivity(StandardKpiTests):
    expected = (
        expect("contacts_per_hour", 1.5, n=3),  # 3 handled ÷ 2 staffed hours (08:45–10:45)
        expect("case_volume", 3, n=1),  # 3 handled ÷ 1 agent-shift (a1 on 2026-01-05)
    )

    def timeline(self, make_event):
        return [*staffed(make_event, "a1", -900, 6300), *handling_timeline(make_event)]
