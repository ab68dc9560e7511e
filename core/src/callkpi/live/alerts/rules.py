"""Alert rules as people write them: ``service_level < 80 for 2 intervals``, ``longest_wait > 120 s``,
``abandon_rate > 10 % queue=sales``.

Grammar: ``METRIC OP NUMBER [UNIT] [for N intervals] [queue=NAME]`` with OP one of
``< <= > >=`` and UNIT the metric's own (``%`` or ``s``; counts have none). Without ``for`` a
rule compares the live value (see :data:`METRICS`); with ``for N intervals`` it holds when
each of the last N *completed* local 15-minute intervals breaches, computed with the KPI of
the same name over the contacts offered in that interval.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """What a rule can watch: its unit and what the value means."""

    unit: str
    meaning: str
    per_interval: bool = False


METRICS: dict[str, Metric] = {
    "waiting": Metric("n", "contacts waiting now"),
    "longest_wait": Metric("s", "longest wait of a contact waiting now (per interval: the longest_wait KPI)", True),
    "agents_available": Metric("n", "agents available now"),
    "agents_on_contact": Metric("n", "agents on a contact now"),
    "agents_acw": Metric("n", "agents in after-contact work now"),
    "agents_not_ready": Metric("n", "agents not ready now"),
    "offered": Metric("n", "contacts offered today"),
    "answered": Metric("n", "contacts answered today"),
    "abandoned": Metric("n", "contacts abandoned today"),
    "service_level": Metric("%", "service level so far today (per interval: the service_level KPI)", True),
    "abandon_rate": Metric("%", "abandon rate so far today (per interval: the abandon_rate KPI)", True),
}
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
MAX_INTERVALS = 96

_METRIC = re.compile(r"\s*([A-Za-z_]\w*)")
_OPERATOR = re.compile(r"\s*(<=|>=|<|>)")
_NUMBER = re.compile(r"\s*(-?\d+(?:\.\d+)?)")
_UNIT = re.compile(r"\s*(%|s)(?=\s|$)")
_FOR = re.compile(r"\s+for\s+(\S+)\s+intervals?(?=\s|$)")
_QUEUE = re.compile(r"\s+queue\s*=\s*(\S+)")


class RuleError(ValueError):
    """A rule that cannot be parsed; the message names the part, its value and what was expected."""


@dataclass(frozen=True)
class AlertRule:
    """One parsed rule. ``text`` is its canonical spelling; ``id`` is derived from it, so the
    same rule keeps its state across restarts and processes."""

    metric: str
    op: str
    threshold: float
    intervals: int | None = None
    queue: str | None = None

    @property
    def text(self) -> str:
        unit = METRICS[self.metric].unit
        parts = [self.metric, self.op, f"{self.threshold:g}" + (f" {unit}" if unit != "n" else "")]
        if self.intervals is not None:
            parts.append(f"for {self.intervals} interval{'s' if self.intervals > 1 else ''}")
        if self.queue is not None:
            parts.append(f"queue={self.queue}")
        return " ".join(parts)

    @property
    def id(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]

    def breached(self, value: float | None) -> bool:
        """Whether ``value`` crosses the threshold; no value (no data) never does."""
        return value is not None and OPERATORS[self.op](value, self.threshold)


def parse_rule(text: str) -> AlertRule:
    """Parse ``text`` (see the module grammar) or raise :class:`RuleError` naming the bad part."""
    scanner = _Scanner(text)
    metric = scanner.take(_METRIC, "metric", f"one of {', '.join(METRICS)}")
    if metric not in METRICS:
        raise scanner.error("metric", metric, f"one of {', '.join(METRICS)}")
    op = scanner.take(_OPERATOR, "operator", "one of <, <=, >, >=")
    threshold = float(scanner.take(_NUMBER, "threshold", "a number such as 80 or 2.5"))
    _check_unit(scanner, metric)
    intervals = _intervals(scanner, metric)
    queue = scanner.optional(_QUEUE)
    if not scanner.done():
        raise scanner.error("rest", scanner.rest(), "nothing, or 'for N intervals' and then 'queue=NAME'")
    return AlertRule(metric, op, threshold, intervals, queue)


def _check_unit(scanner: _Scanner, metric: str) -> None:
    unit = scanner.optional(_UNIT)
    expected = METRICS[metric].unit
    if unit is not None and unit != expected:
        wanted = "no unit (a count)" if expected == "n" else f"{expected!r} or no unit"
        raise scanner.error("unit", unit, f"{wanted} for {metric}")


def _intervals(scanner: _Scanner, metric: str) -> int | None:
    count = scanner.optional(_FOR)
    if count is None:
        return None
    if not count.isdigit() or not 1 <= int(count) <= MAX_INTERVALS:
        raise scanner.error("intervals", count, f"a whole number from 1 to {MAX_INTERVALS}")
    if not METRICS[metric].per_interval:
        per_interval = ", ".join(name for name, m in METRICS.items() if m.per_interval)
        raise scanner.error("metric", metric, f"one of {per_interval} with 'for N intervals'")
    return int(count)


class _Scanner:
    """Reads a rule left to right, one regular expression at a time."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def take(self, pattern: re.Pattern[str], part: str, expected: str) -> str:
        found = self.optional(pattern)
        if found is None:
            raise self.error(part, self.rest() or "(nothing)", expected)
        return found

    def optional(self, pattern: re.Pattern[str]) -> str | None:
        match = pattern.match(self.text, self.position)
        if match is None:
            return None
        self.position = match.end()
        return match.group(1)

    def rest(self) -> str:
        return self.text[self.position:].strip()

    def done(self) -> bool:
        return not self.rest()

    def error(self, part: str, value: str, expected: str) -> RuleError:
        return RuleError(f"alert rule {self.text!r}: {part} {value!r}; expected {expected}")
