"""Conformance of the "Agents and workforce" KPIs: hand-worked timelines through the projector.

Agent time, 2026-01-05 (UTC centre ``default``):

    a1  09:00 available · 09:10 on contact · 09:20 ACW · 09:25 available · 09:30 not ready "break"
        · 09:40 available · 09:50 not ready "meeting" · 10:00 logged out
        available 600 + 300 + 600 = 1500 s, on contact 600, ACW 300, not ready 1200, staffed 3600
        schedule: work 09:00–09:30, break 09:30–09:45, work 09:45–10:00 (scheduled 3600 s)
    a2  09:00 available · 09:30 not ready "lunch" · 09:45 logged out
        available 1800, not ready 900, staffed 2700; no schedule

busy (on contact + ACW) = 900; ready (busy + available) = 900 + 3300 = 4200; staffed = 6300.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from kpi_timeline import StandardKpiTests, abandoned, answered, at, staffed

from callkpi.connectors import RawEvent
from callkpi.kpi import ReportRequest, run_report
from callkpi.kpi.conformance import expect
from callkpi.store.centres import add_centre


def state(make, agent, seconds, name, reason=None):
    data = {"state": name} | ({"reason": reason} if reason else {})
    return make("agent.state_changed", at(seconds), data, agentid=agent)


def agent_day(make):
    a1 = [
        (0, "available", None),
        (600, "on_contact", None),
        (1200, "after_contact_work", None),
        (1500, "available", None),
        (1800, "not_ready", "break"),
        (2400, "available", None),
        (3000, "not_ready", "meeting"),
        (3600, "logged_out", None),
    ]
    a2 = [(0, "available", None), (1800, "not_ready", "lunch"), (2700, "logged_out", None)]
    plan = [(0, 1800, "work"), (1800, 2700, "break"), (2700, 3600, "work")]
    schedule = make(
        "schedule.published",
        at(-86400),
        {"segments": [{"start": _iso(s), "end": _iso(e), "activity": a} for s, e, a in plan]},
        agentid="a1",
    )
    return [
        *(state(make, "a1", *change) for change in a1),
        *(state(make, "a2", *change) for change in a2),
        schedule,
    ]


def _iso(seconds):
    return at(seconds).isoformat()


class TestAgentTime(StandardKpiTests):
    expected = (
        expect("occupancy", 900 / 4200 * 100, n=4200),  # busy 900 ÷ ready 4200 = 21.43 %
        expect("utilization", 900 / 6300 * 100, n=6300),  # busy 900 ÷ staffed 6300 = 14.29 %
        expect("utilization", 25, "scheduled", n=3600),  # busy 900 ÷ a1's 3600 scheduled s
        expect("availability", 4200 / 6300 * 100),  # (available 3300 + busy 900) ÷ 6300 = 66.67 %
        # a1's "break" and a2's "lunch" (default break reasons; "meeting" is not) ÷ 2 agent-days
        expect("break_count", 1, n=2),
        # adherent: work 09:00–09:30 in available/contact/ACW 1800 s; break 09:30–09:45 not ready
        # 09:30–09:40 600 s (available 09:40–09:45 is not); work 09:45–10:00 available 09:45–09:50
        # 300 s (not ready 09:50–10:00 is not) → 2700 ÷ 3600 = 75 %
        expect("schedule_adherence", 75, n=3600),
    )

    def timeline(self, make_event):
        return agent_day(make_event)


def forecast(make, queue, intervals):
    rows = [{"start": _iso(s), "offered": offered, "aht_s": 200} for s, offered in intervals]
    return make("forecast.published", at(-86400), {"intervals": rows}, queue=queue)


class TestForecastAccuracy(StandardKpiTests):
    """Queue sales forecast 09:00 → 4, 09:15 → 2, 09:30 → 3; offered 09:00 5, 09:15 0,
    09:30 3, 09:45 2 (no forecast: left out); queue support has contacts and no forecast."""

    expected = (
        # |5 − 4| + |0 − 2| + |3 − 3| = 3 over Σ forecast 9: (1 − 3 ÷ 9) × 100 = 66.67 %; n = 3 rows
        expect("forecast_accuracy", 200 / 3, n=3),
        # intervals with contacts: 09:00 |5 − 4| ÷ 5 = 20 %, 09:30 0 % → mean 10 %
        expect("forecast_accuracy", 10, "mape"),
    )

    def timeline(self, make_event):
        offered = [0, 60, 120, 180, 240, 1800, 1860, 1920, 2700, 2760]
        return [
            forecast(make_event, "sales", [(0, 4), (900, 2), (1800, 3)]),
            *(e for i, s in enumerate(offered) for e in abandoned(make_event, f"f{i}", 5, start=s)),
            *(
                make_event(kind, at(t), contactid="x1", queue="support", channel="voice")
                for kind, t in (("contact.offered", 0), ("contact.abandoned", 10))
            ),
        ]


def busy_interval(make, offered=4, abandons=()):
    """``offered`` contacts from 09:00, one a minute, each waiting 5 s and talking 225 s
    (handle 225 s, no ACW); then the abandons (start, wait)."""
    contacts = [e for i in range(offered) for e in answered(make, f"r{i}", 5, 225, start=60 * i)]
    return contacts + [
        e
        for i, (start, wait) in enumerate(abandons)
        for e in abandoned(make, f"q{i}", wait, start=start)
    ]


class TestRequiredAgents(StandardKpiTests):
    """09:00 four contacts of 225 s: A = 4 × 225 ÷ 900 = 1 Erlang. Erlang C, 80 % in 20 s:
    N = 2: B = 0.2, C = 2 × 0.2 ÷ (2 − 0.8) = 1/3, SL = 1 − ⅓ e^(−1 × 20 ÷ 225) = 0.695 — short;
    N = 3: B = 0.0625, C = 0.1875 ÷ 2.0625 = 1/11, SL = 1 − e^(−2 × 20 ÷ 225) ÷ 11 = 0.924 → 3.
    09:30 one abandoned contact, no handled one: the day's AHT 225 s, A = 0.25: N = 1 gives
    C = 0.25, SL = 1 − 0.25 e^(−0.75 × 20 ÷ 225) = 0.766 — short; N = 2: SL = 0.976 → 2.
    Staffed: a1 09:00–09:30 and a2 09:00–09:15 → 09:00 2 agents, 09:15 1, 09:30 none.
    Mean over 3 intervals: required (3 + 0 + 2) ÷ 3 = 5/3, staffed (2 + 1 + 0) ÷ 3 = 1."""

    expected = (
        expect("required_agents", 5 / 3, n=5),  # n: offered 4 + 1
        # 09:00 with a 40 s threshold: N = 2 gives 1 − ⅓ e^(−40/225) = 0.721 — short → 3;
        # 09:30 N = 1 gives 1 − 0.25 e^(−0.75 × 40/225) = 0.781 — short → 2: same mean
        expect("required_agents", 5 / 3, threshold_s=40),
        # target 75 %: 09:00 still 3 (0.695 < 0.75); 09:30 N = 1 reaches 0.766 → 1: (3 + 0 + 1) ÷ 3
        expect("required_agents", 4 / 3, target_percent=75),
    )

    def timeline(self, make_event):
        return [
            *busy_interval(make_event, abandons=[(1800, 30)]),
            *staffed(make_event, "a1", 0, 1800),
            *staffed(make_event, "a2", 0, 900),
        ]

    def test_staffed_agents_beside_required(self, kpi_ingestor, kpi_registry, make_event):
        (row,) = self.report(kpi_ingestor, kpi_registry, make_event).rows
        # staffed mean 1; gap 1 − 5/3 = −2/3; under-staffed 09:00 (2 < 3) and 09:30 (0 < 2);
        # fractional: 09:00 2 + (0.8 − 0.6950) ÷ (0.9239 − 0.6950) = 2.4587, 09:30 (SL(2) =
        # 1 − 0.02778 e^(−1.75 × 20/225) = 0.9762) 1 + (0.8 − 0.7661) ÷ (0.9762 − 0.7661) = 1.1612:
        # (2.4587 + 0 + 1.1612) ÷ 3 = 1.2066
        assert row.values["required_agents"].details == {
            "required_fractional": pytest.approx(1.2066, abs=1e-4),
            "staffed_agents": pytest.approx(1),
            "staffing_gap": pytest.approx(-2 / 3),
            "understaffed_intervals": 2,
        }

    # by date × interval15 the report's rows are the grain itself: each its own one interval
    @pytest.mark.parametrize("group_by", [("interval15",), ("date", "interval15")])
    def test_one_row_per_interval_is_that_interval(self, kpi_ingestor, kpi_registry, make_event, group_by):
        self.report(kpi_ingestor, kpi_registry, make_event)  # ingests the timeline
        request = ReportRequest(("required_agents",), self.day, self.day, group_by)
        report = run_report(kpi_ingestor.store, request, registry=kpi_registry)
        found = {
            row.dimensions["interval15"]: (
                row["required_agents"],
                row.values["required_agents"].details["staffed_agents"],
            )
            for row in report.rows
        }
        # 09:00 (minute 540) needs 3 and has 2; 09:15 needs none and has 1; 09:30, alone in its
        # row, has no handled contact to borrow an AHT from: no value, and no agent staffed
        assert found == {540: (3, 2), 555: (0, 1), 570: (None, 0)}


class TestRequiredAgentsErlangA(StandardKpiTests):
    """09:00 four contacts of 225 s and one abandoned after 60 s: offered 5, A = 5 × 225 ÷ 900
    = 1.25; patience = Σ wait (4 × 5 + 60) ÷ 1 abandoned = 80 s. Only 09:00 has contacts.

    Erlang C: N = 2: B = 0.2577, C = 0.4808, SL = 1 − 0.4808 e^(−0.75 × 20/225) = 0.550;
    N = 3: B = 0.0970, C = 0.1555, SL = 1 − 0.1555 e^(−1.75 × 20/225) = 0.867 → 3 for 80 % and 70 %.
    Erlang A at N = 2 (θ = 1/80, c = Nμ/θ = 2 × 80/225 = 0.711, a = λ/θ = 5/900 × 80 = 0.444,
    q = e^(−20/80) = 0.7788): S(x) = Σ x^k ÷ Π_(i=1..k+1)(c + i) gives S(a) = 0.6929,
    S(aq) = 0.6665;
    B(2, 1.25) = 0.2577, so π_N = 1 ÷ (1/B + a S(a)) = 1 ÷ (3.8800 + 0.3079) = 0.2388;
    P(wait) = π_N (1 + a S(a)) = 0.3123; answered within 20 s after waiting =
    π_N c (S(a) − q^(c+1) e^(a(1−q)) S(aq)) = 0.2388 × 0.7111 × (0.6929 − 0.6520 × 1.1033 × 0.6665)
    = 0.0362 → SL = 1 − 0.3123 + 0.0362 = 0.724: ≥ 70 % → 2 agents, < 80 % → 3 (N = 3: 0.902)."""

    expected = (
        expect("required_agents", 3),
        expect("required_agents", 3, target_percent=70),
        expect("required_agents", 3, "erlang_a"),
        expect("required_agents", 2, "erlang_a", target_percent=70),
    )

    def timeline(self, make_event):
        return busy_interval(make_event, abandons=[(240, 60)])


class TestAgentTurnover(StandardKpiTests):
    """Roster on 2026-01-05 (period 00:00 to 01-06 00:00 UTC):

    r1 joined 2025-06-01, still here       r4 joined 2025-01-01, left 2025-12-01
    r2 joined 2025-01-01, left 01-05 12:00  r5 joins 2026-01-07
    r3 joined 01-05 10:00                   r6 no join known (agent.updated only)

    headcount at start r1, r2, r6 = 3; at end r1, r3, r6 = 3; left in the period: r2."""

    expected = (expect("agent_turnover", 100 / 3, n=6),)  # 1 ÷ ((3 + 3) ÷ 2) = 33.33 %; 6 agents

    def timeline(self, make_event):
        def roster(kind, agent, moment):
            return make_event(
                f"agent.{kind}", datetime.fromisoformat(moment).replace(tzinfo=UTC), agentid=agent
            )

        return [
            roster("joined", "r1", "2025-06-01T09:00"),
            roster("joined", "r2", "2025-01-01T09:00"),
            roster("left", "r2", "2026-01-05T12:00"),
            roster("joined", "r3", "2026-01-05T10:00"),
            roster("joined", "r4", "2025-01-01T09:00"),
            roster("left", "r4", "2025-12-01T09:00"),
            roster("joined", "r5", "2026-01-07T09:00"),
            roster("updated", "r6", "2025-03-01T09:00"),
        ]

    def test_headcounts_beside_turnover(self, kpi_ingestor, kpi_registry, make_event):
        (row,) = self.report(kpi_ingestor, kpi_registry, make_event).rows
        assert row.values["agent_turnover"].details == {
            "headcount_start": 3,
            "headcount_end": 3,
            "left": 1,
        }


def test_turnover_periods_start_at_each_centres_own_midnight(ingestor, standard_kpis, make_event):
    # 2026-01-05 in Tokyo (UTC+9) runs from 01-04 15:00 to 01-05 15:00 UTC. t1 leaves at 01-05
    # 16:00 UTC, 01:00 on 01-06 in Tokyo: not in Tokyo's day, though in the UTC day. t2 leaves at
    # 01-05 14:00 UTC (23:00 in Tokyo): inside. Tokyo: headcount at start t1, t2 = 2, at end t1 = 1,
    # left 1 → 1 ÷ 1.5 = 66.67 %. The UTC centre: u1 leaves at 01-05 16:00 UTC, inside its own
    # day; headcount 1 at start, 0 at end, left 1 → 1 ÷ 0.5 = 200 %.
    with ingestor.store.transaction() as connection:
        add_centre(connection, "tokyo", "Asia/Tokyo")

    def roster(kind, agent, moment, centre):
        when = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        return make_event(f"agent.{kind}", when, agentid=agent, centre=centre)

    events = [
        roster("joined", "t1", "2025-01-01T00:00", "tokyo"),
        roster("left", "t1", "2026-01-05T16:00", "tokyo"),
        roster("joined", "t2", "2025-01-01T00:00", "tokyo"),
        roster("left", "t2", "2026-01-05T14:00", "tokyo"),
        roster("joined", "u1", "2025-01-01T00:00", "default"),
        roster("left", "u1", "2026-01-05T16:00", "default"),
    ]
    outcomes = ingestor.ingest_batch([RawEvent(e, f"event {i}") for i, e in enumerate(events)])
    assert {o.status for o in outcomes} == {"accepted"}
    day = date(2026, 1, 5)
    request = ReportRequest(("agent_turnover",), day, day, ("centre",))
    report = run_report(ingestor.store, request, registry=standard_kpis)
    assert report.row(centre="tokyo")["agent_turnover"] == pytest.approx(200 / 3)
    assert report.row(centre="default")["agent_turnover"] == pytest.approx(200)
