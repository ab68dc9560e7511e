"""callkpi connector for Asterisk's queue_log: the flat file or the database table.

Queue records become ``contact.*`` lifecycle events, member logins and pauses become
``agent.state_changed``. The reader checkpoints a byte offset plus the file's identity
and can follow a growing file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callkpi import hookimpl
from callkpi.connectors import Connector, load_schema

from .reader import read

CONNECTOR = Connector(
    id="asterisk",
    title="Asterisk queue_log (file or database export)",
    emits=(
        "contact.offered",
        "contact.answered",
        "contact.abandoned",
        "contact.blocked",
        "contact.setup_failed",
        "contact.transferred",
        "contact.ended",
        "contact.wrapup_completed",
        "agent.state_changed",
    ),
    read=read,
    config_schema=load_schema(__name__),
    resumable=True,
)


@hookimpl
def callkpi_register_connectors(register: Callable[..., Any]) -> None:
    register(CONNECTOR)
