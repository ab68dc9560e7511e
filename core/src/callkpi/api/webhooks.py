"""Mounting the webhook routes connectors contribute, under ``/connectors/<id>``.

A connector with a ``webhook`` is mounted when the installation names its config file
(``connector_configs`` in the settings); the config is validated at start-up, so a bad
one stops the server with every problem listed instead of failing on the first callback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from ..connector_config import read_config_file, validate_config
from ..connectors import Connector, RawEvent, WebhookContext
from ..store.ingest import EventOutcome
from .deps import AppState

CONNECTORS_PREFIX = "/connectors"
log = logging.getLogger(__name__)


def mount_webhooks(app: FastAPI, state: AppState) -> list[str]:
    """Include the router of every registered connector that has a webhook and a config;
    return the ids of the connectors mounted."""
    mounted = []
    configs = state.settings.connector_configs
    for connector in state.pm.catalog.connectors.connectors.values():
        if connector.webhook is None:
            continue
        if connector.id not in configs:
            log.warning(
                "connector %r has webhook routes but no config: not mounted (set "
                "connector_configs = {%r = \"FILE.toml\"} in the settings)",
                connector.id,
                connector.id,
            )
            continue
        context = webhook_context(connector, configs[connector.id], state)
        prefix = f"{CONNECTORS_PREFIX}/{connector.id}"
        app.include_router(connector.webhook(context), prefix=prefix, tags=[connector.id])
        mounted.append(connector.id)
    return mounted


def webhook_context(connector: Connector, path: Path, state: AppState) -> WebhookContext:
    """The context of ``connector``'s routes: its config file, validated, and an ingest
    function bound to the config's centre."""
    where = f"connector_configs {connector.id!r} = {str(path)!r}"
    config = validate_config(connector, read_config_file(path), where=where)
    ingestor = state.ingestor(config.get("centre", "default"))
    return WebhookContext(connector, config, state.settings, partial(_ingest, ingestor))


def _ingest(ingestor: Any, raw_events: Sequence[RawEvent]) -> list[EventOutcome]:
    return ingestor.ingest_batch(list(raw_events))
