"""The simulator's queue against queueing theory.

With Poisson arrivals at a constant rate, exponential handle times, N agents always
logged in, one queue and nothing else going on (no breaks, ACW, holds, transfers, IVR or
repeat callers), the simulated queue is M/M/N: its long-run service level, ASA and share
of callers who wait must match Erlang C; with exponential patience (M/M/N+M) they must
match Erlang A.

Tolerance, from the run length: successive waits are correlated, so the standard error
comes from batch means — the run's queued contacts cut into B = 20 consecutive batches,
SE = sd(batch means) ÷ √B. Under the null the gap between the simulated mean and the
formula is about t(B − 1)·SE; t(19) at two-sided 0.1 % is 3.88, so the test allows
4 SE. Each test also checks that SE is small (the run long enough to tell a wrong model
apart) and that the simulated value lies near the published one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from datetime import date

from callkpi.kpi.erlang import Traffic, staffing_a, staffing_c
from callkpi.simulator import AftermathSpec, Outcome, QueueSpec, Simulation, SimulationConfig

BATCHES = 20
T_19_AT_0_1_PERCENT = 3.88
THRESHOLD_S = 20
# The published case: 100 calls per 30 minutes, AHT 180 s, so A = 100 × 180 ÷ 1800 = 10 Erlangs.
CALLS, AHT_S, INTERVAL_S = 100, 180.0, 1800
PER_DAY = CALLS * 86400 / INTERVAL_S  # 4,800 a day
NOTHING_AFTER = AftermathSpec(0.0, 0.0, 0.0)


def textbook(agents: int, patience_s: float, days: int, seed: int) -> list[Outcome]:
    """Run the stripped-down centre and drop the first day (the empty-system start)."""
    queue = QueueSpec("q", talk_s=AHT_S, handle="exponential", acw_s=0.0, patience_s=patience_s)
    config = SimulationConfig(
        date(2026, 1, 5),
        days=days,
        agents=agents,
        contacts_per_day=PER_DAY,
        seed=seed,
        queues=(queue,),
        aftermath=NOTHING_AFTER,
        open_hours=(0, 24),
        breaks=False,
        flat_profile=True,
        forecasts=False,
        record_events=False,
    )
    outcomes = Simulation(config).run()
    return outcomes[int(PER_DAY) :]


def batch_estimate(
    outcomes: list[Outcome], statistic: Callable[[list[Outcome]], float]
) -> tuple[float, float]:
    """The statistic over the whole run and its batch-means standard error."""
    size = len(outcomes) // BATCHES
    means = [statistic(outcomes[i * size : (i + 1) * size]) for i in range(BATCHES)]
    return statistic(outcomes), statistics.stdev(means) / math.sqrt(BATCHES)


def within_threshold(outcomes: list[Outcome]) -> float:
    return sum(o.answered and o.wait_s <= THRESHOLD_S for o in outcomes) / len(outcomes)


def waited(outcomes: list[Outcome]) -> float:
    return sum(o.wait_s > 0 for o in outcomes) / len(outcomes)


def mean_wait(outcomes: list[Outcome]) -> float:
    return statistics.fmean(o.wait_s for o in outcomes)


def abandoned(outcomes: list[Outcome]) -> float:
    return sum(not o.answered for o in outcomes) / len(outcomes)


def assert_matches(
    outcomes: list[Outcome],
    statistic: Callable[[list[Outcome]], float],
    theory: float,
    max_se: float,
) -> None:
    simulated, se = batch_estimate(outcomes, statistic)
    assert se < max_se, f"{statistic.__name__}: SE {se:.4f} too large to test anything"
    gap = abs(simulated - theory)
    assert gap <= T_19_AT_0_1_PERCENT * se + 1e-9, (
        f"{statistic.__name__}: simulated {simulated:.4f}, theory {theory:.4f}, SE {se:.4f}"
    )


def test_the_published_erlang_c_case_is_what_the_formula_gives():
    # A = 10 Erlangs on 14 agents: P(wait) 0.174, SL(20 s) 1 − 0.174·e^(−(14−10)·20/180) = 0.888,
    # occupancy 10 ÷ 14 = 0.714.
    staffing = staffing_c(14, Traffic(CALLS, AHT_S, INTERVAL_S), THRESHOLD_S)
    assert round(staffing.service_level, 3) == 0.888
    assert round(staffing.wait_probability, 3) == 0.174
    assert round(staffing.occupancy, 3) == 0.714


def test_mm_n_matches_erlang_c_on_the_published_case():
    # 25 days × 4,800 = 120,000 calls, 24 days kept: 20 batches of 5,760. Measured SE ≈ 0.005
    # for the shares and 0.7 s for ASA, so 4 SE ≈ 0.02: one agent fewer (SL 0.796, P(wait)
    # 0.285) would be caught many times over.
    outcomes = textbook(agents=14, patience_s=math.inf, days=25, seed=7)
    theory = staffing_c(14, Traffic(CALLS, AHT_S, INTERVAL_S), THRESHOLD_S)
    assert_matches(outcomes, within_threshold, theory.service_level, max_se=0.008)
    assert_matches(outcomes, waited, theory.wait_probability, max_se=0.008)
    # ASA = P(wait) ÷ (Nμ − λ) = 0.174 ÷ (4 ÷ 180) = 7.8 s
    assert_matches(outcomes, mean_wait, theory.asa_s or 0.0, max_se=1.2)
    assert abs(within_threshold(outcomes) - 0.888) < 0.015
    assert abs(waited(outcomes) - 0.174) < 0.015


def test_mm_n_plus_m_matches_erlang_a():
    # 11 agents on 10 Erlangs with a mean patience of 120 s: a busy queue that callers leave.
    # Erlang A: SL 0.742, P(wait) 0.383, P(abandon) 0.094; same run length as above.
    outcomes = textbook(agents=11, patience_s=120.0, days=25, seed=11)
    theory = staffing_a(11, Traffic(CALLS, AHT_S, INTERVAL_S), THRESHOLD_S, 120.0)
    assert_matches(outcomes, within_threshold, theory.service_level, max_se=0.01)
    assert_matches(outcomes, waited, theory.wait_probability, max_se=0.01)
    assert_matches(outcomes, abandoned, theory.abandon_probability, max_se=0.004)
    assert abs(abandoned(outcomes) - 0.094) < 0.01
