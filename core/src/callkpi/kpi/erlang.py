"""Queueing maths for staffing: Erlang B, Erlang C (M/M/N) and Erlang A (M/M/N+M, with patience).

Traffic is given as arrivals per interval, the mean handle time and the interval length,
all in seconds; ``load`` (A, in Erlangs) is arrivals × handle time ÷ interval.

Erlang C assumes infinitely patient callers; it has a steady state only when there are
more agents than Erlangs (N > A). Erlang A adds exponential patience with mean
``patience_s``: a caller still waiting after it hangs up. Its service level counts a
caller answered within the threshold, before hanging up, over all callers — abandons are
failures, as in the default ``service_level`` KPI.

Erlang A, derived from the birth–death chain (λ arrivals, μ = 1/AHT, θ = 1/patience,
π_k the chance of k callers in the system, c = Nμ/θ, a = λ/θ): above N,
π_(N+j) = π_N · a^j ÷ Π_(i=1..j) (c + i), whose sum is π_N · a · S(a) with
S(x) = Σ_(k≥0) x^k ÷ Π_(i=1..k+1) (c + i). Summing the waiting callers' chance of being
answered at time v over j gives the density π_N · Nμ · exp(−(Nμ + θ)v + a(1 − e^(−θv))),
whose integral up to t is π_N · c · (S(a) − q^(c+1) · e^(a(1−q)) · S(aq)) with q = e^(−θt).
Everything is summed in logarithms, so heavy traffic neither overflows nor underflows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Traffic:
    """Arrivals in one interval and their mean handle time, in seconds."""

    arrivals: float
    aht_s: float
    interval_s: float = 900

    @property
    def load(self) -> float:
        """Offered load A in Erlangs: arrivals × AHT ÷ interval."""
        return self.arrivals * self.aht_s / self.interval_s

    @property
    def arrival_rate(self) -> float:
        return self.arrivals / self.interval_s


@dataclass(frozen=True)
class Staffing:
    """What N agents achieve on some traffic; shares are fractions (0–1)."""

    agents: int
    service_level: float
    wait_probability: float
    occupancy: float
    asa_s: float | None = None
    abandon_probability: float = 0.0


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of N servers with no queue (Erlang B), by the stable recursion
    B(n) = A·B(n−1) ÷ (n + A·B(n−1))."""
    _check_count(agents, "agents")
    _check_non_negative(load, "load")
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c(agents: int, load: float) -> float:
    """Probability that a caller waits (Erlang C); 1 when N ≤ A (the queue grows without end)."""
    blocking = erlang_b(agents, load)
    if agents <= load:
        return 1.0
    return agents * blocking / (agents - load * (1 - blocking))


def staffing_c(agents: int, traffic: Traffic, threshold_s: float) -> Staffing:
    """Erlang C: service level (answered within ``threshold_s``), P(wait), ASA, occupancy."""
    load = traffic.load
    if agents <= load:
        return Staffing(agents, 0.0, 1.0, 1.0 if agents else 0.0, None)
    waits, drain = _waits_and_drain(agents, traffic)
    service_level = 1 - waits * math.exp(-drain * threshold_s)
    asa = waits / drain if traffic.aht_s else 0.0
    return Staffing(agents, service_level, waits, load / agents, asa)


def _waits_and_drain(agents: int, traffic: Traffic) -> tuple[float, float]:
    """Erlang C's P(wait), and the rate (per second) at which a queue drains with N > A."""
    load = traffic.load
    drain = (agents - load) / traffic.aht_s if traffic.aht_s else math.inf
    return erlang_c(agents, load), drain


def _service_level_c(agents: int, traffic: Traffic, threshold_s: float) -> float:
    """:func:`staffing_c`'s service level alone: the staffing search asks for nothing else."""
    if agents <= traffic.load:
        return 0.0
    waits, drain = _waits_and_drain(agents, traffic)
    return 1 - waits * math.exp(-drain * threshold_s)


