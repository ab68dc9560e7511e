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

Erlang A's ASA is the mean wait of the callers who are answered (as Amazon Connect's
"average queue answer time" and Genesys Cloud's tAnswered count it, abandons left out):
the answer density's first moment over P(answered). With u = e^(−θv) it is
π_N · (c/θ) · T(a) ÷ (1 − P(abandon)), T(x) = Σ_(k≥0) x^k ÷ Π_(i=1..k+1) (c + i) ·
Σ_(i=1..k+1) 1/(c + i) (expanding e^(a(1−u)) in powers of (1 − u): ∫_0^1 −ln u · u^c (1 − u)^k du
= k! ÷ Π_(i=1..k+1) (c + i) · Σ_(i=1..k+1) 1/(c + i), all terms positive). The mean wait of
every caller, abandons included, is P(abandon) × patience: abandons per second are θ · E[queue]
(Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with applications to call centers", 2005,
§4.6; Garnett, Mandelbaum & Reiman, "Designing a call center with impatient customers", 2002).

Staffing searches the fewest whole agents N that meet a target: a service level
(:class:`ServiceLevelTarget`) or an ASA (:class:`AsaTarget`). Beside N, :func:`requirement`
gives a *fractional* requirement for planning: the target measure m (service level, or ASA)
interpolated linearly between the whole staffing levels N − 1 and N, and the point where it
equals the target, N − 1 + (target − m(N − 1)) ÷ (m(N) − m(N − 1)). It lies in (N − 1, N]
and is N exactly when N only just meets the target. Erlang C's ASA is infinite with N − 1 ≤ A
agents; the interpolation's limit is then N itself. A 0 % target, which one agent fewer
meets as well, gives N − 1. No traffic: 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


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
    """What N agents achieve on some traffic; shares are fractions (0–1). ``asa_s`` is the
    answered callers' mean wait, ``None`` where it is infinite (Erlang C with N ≤ A) or
    nobody is answered."""

    agents: int
    service_level: float
    wait_probability: float
    occupancy: float
    asa_s: float | None = None
    abandon_probability: float = 0.0


@dataclass(frozen=True)
class ServiceLevelTarget:
    """Answer ``share`` (a fraction from 0 up to, not including, 1) of callers within ``threshold_s``."""

    share: float
    threshold_s: float

    def __post_init__(self) -> None:
        if not 0 <= self.share < 1:
            raise ValueError(
                f"target = {self.share!r}; expected a service-level fraction from 0 up to (not including) 1"
            )
        _check_non_negative(self.threshold_s, "threshold_s")

    def measure(self, staffing: Staffing) -> float:
        """The number this target judges: the service level."""
        return staffing.service_level

    def reached(self, measure: Any) -> Any:
        """Whether ``measure`` meets the target (element by element for a numpy array)."""
        return measure >= self.share

    @property
    def value(self) -> float:
        return self.share


@dataclass(frozen=True)
class AsaTarget:
    """Answered callers wait ``asa_s`` seconds or less on average; ``threshold_s`` is only
    the threshold of the service level reported beside."""

    asa_s: float
    threshold_s: float = 20

    def __post_init__(self) -> None:
        if not self.asa_s > 0 or math.isinf(self.asa_s):
            raise ValueError(f"target_asa_s = {self.asa_s!r}; expected a number of seconds > 0")
        _check_non_negative(self.threshold_s, "threshold_s")

    def measure(self, staffing: Staffing) -> float:
        """The number this target judges: the ASA, inf where there is none."""
        return math.inf if staffing.asa_s is None else staffing.asa_s

    def reached(self, measure: Any) -> Any:
        """Whether ``measure`` meets the target (element by element for a numpy array)."""
        return measure <= self.asa_s

    @property
    def value(self) -> float:
        return self.asa_s


Target = ServiceLevelTarget | AsaTarget


@dataclass(frozen=True)
class Requirement:
    """The fewest whole agents that meet a target (what they achieve) and the fractional
    requirement between N − 1 and N (see the module docstring)."""

    staffing: Staffing
    fractional: float

    @property
    def agents(self) -> int:
        return self.staffing.agents


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
    blocking = erlang_b(agents, traffic.load)
    return service_level_of_blocking(agents, traffic.load, blocking, traffic.aht_s, threshold_s)


