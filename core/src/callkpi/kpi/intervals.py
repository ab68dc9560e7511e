"""95 % confidence intervals from additive sums only, so they work on any report grouping.

* a share (``k`` of ``n``): the Wilson score interval, which stays inside 0–100 % and
  behaves at small ``n`` and at shares near 0 or 1;
* a mean (of ``n`` values with sum ``Σx`` and sum of squares ``Σx²``): the normal
  interval mean ± z·s/√n with the sample standard deviation ``s`` (for the samples of 30
  and more that survey KPIs require, Student's t and z differ by under 4 %);
* NPS: each answer scores +1 (promoter), 0 (passive) or −1 (detractor); NPS = 100·mean,
  and its standard error is 100·√((Σx²/n − mean²)/n).

Each returns ``(low, high)``, or ``None`` when ``n`` is 0. The ``…_columns`` forms take
float arrays, one entry per report row, and return ``(low, high)`` arrays, NaN where ``n``
is 0: the same arithmetic in the same order, so the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054
"""The standard normal quantile of 97.5 %: a two-sided 95 % interval."""


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of the share ``successes ÷ n``, in percent."""
    if n <= 0:
        return None
    share = successes / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    return 100 * max(centre - half, 0.0), 100 * min(centre + half, 1.0)


def mean_interval(n: float, total: float, squares: float, z: float = Z95) -> tuple[float, float] | None:
    """mean ± z·s/√n, with ``s²`` = (Σx² − n·mean²) ÷ (n − 1); a single value has width 0."""
    if n <= 0:
        return None
    mean = total / n
    variance = max(squares - n * mean * mean, 0.0) / (n - 1) if n > 1 else 0.0
    half = z * math.sqrt(variance / n)
    return mean - half, mean + half


def nps_interval(n: float, total: float, squares: float, z: float = Z95) -> tuple[float, float] | None:
    """The normal interval of NPS = 100·mean of the +1/0/−1 scores (``squares`` = promoters
    + detractors, since (±1)² = 1)."""
    if n <= 0:
        return None
    mean = total / n
    half = z * 100 * math.sqrt(max(squares / n - mean * mean, 0.0) / n)
    return 100 * mean - half, 100 * mean + half


def wilson_columns(successes: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """:func:`wilson` of every row."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = successes / n
        denominator = 1 + z * z / n
        centre = (share + z * z / (2 * n)) / denominator
        half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
        return _sampled(n, 100 * np.maximum(centre - half, 0.0), 100 * np.minimum(centre + half, 1.0))


def mean_interval_columns(
    n: np.ndarray, total: np.ndarray, squares: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mean_interval` of every row."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        variance = np.where(n > 1, np.maximum(squares - n * mean * mean, 0.0) / (n - 1), 0.0)
        half = z * np.sqrt(variance / n)
        return _sampled(n, mean - half, mean + half)


def nps_interval_columns(
    n: np.ndarray, total: np.ndarray, squares: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nps_interval` of every row."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        half = z * 100 * np.sqrt(np.maximum(squares / n - mean * mean, 0.0) / n)
        return _sampled(n, 100 * mean - half, 100 * mean + half)


def _sampled(n: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """No interval (NaN) where there is no answer."""
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)
