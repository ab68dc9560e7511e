"""callkpi connector for Amazon Connect: contact records and agent events as Kinesis Data
Firehose delivers them to files (JSON per line, concatenated or in arrays, gzip or not).

Each contact record version becomes one ``contact.recorded`` event (the projector keeps the
newest version of a contact), each agent event that changes the agent's state an
``agent.state_changed``. Files are read as a stream: memory stays flat however long they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callkpi import hookimpl
from callkpi.connectors import Connector, load_schema

from .reader import read

CONNECTOR = Connector(
    id="amazon-connect",
    title="Amazon Connect contact records and agent events (Firehose files)",
    emits=("contact.recorded", "agent.state_changed"),
    read=read,
    config_schema=load_schema(__name__),
)


@hookimpl
def callkpi_register_connectors(register: Callable[..., Any]) -> None:
    register(CONNECTOR)
