"""Erlang B, C and A against published values, cases worked by hand, and an independent
numerical reference for Erlang A (the birth–death chain solved directly, the waiting
caller's journey followed by uniformization)."""

from __future__ import annotations

import math

import pytest

from callkpi.kpi.erlang import (
    Traffic,
    agents_required,
    erlang_b,
    erlang_c,
    staffing_a,
    staffing_c,
)

PUBLISHED = Traffic(100, 180, 1800)  # 100 calls per 30 minutes, AHT 180 s: A = 10 Erlangs


def test_published_erlang_c_example():
    # The textbook example: 80 % in 20 s needs 14 agents: SL 0.888, P(wait) 0.174, occupancy 0.714
    result = agents_required(PUBLISHED, 0.80, 20)
    assert PUBLISHED.load == 10
    assert result.agents == 14
    assert result.service_level == pytest.approx(0.888, abs=5e-4)
    assert result.wait_probability == pytest.approx(0.174, abs=5e-4)
    assert result.occupancy == pytest.approx(10 / 14)
    assert result.asa_s == pytest.approx(0.17413 * 180 / 4, rel=1e-4)  # C × AHT ÷ (N − A) = 7.84 s
    assert staffing_c(13, PUBLISHED, 20).service_level < 0.80  # 13 agents fall short (0.789)


def test_erlang_b_and_c_worked_by_hand():
    # A = 1: B(1) = 1 ÷ 2; B(2) = 0.5 ÷ 2.5 = 0.2; B(3) = 0.2 ÷ 3.2 = 1/16
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(3, 1.0) == pytest.approx(1 / 16)
    # C = N B ÷ (N − A (1 − B)): N = 2: 0.4 ÷ 1.2 = 1/3; N = 3: 0.1875 ÷ 2.0625 = 1/11
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 1.0) == pytest.approx(1 / 11)


def test_one_agent_is_m_m_1():
    # M/M/1: P(wait) = ρ; SL(t) = 1 − ρ e^(−(1 − ρ) t ÷ AHT); ASA = ρ AHT ÷ (1 − ρ)
    traffic = Traffic(2, 225, 900)  # ρ = 0.5
    result = staffing_c(1, traffic, 20)
    assert result.wait_probability == pytest.approx(0.5)
    assert result.service_level == pytest.approx(1 - 0.5 * math.exp(-0.5 * 20 / 225))
    assert result.asa_s == pytest.approx(225)


def test_erlang_c_without_enough_agents_never_serves_in_time():
    overloaded = staffing_c(10, PUBLISHED, 20)  # N = A: the queue grows without end
    assert (overloaded.wait_probability, overloaded.service_level) == (1.0, 0.0)
    assert erlang_c(9, 10.0) == 1.0


def birth_death(agents: int, traffic: Traffic, patience_s: float, size: int = 400) -> list[float]:
    """The stationary distribution of M/M/N+M by its balance equations, truncated at ``size``."""
    arrival, service, abandon = traffic.arrival_rate, 1 / traffic.aht_s, 1 / patience_s
    weights = [1.0]
    for k in range(1, size):
        leaving = min(k, agents) * service + max(k - agents, 0) * abandon
        weights.append(weights[-1] * arrival / leaving)
    total = sum(weights)
    return [w / total for w in weights]


def answered_within(agents: int, traffic: Traffic, patience_s: float, threshold_s: float) -> float:
    """P(answered within t) by following a waiting caller: with i callers ahead it moves up at
    rate Nμ + iθ (a service or an abandon ahead), is served from the head at Nμ, and hangs up at θ;
    the chain is uniformized and stepped through the Poisson number of events by t."""
    pi = birth_death(agents, traffic, patience_s)
    service, abandon = agents / traffic.aht_s, 1 / patience_s
    waiting = pi[agents:]
    uniform = service + len(waiting) * abandon + abandon
    served, position = 0.0, waiting[:]
    weight = math.exp(-uniform * threshold_s)
    total = 0.0
    for step in range(2000):
        total += weight * served
        moved = [0.0] * len(position)
        newly_served = position[0] * service / uniform
        for i, p in enumerate(position):
            advance = (service + i * abandon) / uniform
            stay = 1 - advance - abandon / uniform
            moved[i] += p * stay
            if i:
                moved[i - 1] += p * advance
        served, position = served + newly_served, moved
        weight *= uniform * threshold_s / (step + 1)
    return sum(pi[:agents]) + total


