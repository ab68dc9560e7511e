"""Erlang C staffing for many intervals at once: :func:`~callkpi.kpi.erlang.requirement`
over numpy arrays, for KPIs that staff every 15-minute interval of a report.

Every interval walks up the agent counts together: Erlang B's recursion advances one
agent per step for all of them, and an interval leaves once its service level (or ASA)
reaches the target. That is the same arithmetic in the same order as the scalar search
(which doubles and bisects over the same monotone measure), so the counts agree; where a
service level lands within rounding of the target the scalar function decides (the array
``exp`` may differ from ``math.exp`` in the last bit; the ASA has no ``exp`` and agrees
exactly). The fractional requirement interpolates the measure of N − 1 and N agents,
computed from the walk's Erlang B values by the scalar arithmetic itself, so it is the
scalar number to the last bit.
"""

from __future__ import annotations

import math

import numpy as np

from .erlang import (
    _MAX_AGENTS,
    AsaTarget,
    Requirement,
    ServiceLevelTarget,
    Target,
    Traffic,
    asa_of_blocking,
    interpolated,
    requirement,
    service_level_of_blocking,
)

_TIE = 1e-9
"""How close to the target a service level must be for the scalar search to decide."""


def agents_required_c(
    arrivals: np.ndarray, aht_s: np.ndarray, interval_s: float, target: float, threshold_s: float
) -> np.ndarray:
    """The fewest agents whose Erlang C service level within ``threshold_s`` reaches
    ``target`` (a fraction below 1), per interval; every ``arrivals`` and ``aht_s`` > 0."""
    return requirement_c(arrivals, aht_s, interval_s, ServiceLevelTarget(target, threshold_s))[0]


def requirement_c(
    arrivals: np.ndarray, aht_s: np.ndarray, interval_s: float, target: Target
) -> tuple[np.ndarray, np.ndarray]:
    """Per interval, the fewest agents that meet ``target`` by Erlang C and the fractional
    requirement; every ``arrivals`` and ``aht_s`` > 0."""
    load = arrivals * aht_s / interval_s
    agents = np.zeros(len(load))
    open_ = np.arange(len(load))
    blocking = np.ones(len(load))
    short_blocking = np.ones(len(load))  # Erlang B of one agent fewer than found
    ties = []
    n = 0
    while open_.size:
        n += 1
        if n > _MAX_AGENTS:
            raise ValueError(f"target = {target.value!r} is not reached with {_MAX_AGENTS} agents")
        a, b = load[open_], blocking[open_]
        short_blocking[open_] = b
        b = a * b / (n + a * b)
        blocking[open_] = b
        level = _measure(target, n, a, b, aht_s[open_])
        done = target.reached(level)
        if isinstance(target, ServiceLevelTarget):
            ties.append(open_[np.abs(level - target.value) < _TIE])
        agents[open_[done]] = n
        open_ = open_[~done]
    fractional = np.array([
        _fractional(target, int(n), float(a), float(low), float(high), float(h))
        for n, a, low, high, h in zip(agents, load, short_blocking, blocking, aht_s, strict=True)
    ])
    for index in np.concatenate(ties) if ties else ():
        found = _scalar(arrivals[index], aht_s[index], interval_s, target)
        agents[index], fractional[index] = found.agents, found.fractional
    return agents, fractional


def _measure(target: Target, n: int, load: np.ndarray, blocking: np.ndarray, aht_s: np.ndarray) -> np.ndarray:
    """Erlang C's service level (0 while ``n`` ≤ load) or ASA (inf) of ``n`` agents, in the
    scalar functions' arithmetic."""
    stable = n > load
    a, b = load[stable], blocking[stable]
    waits = n * b / (n - a * (1 - b))
    drain = (n - a) / aht_s[stable]
    if isinstance(target, AsaTarget):
        asa = np.full(len(load), math.inf)
        asa[stable] = waits / drain
        return asa
    level = np.zeros(len(load))
    level[stable] = 1 - waits * np.exp(-drain * target.threshold_s)
    return level


def _fractional(target: Target, agents: int, load: float, short: float, enough: float, aht_s: float) -> float:
    """The fractional requirement from Erlang B of ``agents`` − 1 (``short``) and ``agents``."""
    if isinstance(target, AsaTarget):
        below, reached = asa_of_blocking(agents - 1, load, short, aht_s), asa_of_blocking(agents, load, enough, aht_s)
    else:
        below = service_level_of_blocking(agents - 1, load, short, aht_s, target.threshold_s)
        reached = service_level_of_blocking(agents, load, enough, aht_s, target.threshold_s)
    return interpolated(agents, below, reached, target.value)


def _scalar(arrivals: float, aht_s: float, interval_s: float, target: Target) -> Requirement:
    return requirement(Traffic(float(arrivals), float(aht_s), interval_s), target, math.inf)
