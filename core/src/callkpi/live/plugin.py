"""The live views as a core plugin: events wake the wallboards and the alert evaluator, and
``callkpi serve`` runs the alert evaluator and webhook sender in the background.

The evaluator wakes on ``callkpi_event_recorded`` (events ingested by this process), and
also every :data:`FULL_ROUND_S` for every centre with rules, which covers events written by
other processes and time passing (an interval completing, a caller waiting longer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from .. import hookimpl
from ..events import Envelope
from .alerts.cycle import centres_with_rules, deliver_due, evaluate_centre
from .hub import HUB

FULL_ROUND_S = 15.0
TICK_S = 1.0  # how soon a due webhook retry or a woken evaluation runs
WEBHOOK_TIMEOUT_S = 10.0
log = logging.getLogger(__name__)


@hookimpl
def callkpi_event_recorded(event: Envelope) -> None:
    """Wake the live views of the event's centre."""
    HUB.notify(event.centre)


@hookimpl
def callkpi_register_background_tasks(register: Callable[..., Any]) -> None:
    """Run the alert evaluator and webhook sender while the server runs."""
    register("live-alerts", run_alerts)


async def run_alerts(state: Any) -> None:
    """Evaluate rules when events arrive and every :data:`FULL_ROUND_S`; send due webhooks; until cancelled."""
    loop = asyncio.get_running_loop()
    last_full_round = -FULL_ROUND_S
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_S) as client:
        with HUB.listen() as waiter:
            while True:
                woken = await waiter.wait(TICK_S)
                if loop.time() - last_full_round >= FULL_ROUND_S:
                    woken = set(await asyncio.to_thread(centres_with_rules, state.store))
                    last_full_round = loop.time()
                for centre in sorted(woken):
                    await _evaluate(state, centre)
                await deliver_due(state.store, client, datetime.now(UTC))


async def _evaluate(state: Any, centre: str) -> None:
    try:
        await asyncio.to_thread(evaluate_centre, state.store, state.pm, centre, datetime.now(UTC))
    except Exception:  # one centre's bad data must not stop the others' alerts
        log.exception("evaluating the alert rules of centre %r failed", centre)
