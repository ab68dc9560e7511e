"""Erlang B, C and A against published values, cases worked by hand, and an independent
numerical reference for Erlang A (the birth–death chain solved directly, the waiting
caller's journey followed by uniformization, the answered caller's mean wait by first-step
analysis); staffing for a service level or an ASA, whole and fractional."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from callkpi.kpi.erlang import (
    AsaTarget,
    ServiceLevelTarget,
    Traffic,
    agents_required,
    erlang_b,
    erlang_c,
    requirement,
    staffing_a,
    staffing_c,
)
from callkpi.kpi.erlang_columns import requirement_c

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
    assert staffing_c(13, PUBLISHED, 20).service_level < 0.80  # 13 agents fall short (0.796)


def test_published_erlang_c_example_to_the_digits_of_two_libraries():
    # pyworkforce's README (ErlangC(transactions=100, aht=3, interval=30), 80 % in 20 s):
    # raw_positions 14, service_level 0.8883500191794669, waiting_probability 0.1741319335950498;
    # the CRAN package ErlangC's README, same case: average_speed_of_answer 7.83593701177724 s
    result = agents_required(PUBLISHED, 0.80, 20)
    assert result.service_level == pytest.approx(0.8883500191794669, rel=1e-12)
    assert result.wait_probability == pytest.approx(0.1741319335950498, rel=1e-12)
    assert result.asa_s == pytest.approx(7.83593701177724, rel=1e-12)


def test_fractional_agents_for_the_published_service_level():
    # SL(13) = 1 − C(13) e^(−3 × 20/180) = 1 − 0.28527 × 0.71653 = 0.79559 < 0.80 ≤ SL(14) = 0.88835:
    # 13 + (0.80 − 0.79559) ÷ (0.88835 − 0.79559) = 13 + 0.00441 ÷ 0.09276 = 13.0475
    found = requirement(PUBLISHED, ServiceLevelTarget(0.80, 20))
    assert found.agents == 14
    assert found.fractional == pytest.approx(13.0475, abs=1e-4)


def test_staffing_the_published_traffic_for_an_asa():
    # Erlang B from B(10, 10) = 0.21458: B(11) = 0.16323, B(12) = 0.11974, B(13) = 0.08434;
    # C(12) = 12 × 0.11974 ÷ (12 − 10 × 0.88026) = 0.44939, ASA = C × AHT ÷ (N − A) = 40.45 s;
    # C(13) = 13 × 0.08434 ÷ (13 − 10 × 0.91566) = 0.28527, ASA = 0.28527 × 180 ÷ 3 = 17.12 s.
    # ASA ≤ 20 s: 13 agents; fractional 12 + (40.45 − 20) ÷ (40.45 − 17.12) = 12.876
    found = requirement(PUBLISHED, AsaTarget(20))
    assert (found.agents, found.staffing.asa_s) == (13, pytest.approx(17.116, abs=1e-3))
    assert staffing_c(12, PUBLISHED, 20).asa_s == pytest.approx(40.445, abs=1e-3)
    assert found.fractional == pytest.approx(12.876, abs=1e-3)
    # 11 agents: ASA = C(11) × 180 ÷ 1 = 0.68212 × 180 = 122.8 s, met by an ASA target of 130 s;
    # with 10 (= A) the ASA is infinite, so the fractional requirement is 11 itself
    lax = requirement(PUBLISHED, AsaTarget(130))
    assert (lax.agents, lax.fractional) == (11, 11.0)


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


def answered_callers_mean_wait(agents: int, traffic: Traffic, patience_s: float) -> float:
    """ASA by first-step analysis: a waiting caller with i callers ahead leaves that place at
    rate r = Nμ + iθ + θ after a mean 1/r, moving up (or, at i = 0, being answered) with
    chance (Nμ + iθ)/r, so P_i = (Nμ + iθ)/r · P_(i−1) and E[W; answered]_i =
    P_i/r + (Nμ + iθ)/r · E[W; answered]_(i−1), with P_(−1) = 1, E_(−1) = 0."""
    pi = birth_death(agents, traffic, patience_s)
    service, abandon = agents / traffic.aht_s, 1 / patience_s
    answered, waited = sum(pi[:agents]), 0.0
    ahead_answered, ahead_waited = 1.0, 0.0
    for i, p in enumerate(pi[agents:]):
        rate = service + i * abandon + abandon
        moves = (service + i * abandon) / rate
        ahead_answered, ahead_waited = moves * ahead_answered, moves * ahead_answered / rate + moves * ahead_waited
        answered, waited = answered + p * ahead_answered, waited + p * ahead_waited
    return waited / answered


@pytest.mark.parametrize(("agents", "traffic", "patience"), CASES)
def test_erlang_a_asa_matches_first_step_analysis(agents, traffic, patience):
    expected = answered_callers_mean_wait(agents, traffic, patience)
    assert staffing_a(agents, traffic, 20, patience).asa_s == pytest.approx(expected, rel=1e-9)


def test_erlang_a_asa_worked_by_hand():
    # N = 2, λ = 5/900, AHT 225 s, patience 80 s (θ = 1/80): c = 0.7111, a = 0.4444, π_N = 0.2388
    # (worked in tests/kpis/test_workforce_kpis.py, TestRequiredAgentsErlangA), P(abandon) =
    # P(wait) − π_N c S(a) = 0.3123 − 0.2388 × 0.7111 × 0.6929 = 0.1946.
    # T(a) = Σ a^k ÷ Π_(i=1..k+1)(c + i) × Σ_(i=1..k+1) 1/(c + i)
    #      = 0.58442 × 0.58442 + 0.095808 × 0.95327 + 0.011474 × 1.22273 + 0.0010824 × 1.43499
    #        + 8.42e-5 × 1.61009 + … = 0.34155 + 0.09133 + 0.01403 + 0.00155 + 0.00014 + 0.00001
    #      = 0.44861;
    # ASA = π_N c T(a) ÷ (θ (1 − P(abandon))) = 0.2388 × 0.7111 × 0.44861 ÷ (0.0125 × 0.8054) = 7.57 s
    result = staffing_a(2, Traffic(5, 225, 900), 20, 80)
    assert result.abandon_probability == pytest.approx(0.1946, abs=1e-4)
    assert result.asa_s == pytest.approx(7.567, abs=1e-3)


def test_every_callers_mean_wait_is_the_abandon_share_times_the_patience():
    # Mandelbaum & Zeltyn (2005) §4.6: P(Ab) = θ E[W] over all callers; with the answered
    # callers' ASA, E[W] = ASA × P(answered) + E[W; abandoned], and by Little's law E[W] =
    # E[queue] ÷ λ from the birth–death chain
    agents, traffic, patience = 14, PUBLISHED, 120.0
    pi = birth_death(agents, traffic, patience)
    mean_wait = sum((k - agents) * p for k, p in enumerate(pi) if k > agents) / traffic.arrival_rate
    result = staffing_a(agents, traffic, 20, patience)
    assert result.abandon_probability * patience == pytest.approx(mean_wait, rel=1e-9)
    assert result.asa_s * (1 - result.abandon_probability) < mean_wait


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


def test_erlang_a_asa_tends_to_erlang_c_as_patience_grows():
    assert staffing_a(14, PUBLISHED, 20, 1e7).asa_s == pytest.approx(7.8359, abs=1e-3)
    # hundreds of agents: 2 000 calls of 240 s in 15 minutes, A = 533.3 Erlangs, 540 agents
    heavy = Traffic(2000, 240, 900)
    assert staffing_a(540, heavy, 20, 1e9).asa_s == pytest.approx(
        staffing_c(540, heavy, 20).asa_s, rel=1e-5
    )


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


@pytest.mark.parametrize("patience", [math.inf, 90.0])
@pytest.mark.parametrize("arrivals", [1, 7, 40, 300, 2000])
@pytest.mark.parametrize("asa", [2.0, 15.0, 60.0])
def test_agents_for_an_asa_are_the_fewest_that_reach_it(arrivals, patience, asa):
    traffic = Traffic(arrivals, 240, 900)
    found = requirement(traffic, AsaTarget(asa), patience)
    assert found.staffing.asa_s <= asa
    fewer = staffing_a(found.agents - 1, traffic, 20, patience)
    assert fewer.asa_s is None or fewer.asa_s > asa
    assert found.agents - 1 < found.fractional <= found.agents


@pytest.mark.parametrize("patience", [math.inf, 90.0])
@pytest.mark.parametrize("arrivals", [1, 7, 40, 300, 2000])
def test_fractional_agents_interpolate_the_service_level(arrivals, patience):
    # the line through (N − 1, SL(N − 1)) and (N, SL(N)) reaches the target at the fractional N
    traffic = Traffic(arrivals, 240, 900)
    found = requirement(traffic, ServiceLevelTarget(0.8, 20), patience)
    assert found.agents == agents_required(traffic, 0.8, 20, patience).agents
    below = staffing_a(found.agents - 1, traffic, 20, patience).service_level
    share = found.fractional - (found.agents - 1)
    assert 0 < share <= 1
    assert below + share * (found.staffing.service_level - below) == pytest.approx(0.8)


@pytest.mark.parametrize(
    "target", [ServiceLevelTarget(0.8, 20.0), ServiceLevelTarget(0.95, 10.0), AsaTarget(20.0), AsaTarget(2.0)]
)
def test_many_intervals_at_once_are_the_scalar_ones_to_the_bit(target):
    rng = random.Random(3)
    arrivals = np.array([1.0, 2000.0] + [float(rng.randrange(1, 400)) for _ in range(200)])
    aht = np.array([30.0, 240.0] + [round(rng.uniform(5, 900), 1) for _ in range(200)])
    agents, fractional = requirement_c(arrivals, aht, 900.0, target)
    expected = [requirement(Traffic(a, h, 900.0), target) for a, h in zip(arrivals, aht, strict=True)]
    assert agents.tolist() == [e.agents for e in expected]
    assert fractional.tolist() == [e.fractional for e in expected]


def test_no_traffic_needs_no_agents():
    assert agents_required(Traffic(0, 180, 900), 0.8, 20).agents == 0
    assert requirement(Traffic(0, 180, 900), AsaTarget(20)).fractional == 0.0


def test_heavy_traffic_stays_finite():
    # 5 000 calls in 15 minutes of 300 s: A ≈ 1 667 Erlangs; logs keep Erlang A from overflowing
    traffic = Traffic(5000, 300, 900)
    result = agents_required(traffic, 0.9, 20, 3600)
    assert 1500 < result.agents < 1800
    assert 0.9 <= result.service_level <= 1
    assert staffing_a(result.agents - 1, traffic, 20, 3600).service_level < 0.9
    for patience in (math.inf, 3600):
        found = requirement(traffic, AsaTarget(5), patience)
        assert found.staffing.asa_s <= 5 < staffing_a(found.agents - 1, traffic, 20, patience).asa_s
        assert found.agents - 1 < found.fractional <= found.agents


def test_callers_who_hang_up_within_milliseconds_stay_finite():
    # a patience of 1 ms: e^(−θ × 20 s) underflows to 0, so the service level is worked from
    # log q = −θt; whoever is answered is answered within milliseconds, well inside 20 s, so the
    # service level is the share answered, 1 − P(abandon), and the ASA is below a millisecond
    result = staffing_a(5, Traffic(1000, 300, 900), 20, 1e-3)
    assert result.service_level == pytest.approx(1 - result.abandon_probability, rel=1e-9)
    assert 0 < result.asa_s < 1e-3
    assert requirement(Traffic(1000, 300, 900), AsaTarget(1), 1e-3).agents == 1


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
        (lambda: AsaTarget(0), "target_asa_s = 0; expected a number of seconds > 0"),
        (lambda: ServiceLevelTarget(0.8, -1), "threshold_s = -1; expected a number ≥ 0"),
    ],
)
def test_bad_input_names_the_value_and_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        call()
