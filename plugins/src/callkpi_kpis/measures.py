"""The measures several KPI families share, so they are written (and computed) once.

Outcomes come from the projector: answered, abandoned, blocked, setup_failed,
self_served, timed_out; ``None`` while a contact is still in progress.
"""

from __future__ import annotations

from callkpi.kpi import Measure, Param

QUEUED = ("answered", "abandoned", "timed_out")
"""Outcomes of contacts that reached a queue: these are the contacts *offered*."""
FINISHED = ("answered", "abandoned", "blocked", "setup_failed", "self_served", "timed_out")
"""Every outcome: a contact with one of these is a finished attempt."""

IS_QUEUED = ("outcome", "in", QUEUED)
IS_ANSWERED = ("outcome", "==", "answered")
IS_ABANDONED = ("outcome", "==", "abandoned")
IS_HANDLED = (IS_ANSWERED, ("handle_s", "not null"))

OFFERED = Measure("offered", "count", filter=(IS_QUEUED,))
ANSWERED = Measure("answered", "count", filter=(IS_ANSWERED,))
ABANDONED = Measure("abandoned", "count", filter=(IS_ABANDONED,))
ANSWERED_FAST = Measure(
    "answered_fast", "count", filter=(IS_ANSWERED, ("wait_s", "<=", Param("threshold_s")))
)
ABANDONED_FAST = Measure(
    "abandoned_fast", "count", filter=(IS_ABANDONED, ("wait_s", "<=", Param("threshold_s")))
)
SHORT_ABANDONS = Measure(
    "short_abandons", "count", filter=(IS_ABANDONED, ("wait_s", "<", Param("short_abandon_s")))
)
HANDLED = Measure("handled", "count", filter=IS_HANDLED)
"""Answered contacts that have ended (their handle time is known): the base of handling KPIs."""
