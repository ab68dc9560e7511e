"""``callkpi staffing`` on a hand-worked day, on SQLite and PostgreSQL.

The day: 10 calls offered in queue ``q1`` between 09:00 and 09:09 UTC (one a minute), each
answered at once (wait 0), 150 s of talk and 30 s of ACW, so AHT = 180 s. Two agents are
logged in from 08:45 to 09:30. In the 09:00 interval:

* load A = 10 × 180 ÷ 900 = 2 Erlangs;
* Erlang C with 3 agents: P(wait) = 0.444, SL(20 s) = 1 − 0.444 × e^(−(3 − 2) × 20/180)
  = 1 − 0.444 × 0.895 = 0.603 < 0.80; with 4 agents: P(wait) = 0.174, SL = 1 − 0.174 ×
  e^(−2 × 20/180) = 1 − 0.174 × 0.801 = 0.861 ≥ 0.80, so 4 agents are required;
* nobody abandoned, so the measured patience is infinite and Erlang A also says 4;
* staffed: 2 agents × 900 s ÷ 900 = 2.0, so the gap is 2 − 4 = −2 (under-staffed);
* 08:45 and 09:15: no contacts, so 0 required, 2.0 staffed, gap +2.

Fractional: B(1) = 2/3, B(2) = 0.4, B(3) = 0.2105, B(4) = 0.0952, B(5) = 0.0367; C(3) = 0.4444,
C(4) = 0.1739, C(5) = 0.0597; SL(3) = 1 − 0.4444 × 0.8948 = 0.6023, SL(4) = 1 − 0.1739 × 0.8007
= 0.8607: 3 + (0.8 − 0.6023) ÷ (0.8607 − 0.6023) = 3.765 (3.76 printed). For an ASA (C × AHT ÷ (N − A)):
ASA(3) = 0.4444 × 180 ÷ 1 = 80 s, ASA(4) = 0.1739 × 180 ÷ 2 = 15.65 s, ASA(5) = 3.58 s: ASA
≤ 20 s needs 4 agents, fractional 3 + (80 − 20) ÷ (80 − 15.65) = 3.932; ≤ 10 s needs 5,
4 + (15.65 − 10) ÷ (15.65 − 3.58) = 4.468.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from callkpi.cli import app
from callkpi.cli.staffing import Goal, Model, staffing_rows
from callkpi.kpi.named_periods import resolve_period
from callkpi.store.db import Store
from callkpi.store.ingest import Ingestor
from callkpi.testing import contact_timeline, raw_events

DAY = date(2026, 3, 2)
DEFAULTS = Goal({"threshold_s": 20, "target_percent": 80})


@pytest.fixture
def hand_worked_day(store: Store, ingestor: Ingestor, make_event) -> Store:
    events = []
    for i in range(10):
        offered = f"2026-03-02T09:{i:02d}:00+00:00"
        events += contact_timeline(
            make_event, f"c{i}", offered, wait_s=0, talk_s=150, acw_s=30, queue="q1", agentid="a1"
        )
    for agent in ("a1", "a2"):
        events.append(
            make_event(
                "agent.state_changed", "2026-03-02T08:45:00Z", {"state": "available"}, agentid=agent
            )
        )
        events.append(
            make_event(
                "agent.state_changed",
                "2026-03-02T09:30:00Z",
                {"state": "logged_out"},
                agentid=agent,
            )
        )
    outcomes = ingestor.ingest_batch(raw_events(events))
    assert {o.status for o in outcomes} == {"accepted"}
    return store


def test_required_agents_per_interval_beside_the_staffed(hand_worked_day: Store):
    rows = {row.minute: row for row in staffing_rows(hand_worked_day, DAY, None, None, DEFAULTS)}
    assert sorted(rows) == [8 * 60 + 45, 9 * 60, 9 * 60 + 15]
    nine = rows[9 * 60]
    assert (nine.offered, nine.aht_s, nine.erlang_c, nine.erlang_a) == (10, 180, 4, 4)
    assert nine.staffed == 2.0 and nine.gap == -2.0
    assert (nine.erlang_c_fractional, nine.erlang_a_fractional) == (
        pytest.approx(3.765, abs=1e-3),
        pytest.approx(3.765, abs=1e-3),
    )
    quarter_to = rows[8 * 60 + 45]
    assert (quarter_to.offered, quarter_to.erlang_c, quarter_to.gap) == (0, 0, 2.0)
    assert quarter_to.erlang_c_fractional == 0


@pytest.mark.parametrize("queue", [None, "q1"])
def test_staffing_for_an_asa(hand_worked_day: Store, queue: str | None):
    for asa, whole, fractional in ((20, 4, 3.932), (10, 5, 4.468)):
        goal = Goal({"target_asa_s": asa})
        rows = {row.minute: row for row in staffing_rows(hand_worked_day, DAY, None, queue, goal)}
        nine = rows[9 * 60]
        assert (nine.erlang_c, nine.erlang_a) == (whole, whole)
        assert nine.erlang_c_fractional == pytest.approx(fractional, abs=1e-3)
        assert nine.gap == 2.0 - whole


def test_one_model_only(hand_worked_day: Store):
    rows = staffing_rows(hand_worked_day, DAY, None, "q1", Goal(DEFAULTS.parameters, Model.a))
    assert [(r.erlang_c, r.erlang_a, r.gap) for r in rows] == [(None, 4, -2.0)]


def test_one_queue_uses_its_own_traffic(hand_worked_day: Store):
    rows = staffing_rows(hand_worked_day, DAY, None, "q1", DEFAULTS)
    # only the 09:00 interval had q1 contacts: the same 4 required, the floor's 2 staffed
    assert [(r.minute, r.offered, r.erlang_c, r.erlang_a, r.staffed) for r in rows] == [
        (540, 10, 4, 4, 2.0)
    ]


def test_the_command_prints_the_table_and_names_a_wrong_queue(
    hand_worked_day: Store, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("COLUMNS", "200")
    url = hand_worked_day.url
    result = CliRunner().invoke(app, ["staffing", "--date", "2026-03-02", "--database", url])
    assert result.exit_code == 0, result.output
    # interval, offered, AHT, Erlang C whole and fractional, Erlang A the same, staffed, gap
    assert re.search(
        r"09:00\s*│\s*10\s*│\s*180\s*│\s*4\s*│\s*3\.76\s*│\s*4\s*│\s*3\.76\s*│\s*2\.0\s*│\s*-2\.0",
        result.output,
    )
    assert "(80 % in 20 s)" in result.output
    asa = CliRunner().invoke(
        app,
        ["staffing", "--date", "2026-03-02", "--target-asa-s", "20", "--model", "c", "--database", url],
    )
    assert asa.exit_code == 0, asa.output
    assert "(ASA ≤ 20 s)" in asa.output and "Erlang A" not in asa.output
    assert re.search(r"09:00\s*│\s*10\s*│\s*180\s*│\s*4\s*│\s*3\.93\s*│\s*2\.0\s*│\s*-2\.0", asa.output)
    assert re.search(r"08:45\s*│\s*0\s*│.*│\s*\+2\.0", result.output)
    nothing = CliRunner().invoke(
        app, ["staffing", "--date", "2026-03-02", "--target-asa-s", "0", "--database", url]
    )
    assert nothing.exit_code == 1
    assert "--target-asa-s = 0: expected a number of seconds > 0" in nothing.stderr
    wrong = CliRunner().invoke(
        app, ["staffing", "--date", "2026-03-02", "--queue", "q9", "--database", url]
    )
    assert wrong.exit_code == 1
    assert "--queue = 'q9': no contacts on 2026-03-02; expected one of q1" in wrong.stderr


def test_staffing_takes_a_one_day_period_by_name(hand_worked_day: Store, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "200")
    url = hand_worked_day.url
    yesterday, _ = resolve_period("yesterday", ZoneInfo("UTC"), datetime.now(UTC))
    result = CliRunner().invoke(app, ["staffing", "--period", "yesterday", "--database", url])
    assert result.exit_code == 0, result.output
    assert f"Staffing, {yesterday}," in result.output
    week = CliRunner().invoke(app, ["staffing", "--period", "last-week", "--database", url])
    assert week.exit_code == 1
    assert "--period = 'last-week': covers" in week.stderr and "expected one day" in week.stderr
    both = CliRunner().invoke(
        app, ["staffing", "--period", "today", "--date", "2026-03-02", "--database", url]
    )
    assert both.exit_code == 1
    assert "--period = 'today' with --date: expected one of them, not both" in both.stderr
