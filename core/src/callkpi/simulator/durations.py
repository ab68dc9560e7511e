"""How long the parts of a contact last: talk (exponential or lognormal) and after-contact work."""

from __future__ import annotations

import math
import random

from .config import QueueSpec

LOGNORMAL_SIGMA = 0.6
"""Spread of lognormal talk times: a coefficient of variation of √(e^σ² − 1) ≈ 0.66."""


def talk(rng: random.Random, queue: QueueSpec) -> float:
    """One talk time with the queue's mean (``queue.talk_s``) and distribution."""
    if queue.handle == "exponential":
        return rng.expovariate(1 / queue.talk_s)
    mu = math.log(queue.talk_s) - LOGNORMAL_SIGMA**2 / 2  # so that the mean is talk_s
    return rng.lognormvariate(mu, LOGNORMAL_SIGMA)


def acw(rng: random.Random, queue: QueueSpec) -> float:
    """One after-contact work time, exponential with mean ``queue.acw_s`` (0: none)."""
    return rng.expovariate(1 / queue.acw_s) if queue.acw_s else 0.0