def service_level_of_blocking(
    agents: int, load: float, blocking: float, aht_s: float, threshold_s: float
) -> float:
    """Erlang C's service level from Erlang B's ``blocking`` of the same N and A (0 while
    N ≤ A), in :func:`staffing_c`'s arithmetic and order, so array code that carries the
    blocking along gets the very same number."""
    if agents <= load:
        return 0.0
    waits = agents * blocking / (agents - load * (1 - blocking))
    drain = (agents - load) / aht_s
    return 1 - waits * math.exp(-drain * threshold_s)


def asa_of_blocking(agents: int, load: float, blocking: float, aht_s: float) -> float:
    """Erlang C's ASA from Erlang B's ``blocking`` (inf while N ≤ A), as
    :func:`service_level_of_blocking` is its service level."""
    if agents <= load:
        return math.inf
    waits = agents * blocking / (agents - load * (1 - blocking))
    drain = (agents - load) / aht_s
    return waits / drain


def staffing_a(agents: int, traffic: Traffic, threshold_s: float, patience_s: float) -> Staffing:
    """Erlang A: service level (answered within ``threshold_s`` over all callers), wait and
    abandon probability, ASA (answered callers' mean wait) and occupancy of N agents, callers'
    mean patience ``patience_s``."""
    _check_count(agents, "agents")
    if math.isinf(patience_s):
        return staffing_c(agents, traffic, threshold_s)
    _check_patience(patience_s)
    if traffic.arrivals == 0 or traffic.aht_s == 0:
        return Staffing(agents, 1.0, 0.0, 0.0, 0.0)
    if agents == 0:
        return Staffing(0, 0.0, 1.0, 0.0, None, 1.0)
    queue = _Queue.of(agents, traffic, patience_s)
    waits, abandons = queue.waits, queue.abandons
    occupancy = traffic.load * (1 - abandons) / agents
    service_level = queue.service_level(threshold_s)
    return Staffing(agents, service_level, waits, occupancy, queue.asa_s, abandons)


@dataclass(frozen=True)
class _Queue:
    """Erlang A's chain above N agents (module docstring), in logs: θ, c, a, log π_N, log S(a)."""

    theta: float
    c: float
    a: float
    log_pi_n: float
    log_s_a: float

    @classmethod
    def of(cls, agents: int, traffic: Traffic, patience_s: float) -> _Queue:
        """N ≥ 1 agents on traffic with arrivals and handle time, a finite patience."""
        theta = 1 / patience_s
        c, a = agents / traffic.aht_s / theta, traffic.arrival_rate / theta
        log_s_a = _log_series(a, c)
        log_above = math.log(a) + log_s_a
        log_pi_n = -_log_add(-math.log(erlang_b(agents, traffic.load) or _TINY), log_above)
        return cls(theta, c, a, log_pi_n, log_s_a)

    @property
    def waits(self) -> float:
        """P(wait) = π_N (1 + a S(a))."""
        return math.exp(self.log_pi_n + _log_add(0.0, math.log(self.a) + self.log_s_a))

    @property
    def served_after_wait(self) -> float:
        """P(answered after waiting) = π_N c S(a)."""
        return math.exp(self.log_pi_n + math.log(self.c) + self.log_s_a)

    @property
    def abandons(self) -> float:
        return max(0.0, self.waits - self.served_after_wait)

    def service_level(self, threshold_s: float) -> float:
        """Answered at once, or after waiting at most ``threshold_s``, over all callers."""
        c, a = self.c, self.a
        log_q = -self.theta * threshold_s  # not log(q): q underflows to 0 for a patience of ms
        q = math.exp(log_q)
        late = self.log_pi_n + math.log(c) + (c + 1) * log_q + a * (1 - q) + _log_series(a * q, c)
        answered_in_time = self.served_after_wait - math.exp(late)
        return 1 - self.waits + answered_in_time

    @property
    def asa_s(self) -> float | None:
        """π_N (c/θ) T(a) ÷ P(answered); ``None`` when (to rounding) nobody is answered."""
        answered = 1 - self.abandons
        if answered <= 0:
            return None
        waited = math.exp(self.log_pi_n + math.log(self.c) + _log_series(self.a, self.c, harmonic=True))
        return waited / self.theta / answered


