"""Erlang C staffing for many intervals at once: :func:`~callkpi.kpi.erlang.agents_required`
over numpy arrays, for KPIs that staff every 15-minute interval of a report.

Every interval walks up the agent counts together: Erlang B's recursion advances one
agent per step for all of them, and an interval leaves once its service level reaches the
target. That is the same arithmetic in the same order as the scalar search (which doubles
and bisects over the same increasing service level), so the counts agree; where a service
level lands within rounding of the target the scalar function decides.
"""

from __future__ import annotations

import math

import numpy as np

from .erlang import _MAX_AGENTS, Traffic, agents_required

_TIE = 1e-9
"""How close to the target a service level must be for the scalar search to decide: the
array ``exp`` may differ from ``math.exp`` in the last bit."""


def agents_required_c(
    arrivals: np.ndarray, aht_s: np.ndarray, interval_s: float, target: float, threshold_s: float
) -> np.ndarray:
    """The fewest agents whose Erlang C service level within ``threshold_s`` reaches
    ``target`` (a fraction below 1), per interval; every ``arrivals`` and ``aht_s`` > 0."""
    load = arrivals * aht_s / interval_s
    agents = np.zeros(len(load))
    open_ = np.arange(len(load))
    blocking = np.ones(len(load))
    ties = []
    n = 0
    while open_.size:
        n += 1
        if n > _MAX_AGENTS:
            raise ValueError(f"target = {target!r} is not reached with {_MAX_AGENTS} agents")
        a, b = load[open_], blocking[open_]
        b = a * b / (n + a * b)
        blocking[open_] = b
        level = _service_level(n, a, b, aht_s[open_], threshold_s)
        done = level >= target
        ties.append(open_[np.abs(level - target) < _TIE])
        agents[open_[done]] = n
        open_ = open_[~done]
    for index in np.concatenate(ties) if ties else ():
        agents[index] = _scalar(arrivals[index], aht_s[index], interval_s, target, threshold_s)
    return agents


def _service_level(n: int, load: np.ndarray, blocking: np.ndarray, aht_s: np.ndarray, threshold_s: float) -> np.ndarray:
    """Erlang C's service level of ``n`` agents (0 while ``n`` ≤ load), as ``_service_level_c``."""
    level = np.zeros(len(load))
    stable = n > load
    a, b = load[stable], blocking[stable]
    waits = n * b / (n - a * (1 - b))
    drain = (n - a) / aht_s[stable]
    level[stable] = 1 - waits * np.exp(-drain * threshold_s)
    return level


def _scalar(arrivals: float, aht_s: float, interval_s: float, target: float, threshold_s: float) -> int:
    traffic = Traffic(float(arrivals), float(aht_s), interval_s)
    return agents_required(traffic, target, threshold_s, math.inf).agents
