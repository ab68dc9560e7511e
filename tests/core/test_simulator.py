"""The simulator's contract: valid, reproducible events that behave like a contact centre."""

from __future__ import annotations

import math
import random
import sqlite3
import statistics
from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from callkpi.cli import app
from callkpi.plugins import get_plugin_manager
from callkpi.simulator import (
    AftermathSpec,
    QueueSpec,
    Simulation,
    SimulationConfig,
    demo_config,
    write_jsonl,
)
from callkpi.simulator.contacts import Contact
from callkpi.simulator.profiles import arrivals, intraday_shares

MONDAY = date(2026, 11, 2)


@pytest.fixture(scope="module")
def week() -> list[dict]:
    """Two days of a small demo centre (Monday, Tuesday)."""
    config = demo_config(MONDAY, days=2, agents=12, contacts_per_day=400, seed=5)
    return list(Simulation(config).events())


def test_every_event_is_valid_canonical_callkpi(week: list[dict]):
    validator = get_plugin_manager().catalog.event_types.validator
    for event in week:
        validator.validate(event)  # raises on the first invalid event
    assert len({event["id"] for event in week}) == len(week)


def test_the_same_seed_gives_the_same_events_and_another_seed_others(week: list[dict]):
    config = demo_config(MONDAY, days=2, agents=12, contacts_per_day=400, seed=5)
    assert list(Simulation(config).events()) == week
    other = list(Simulation(config.with_(seed=6)).events())
    assert other != week


def test_the_run_holds_every_kind_of_event_a_centre_produces(week: list[dict]):
    types = Counter(event["type"] for event in week)
    expected = {
        "agent.joined",
        "schedule.published",
        "forecast.published",
        "agent.state_changed",
        "contact.offered",
        "contact.answered",
        "contact.hold_started",
        "contact.hold_ended",
        "contact.ended",
        "contact.wrapup_completed",
        "contact.abandoned",
        "contact.self_served",
        "contact.transferred",
        "sale.recorded",
        "case.opened",
        "survey.scheduled",
        "survey.sent",
        "survey.delivered",
        "survey.response_received",
    }
    assert expected <= set(types)
    # one roster entry per agent; one forecast per queue and day: 3 queues × 2 days
    assert types["agent.joined"] == 12 and types["forecast.published"] == 6
    assert {e["channel"] for e in week if e["type"] == "contact.offered"} == {"voice", "chat"}


def test_an_agent_handles_one_contact_at_a_time(week: list[dict]):
    busy: dict[str, list[tuple[str, str]]] = defaultdict(list)
    answered: dict[tuple[str, str], str] = {}
    # a transferred contact is answered by each agent in turn (the same agent again, too):
    # each agent's span runs from their latest answer to their transfer or wrap-up
    for event in sorted(week, key=lambda e: (e["time"], e["type"] != "contact.answered")):
        key = (event.get("contactid"), event.get("agentid"))
        if event["type"] == "contact.answered":
            answered[key] = event["time"]
        elif event["type"] in ("contact.wrapup_completed", "contact.transferred") and key in answered:
            busy[event["agentid"]].append((answered.pop(key), event["time"]))
    assert busy
    for spans in busy.values():
        spans.sort()
        assert all(end <= next_start for (_, end), (next_start, _) in pairwise(spans))


def test_some_customers_call_again(week: list[dict]):
    calls = Counter(e["data"]["customer"] for e in week if e["type"] == "contact.offered")
    assert any(n > 1 for n in calls.values())


def test_thinning_gives_the_profile_volume_and_nothing_while_closed():
    # 200 days of 1,000 contacts: 200,000 expected, Poisson SD √200,000 ≈ 447; 4 SD ≈ 1,800
    rng = random.Random(3)
    shares = intraday_shares((8, 20))
    times = [t for day in range(200) for t in arrivals(rng, day * 86400.0, 1000, shares)]
    assert abs(len(times) - 200_000) < 1_800
    hours = Counter(int(t % 86400 // 3600) for t in times)
    assert set(hours) <= set(range(8, 20))
    # the profile peaks late morning: 10:00–11:00 busier than 19:00–20:00
    assert hours[10] > 2 * hours[19]


def test_a_full_queue_blocks_new_contacts():
    # one agent, 5-minute calls, 400 calls a day in 12 hours: far more than one agent can take
    queue = QueueSpec("q", talk_s=300, acw_s=0, max_queue=2)
    config = SimulationConfig(
        MONDAY,
        days=1,
        agents=1,
        contacts_per_day=400,
        queues=(queue,),
        breaks=False,
        forecasts=False,
    )
    events = list(Simulation(config).events())
    blocked = [e for e in events if e["type"] == "contact.blocked"]
    assert blocked and all(e["data"]["reason"] == "queue_full" for e in blocked)


def test_long_waits_lower_the_survey_scores():
    simulation = Simulation(demo_config(MONDAY, days=1, agents=1, seed=9))
    queue = simulation.config.queues[0]

    def mean_experience(wait_s: float) -> float:
        contact = Contact("c", queue, "+442000000000", 0.0, 0.0, wait=wait_s)
        return statistics.fmean(simulation.aftermath.experience(contact, True) for _ in range(2000))

    # the wait penalty is 0.35 at 300 s or more, none at 0 s (clipping to 0–1 shaves a little)
    assert mean_experience(0) - mean_experience(600) > 0.25


def test_infinite_patience_means_nobody_abandons():
    queue = QueueSpec("q", talk_s=200, acw_s=0, patience_s=math.inf)
    config = SimulationConfig(
        MONDAY,
        days=1,
        agents=3,
        contacts_per_day=300,
        queues=(queue,),
        aftermath=AftermathSpec(0, 0, 0),
        breaks=False,
        forecasts=False,
    )
    outcomes = Simulation(config).run()
    assert outcomes and all(o.answered for o in outcomes)


def test_jsonl_holds_one_event_per_line(tmp_path: Path, week: list[dict]):
    path = tmp_path / "events.jsonl"
    assert write_jsonl(iter(week), path) == len(week)
    lines = path.read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == week


def test_simulate_writes_the_seeded_run_to_jsonl(tmp_path: Path):
    path = tmp_path / "sim.jsonl"
    args = ["simulate", "--days", "1", "--agents", "5", "--contacts-per-day", "200"]
    result = CliRunner().invoke(app, [*args, "--start", "2026-11-02", "--output", str(path)])
    assert result.exit_code == 0, result.output
    expected = list(
        Simulation(demo_config(MONDAY, days=1, agents=5, contacts_per_day=200)).events()
    )
    assert [orjson.loads(line) for line in path.read_bytes().splitlines()] == expected
    assert f"Wrote {len(expected):,} events" in result.output and "contacts/min" in result.output
    both = CliRunner().invoke(app, [*args, "--output", str(path), "--database", "sqlite://"])
    assert both.exit_code == 1 and "--output / --database: give at most one" in both.stderr


def test_simulate_without_output_ingests_into_the_store_the_environment_names(tmp_path: Path, monkeypatch):
    """README: every command honours $CALLKPI_DATABASE_URL; `simulate` used to demand --database."""
    store = tmp_path / "from-env.db"
    monkeypatch.setenv("CALLKPI_DATABASE_URL", f"sqlite:///{store}")
    args = ["simulate", "--days", "1", "--agents", "3", "--contacts-per-day", "40", "--start", "2026-11-02"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Simulated and ingested" in result.output
    with sqlite3.connect(store) as connection:
        (contacts,) = connection.execute("select count(*) from fact_contact").fetchone()
    assert contacts > 0