CASES = [
    (14, PUBLISHED, 120.0),
    (14, PUBLISHED, 30.0),
    (2, Traffic(5, 225, 900), 80.0),
    (3, Traffic(5, 225, 900), 80.0),
    (8, PUBLISHED, 200.0),  # fewer agents than Erlangs: Erlang A still has a steady state
    (1, Traffic(6, 300, 900), 60.0),
]


@pytest.mark.parametrize(("agents", "traffic", "patience"), CASES)
def test_erlang_a_wait_and_abandon_match_the_birth_death_chain(agents, traffic, patience):
    pi = birth_death(agents, traffic, patience)
    waits = sum(pi[agents:])
    # abandons per second θ E[queue] over arrivals per second λ
    queue = sum((k - agents) * p for k, p in enumerate(pi) if k > agents)
    abandons = queue / patience / traffic.arrival_rate
    result = staffing_a(agents, traffic, 20, patience)
    assert result.wait_probability == pytest.approx(waits, rel=1e-9)
    assert result.abandon_probability == pytest.approx(abandons, rel=1e-9)


@pytest.mark.parametrize(("agents", "traffic", "patience"), CASES)
def test_erlang_a_service_level_matches_the_waiting_callers_journey(agents, traffic, patience):
    expected = answered_within(agents, traffic, patience, 20)
    assert staffing_a(agents, traffic, 20, patience).service_level == pytest.approx(
        expected, rel=1e-7
    )


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    erlang_c_result = staffing_c(14, PUBLISHED, 20)
    for patience, tolerance in ((1e5, 1e-3), (1e7, 1e-5)):
        result = staffing_a(14, PUBLISHED, 20, patience)
        assert result.service_level == pytest.approx(erlang_c_result.service_level, abs=tolerance)
        assert result.wait_probability == pytest.approx(
            erlang_c_result.wait_probability, abs=tolerance
        )
    assert staffing_a(14, PUBLISHED, 20, math.inf) == erlang_c_result


def test_impatient_callers_need_fewer_agents_for_the_same_service_level():
    # abandons shorten the queue: 14 agents by Erlang C, fewer the less patient the callers
    needed = [
        agents_required(PUBLISHED, 0.8, 20, patience).agents
        for patience in (math.inf, 600, 120, 30)
    ]
    assert needed == [14, 13, 12, 11]


@pytest.mark.parametrize("patience", [math.inf, 90.0])
@pytest.mark.parametrize("arrivals", [1, 7, 40, 300, 2000])
def test_required_agents_are_the_fewest_that_reach_the_target(arrivals, patience):
    traffic = Traffic(arrivals, 240, 900)
    result = agents_required(traffic, 0.8, 20, patience)
    assert result.service_level >= 0.8
    assert staffing_a(result.agents - 1, traffic, 20, patience).service_level < 0.8


def test_no_traffic_needs_no_agents():
    assert agents_required(Traffic(0, 180, 900), 0.8, 20).agents == 0


def test_heavy_traffic_stays_finite():
    # 5 000 calls in 15 minutes of 300 s: A ≈ 1 667 Erlangs; logs keep Erlang A from overflowing
    traffic = Traffic(5000, 300, 900)
    result = agents_required(traffic, 0.9, 20, 3600)
    assert 1500 < result.agents < 1800
    assert 0.9 <= result.service_level <= 1
    assert staffing_a(result.agents - 1, traffic, 20, 3600).service_level < 0.9


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_b(-1, 1.0), "agents = -1; expected a whole number ≥ 0"),
        (lambda: erlang_b(2, -0.5), "load = -0.5; expected a number ≥ 0"),
        (
            lambda: agents_required(PUBLISHED, 1.0, 20),
            "target = 1.0; expected a service-level fraction",
        ),
        (lambda: staffing_a(3, PUBLISHED, 20, 0.0), "patience_s = 0.0; expected a number > 0"),
    ],
)
def test_bad_input_names_the_value_and_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        call()