def staffing_a(agents: int, traffic: Traffic, threshold_s: float, patience_s: float) -> Staffing:
    """Erlang A: service level (answered within ``threshold_s`` over all callers), wait and
    abandon probability and occupancy of N agents, callers' mean patience ``patience_s``."""
    _check_count(agents, "agents")
    if math.isinf(patience_s):
        return staffing_c(agents, traffic, threshold_s)
    if patience_s <= 0:
        raise ValueError(f"patience_s = {patience_s!r}; expected a number > 0 (or inf)")
    if traffic.arrivals == 0 or traffic.aht_s == 0:
        return Staffing(agents, 1.0, 0.0, 0.0, 0.0)
    if agents == 0:
        return Staffing(0, 0.0, 1.0, 0.0, None, 1.0)
    theta = 1 / patience_s
    c, a = agents / traffic.aht_s / theta, traffic.arrival_rate / theta
    log_s_a = _log_series(a, c)
    log_above = math.log(a) + log_s_a
    log_pi_n = -_log_add(-math.log(erlang_b(agents, traffic.load) or _TINY), log_above)
    waits = math.exp(log_pi_n + _log_add(0.0, log_above))
    served_after_wait = math.exp(log_pi_n + math.log(c) + log_s_a)
    q = math.exp(-theta * threshold_s)
    late = log_pi_n + math.log(c) + (c + 1) * math.log(q) + a * (1 - q) + _log_series(a * q, c)
    answered_in_time = served_after_wait - math.exp(late)
    abandons = max(0.0, waits - served_after_wait)
    occupancy = traffic.load * (1 - abandons) / agents
    return Staffing(agents, 1 - waits + answered_in_time, waits, occupancy, None, abandons)


_TINY = 1e-300
_MAX_AGENTS = 1_000_000


def _log_series(x: float, c: float) -> float:
    """log S(x) for S(x) = Σ_(k≥0) x^k ÷ Π_(i=1..k+1) (c + i), summed as a running log-sum-exp."""
    term = -math.log(c + 1)
    total = term
    k = 0
    while True:
        k += 1
        term += (math.log(x) if x > 0 else -math.inf) - math.log(c + 1 + k)
        total = _log_add(total, term)
        # past the peak (x < c + 1 + k) the terms shrink geometrically: stop once negligible
        if x < c + 1 + k and term < total - 40:
            return total


def _log_add(left: float, right: float) -> float:
    """log(e^left + e^right) without overflow."""
    high, low = max(left, right), min(left, right)
    if low == -math.inf:
        return high
    return high + math.log1p(math.exp(low - high))


def agents_required(
    traffic: Traffic,
    target: float,
    threshold_s: float,
    patience_s: float = math.inf,
) -> Staffing:
    """The fewest agents whose service level (within ``threshold_s``) reaches ``target``
    (a fraction below 1): Erlang C, or Erlang A when ``patience_s`` is finite."""
    if not 0 <= target < 1:
        raise ValueError(
            f"target = {target!r}; expected a service-level fraction from 0 up to (not including) 1"
        )
    if traffic.arrivals == 0 or traffic.aht_s == 0:
        return Staffing(0, 1.0, 0.0, 0.0, 0.0)

    def service_level(agents: int) -> float:
        if math.isinf(patience_s):  # Erlang C: no Staffing built for each agent count tried
            return _service_level_c(agents, traffic, threshold_s)
        return staffing_a(agents, traffic, threshold_s, patience_s).service_level

    # service level grows with N: double until the target is met, then bisect
    low, high = 0, max(1, math.ceil(traffic.load))
    while service_level(high) < target:
        low, high = high, high * 2
        if high > _MAX_AGENTS:
            raise ValueError(f"target = {target!r} is not reached with {_MAX_AGENTS} agents")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if service_level(middle) >= target else (middle, high)
    return staffing_a(high, traffic, threshold_s, patience_s)


def _check_count(value: int, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} = {value!r}; expected a whole number ≥ 0")


def _check_non_negative(value: float, name: str) -> None:
    if not value >= 0:
        raise ValueError(f"{name} = {value!r}; expected a number ≥ 0")
