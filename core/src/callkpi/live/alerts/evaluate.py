"""The value of each alert rule of a centre, now.

A rule without ``for`` reads the live snapshot (:mod:`callkpi.live.realtime`). A rule with
``for N intervals`` reads the KPI of the same name for each of the last N *completed* local
15-minute intervals (the one in progress is left out: its first contacts would flip the
rule back and forth); it breaches when every one of them breaches, and its value is the
latest interval's. An interval without data never breaches.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ...kpi.engine import run_report
from ...kpi.registry import KpiRegistry
from ...kpi.report import ReportRequest
from ...projector.buckets import INTERVAL, floor_interval
from ..realtime import QueueNow, Snapshot, take_snapshot
from .rules import AlertRule
from .state import Evaluation

# rule metric → QueueNow attribute of the live value
LIVE_FIELDS = {"longest_wait": "longest_wait_s"}


def evaluate_rules(
    store, centre: str, zone: ZoneInfo, rules: list[AlertRule], now: datetime, registry: KpiRegistry
) -> list[Evaluation]:
    """One evaluation per rule, in the rules' order."""
    snapshot = take_snapshot(store, centre, now, registry) if any(r.intervals is None for r in rules) else None
    evaluations = []
    for rule in rules:
        if rule.intervals is None:
            value = live_value(snapshot, rule)
            evaluations.append(Evaluation(rule, value, rule.breached(value)))
        else:
            values = interval_values(store, centre, zone, rule, now, registry)
            evaluations.append(Evaluation(rule, values[-1], all(rule.breached(v) for v in values)))
    return evaluations


def live_value(snapshot: Snapshot | None, rule: AlertRule) -> float | None:
    """The rule's metric in the snapshot, of its queue or of the whole centre."""
    assert snapshot is not None  # taken whenever a rule without `for` exists
    found = _queue(snapshot, rule.queue)
    return getattr(found, LIVE_FIELDS.get(rule.metric, rule.metric)) if found is not None else None


def _queue(snapshot: Snapshot, queue: str | None) -> QueueNow | None:
    if queue is None:
        return snapshot.total
    return next((q for q in snapshot.queues if q.queue == queue), None)


def completed_intervals(now: datetime, count: int) -> list[datetime]:
    """The UTC starts of the ``count`` completed 15-minute intervals before ``now``, oldest first.
    (Every zone's offset is a multiple of 15 minutes, so UTC and local boundaries coincide.)"""
    current = floor_interval(now)
    return [current - INTERVAL * back for back in range(count, 0, -1)]


def interval_values(
    store, centre: str, zone: ZoneInfo, rule: AlertRule, now: datetime, registry: KpiRegistry
) -> list[float | None]:
    """The rule's KPI in each of its last ``rule.intervals`` completed intervals, oldest first."""
    assert rule.intervals is not None
    starts = [start.astimezone(zone) for start in completed_intervals(now, rule.intervals)]
    group_by = ("date", "interval15", *(("queue",) if rule.queue else ()))
    request = ReportRequest((rule.metric,), starts[0].date(), starts[-1].date(), group_by, centre)
    report = run_report(store, request, registry=registry)
    values = {
        (row.dimensions["date"], row.dimensions["interval15"]): row[rule.metric]
        for row in report.rows
        if rule.queue is None or row.dimensions["queue"] == rule.queue
    }
    return [values.get((start.date(), start.hour * 60 + start.minute)) for start in starts]


