"""When contacts arrive: a non-homogeneous Poisson process with an intraday and a weekday shape.

The rate of a local day is ``contacts_per_day × weekday factor × intraday share``; the
intraday share is piecewise constant per 15-minute interval (two peaks, late morning and
early afternoon). Arrivals are drawn by thinning (Lewis and Shedler): candidates from a
homogeneous process at the day's highest rate, each kept with probability rate ÷ highest.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence

INTERVAL_S = 900
WEEKDAY_FACTORS = (1.15, 1.05, 1.0, 0.95, 0.85, 0.5, 0.3)
"""Monday … Sunday; Monday to Friday average 1, so ``contacts_per_day`` is a weekday's mean."""


def intraday_shares(open_hours: tuple[int, int], flat: bool = False) -> tuple[float, ...]:
    """The share of a day's contacts in each 15-minute interval of the day (sums to 1)."""
    opening, closing = open_hours
    weights = [
        _intraday_weight(i * INTERVAL_S / 3600, flat) if opening * 4 <= i < closing * 4 else 0.0
        for i in range(96)
    ]
    total = sum(weights)
    return tuple(w / total for w in weights)


def _intraday_weight(hour: float, flat: bool) -> float:
    if flat:
        return 1.0
    morning = math.exp(-(((hour - 10.75) / 1.6) ** 2))
    afternoon = 0.8 * math.exp(-(((hour - 14.5) / 2.0) ** 2))
    return 0.15 + morning + afternoon


def weekday_factor(weekday: int, flat: bool = False) -> float:
    """The weekday's volume relative to an average Monday-to-Friday day."""
    return 1.0 if flat else WEEKDAY_FACTORS[weekday]


def arrivals(
    rng: random.Random, day_start: float, per_day: float, shares: Sequence[float]
) -> Iterator[float]:
    """Arrival times (Unix seconds) of one day starting at ``day_start``, by thinning."""
    rates = [per_day * share / INTERVAL_S for share in shares]
    highest = max(rates)
    if highest <= 0:
        return
    t = 0.0
    while True:
        t += rng.expovariate(highest)
        interval = int(t // INTERVAL_S)
        if interval >= len(rates):
            return
        if rng.random() * highest < rates[interval]:
            yield day_start + t
