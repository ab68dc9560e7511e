"""callkpi connector for Genesys Cloud: pulls conversation details from the analytics API
(OAuth client credentials) interval chunk by chunk and maps participants, sessions and
segments to canonical ``contact.*`` lifecycle events. Resumable: a sync continues after
the last completed chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callkpi import hookimpl
from callkpi.connectors import Connector, load_schema

from .reader import read

CONNECTOR = Connector(
    id="genesys-cloud",
    title="Genesys Cloud conversation details (analytics API)",
    emits=(
        "contact.offered",
        "contact.self_served",
        "contact.answered",
        "contact.hold_started",
        "contact.hold_ended",
        "contact.transferred",
        "contact.abandoned",
        "contact.ended",
        "contact.wrapup_completed",
    ),
    read=read,
    config_schema=load_schema(__name__),
    resumable=True,
)


@hookimpl
def callkpi_register_connectors(register: Callable[..., Any]) -> None:
    register(CONNECTOR)