_TINY = 1e-300
_MAX_AGENTS = 1_000_000


def _log_series(x: float, c: float, harmonic: bool = False) -> float:
    """log S(x) for S(x) = Σ_(k≥0) x^k ÷ Π_(i=1..k+1) (c + i), summed as a running log-sum-exp;
    ``harmonic``: log T(x), each term weighted by Σ_(i=1..k+1) 1/(c + i)."""
    term = -math.log(c + 1)
    weight = 1 / (c + 1)
    total = term + math.log(weight) if harmonic else term
    k = 0
    while True:
        k += 1
        term += (math.log(x) if x > 0 else -math.inf) - math.log(c + 1 + k)
        if harmonic:
            weight += 1 / (c + 1 + k)
            total = _log_add(total, term + math.log(weight))
        else:
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
    goal = ServiceLevelTarget(target, threshold_s)
    if traffic.arrivals == 0 or traffic.aht_s == 0:
        return Staffing(0, 1.0, 0.0, 0.0, 0.0)
    return staffing_a(_fewest(traffic, goal, patience_s), traffic, threshold_s, patience_s)


def requirement(traffic: Traffic, target: Target, patience_s: float = math.inf) -> Requirement:
    """The fewest agents that meet ``target`` (a service level or an ASA) and the fractional
    requirement: Erlang C, or Erlang A when ``patience_s`` is finite."""
    threshold = target.threshold_s
    if traffic.arrivals == 0 or traffic.aht_s == 0:
        return Requirement(Staffing(0, 1.0, 0.0, 0.0, 0.0), 0.0)
    agents = _fewest(traffic, target, patience_s)
    enough = staffing_a(agents, traffic, threshold, patience_s)
    short = _measure(agents - 1, traffic, target, patience_s)
    return Requirement(enough, interpolated(agents, short, target.measure(enough), target.value))


def interpolated(agents: int, short: float, enough: float, target: float) -> float:
    """Where the line through (N − 1, ``short``) and (N, ``enough``) reaches ``target``;
    N when ``short`` is infinite (Erlang C's ASA of too few agents: the line's limit); N − 1
    when the line is flat (a 0 % target, which one agent fewer meets as well)."""
    if math.isinf(short):
        return float(agents)
    if short == enough:
        return float(agents - 1)
    return agents - 1 + (target - short) / (enough - short)


def _fewest(traffic: Traffic, target: Target, patience_s: float) -> int:
    """The fewest agents meeting ``target`` on traffic with arrivals and handle time."""

    if not math.isinf(patience_s):
        _check_patience(patience_s)

    def met(agents: int) -> bool:
        return target.reached(_measure(agents, traffic, target, patience_s))

    # the measure improves with N: double until the target is met, then bisect
    low, high = 0, max(1, math.ceil(traffic.load))
    while not met(high):
        low, high = high, high * 2
        if high > _MAX_AGENTS:
            raise ValueError(f"target = {target.value!r} is not reached with {_MAX_AGENTS} agents")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if met(middle) else (middle, high)
    return high


def _measure(agents: int, traffic: Traffic, target: Target, patience_s: float) -> float:
    """What ``target`` measures of N agents: the ASA (inf: nobody answered or an endless
    queue), or the service level computed alone (no Staffing, no ASA: the search asks often)."""
    if isinstance(target, AsaTarget):
        return target.measure(staffing_a(agents, traffic, target.threshold_s, patience_s))
    if math.isinf(patience_s):
        return _service_level_c(agents, traffic, target.threshold_s)
    if agents == 0:
        return 0.0
    return _Queue.of(agents, traffic, patience_s).service_level(target.threshold_s)


def _check_count(value: int, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} = {value!r}; expected a whole number ≥ 0")


def _check_patience(patience_s: float) -> None:
    if not patience_s > 0:
        raise ValueError(f"patience_s = {patience_s!r}; expected a number > 0 (or inf)")


def _check_non_negative(value: float, name: str) -> None:
    if not value >= 0:
        raise ValueError(f"{name} = {value!r}; expected a number ≥ 0")
