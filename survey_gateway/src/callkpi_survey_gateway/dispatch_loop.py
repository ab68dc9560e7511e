"""Running the dispatcher: one pass plus an event flush, in a loop for ``callkpi serve`` and the CLI.

The work is blocking (database, the Twilio SDK), so the server's background task runs each
pass in a worker thread and only sleeps on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from callkpi.api.deps import AppState
from callkpi.plugins import CallkpiPluginManager
from callkpi.store.db import Store

from .centre_texts import survey_text
from .channels import Sender, declared_channels
from .config import GatewaySettings
from .dispatcher import Dispatcher
from .events_out import FlushError, IngestState, flush_events
from .gateway_store import ensure_gateway_schema
from .policy import survey_configs
from .runtime import gateway_settings
from .scheduling import use_plugin_manager

DEFAULT_CHANNEL = "twilio"
log = logging.getLogger(__name__)


def centre_sender(centre: str) -> Sender:
    """Who a centre's messages come from, as its survey configuration says (``LookupError``
    when the centre has none)."""
    config = survey_configs().get(centre)
    if config is None:
        raise LookupError(f"centre {centre!r} has no survey configuration; expected a [centres.{centre}] "
                          "table in the survey configuration file")
    return Sender(sms_from=config.sms_from, messaging_service_sid=config.messaging_service_sid)


def reminder_text(connection: Connection, survey: Mapping[str, Any]) -> str:
    """The reminder of ``survey``, in the centre's words, with the question it still waits for."""
    return survey_text(connection, survey["centre"], "reminder", survey["language"], survey,
                       instrument=survey["instruments"][survey["step"]])


def build_dispatcher(store: Store, settings: GatewaySettings, pm: CallkpiPluginManager,
                     channel: str = DEFAULT_CHANNEL) -> Dispatcher:
    """A dispatcher over ``store`` sending through the channel ``pm``'s plugins declare as ``channel``."""
    declared = declared_channels(pm)
    if channel not in declared:
        raise ValueError(f"survey channel {channel!r} is not declared by any plugin; expected one of "
                         f"{', '.join(sorted(declared)) or '(none)'}")
    return Dispatcher(store, declared[channel].build(settings), settings, senders=centre_sender,
                      render_reminder=reminder_text)


def dispatch_and_flush(dispatcher: Dispatcher, target: IngestState | Store, settings: GatewaySettings) -> Counter[str]:
    """One dispatcher pass, then flush the events it (and the webhooks) queued."""
    counts = dispatcher.run_once()
    try:
        while flushed := flush_events(target, settings):
            counts["events"] += flushed
    except FlushError as exc:  # the core is down: the events wait in the outbox
        log.warning("%s", exc)
    return counts


async def run_dispatcher(state: AppState) -> None:
    """``callkpi serve``'s ``survey-dispatcher`` task: a pass every ``dispatch_interval_s``."""
    settings = gateway_settings()
    await asyncio.to_thread(ensure_gateway_schema, state.store)
    use_plugin_manager(state.pm)
    dispatcher = build_dispatcher(state.store, settings, state.pm)
    while True:
        await asyncio.to_thread(dispatch_and_flush, dispatcher, state, settings)
        await asyncio.sleep(settings.dispatch_interval_s)
