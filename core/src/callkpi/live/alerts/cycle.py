"""One round of alerting: evaluate a centre's rules, record state changes, tell the plugins,
and POST the webhook deliveries that are due. :mod:`callkpi.live.plugin` runs these in the
background of ``callkpi serve``; the ``callkpi alerts test`` command runs one on demand."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from ...store.centres import load_centres
from .evaluate import evaluate_rules
from .state import record_evaluation
from .webhooks import Due, any_due, claim_due, post, record_attempt

if TYPE_CHECKING:  # callkpi.plugins registers the live plugin, which imports this module
    from ...plugins import CallkpiPluginManager

log = logging.getLogger(__name__)
NOT_CONFIGURED = "webhook no longer configured for this centre"


def evaluate_centre(store, pm: CallkpiPluginManager, centre: str, now: datetime) -> list[dict[str, Any]]:
    """Evaluate ``centre``'s rules at ``now``; the alerts whose state changed (already announced)."""
    with store.reading() as connection:
        config = load_centres(connection).get(centre)
    if config is None or not config.settings.alerts.rules:
        return []
    evaluations = evaluate_rules(store, centre, config.zone, config.settings.alerts.parsed(), now, pm.catalog.kpis)
    urls = [webhook.url for webhook in config.settings.alerts.webhooks]
    with store.transaction() as connection:
        changed = [record_evaluation(connection, centre, evaluation, now, urls) for evaluation in evaluations]
    alerts = [alert for alert in changed if alert is not None]
    announce(pm, alerts, centre)
    return alerts


def announce(pm: CallkpiPluginManager, alerts: list[dict[str, Any]], centre: str) -> None:
    """Call every ``callkpi_alert`` implementation for each alert; one failing is logged, not fatal."""
    for alert in alerts:
        for impl in pm.hook.callkpi_alert.get_hookimpls():
            try:
                impl.function(alert=dict(alert), centre=centre)
            except Exception:  # one plugin's failure must not silence the others
                log.exception("callkpi_alert of plugin %r failed for alert %s", impl.plugin_name, alert["id"])


def centres_with_rules(store) -> list[str]:
    """The centres that have alert rules."""
    with store.reading() as connection:
        return sorted(name for name, config in load_centres(connection).items() if config.settings.alerts.rules)


async def deliver_due(store, client: httpx.AsyncClient, now: datetime) -> int:
    """POST every webhook delivery due at ``now``; how many were attempted."""
    claimed, secrets = await asyncio.to_thread(_claim_with_secrets, store, now)
    for due in claimed:
        secret = secrets.get((due.centre, due.url))
        error = NOT_CONFIGURED if secret is None else await post(client, due, secret, now)
        await asyncio.to_thread(_record, store, due, error, now)
    return len(claimed)


def _claim_with_secrets(store, now: datetime) -> tuple[list[Due], dict[tuple[str, str], str]]:
    with store.reading() as connection:
        if not any_due(connection, now):
            return [], {}
    with store.transaction() as connection:
        claimed = claim_due(connection, now)
        centres = load_centres(connection) if claimed else {}
    secrets = {
        (name, webhook.url): webhook.secret
        for name, config in centres.items()
        for webhook in config.settings.alerts.webhooks
    }
    return claimed, secrets


def _record(store, due: Due, error: str | None, now: datetime) -> None:
    with store.transaction() as connection:
        record_attempt(connection, due, error, now)
