"""callkpi connector for per-contact CSV exports (one row per call).

A declarative column mapping in the config turns each row into a ``contact.recorded``
event, and an optional satisfaction column into ``survey.response_received``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callkpi import hookimpl
from callkpi.connectors import Connector, load_schema

from .reader import read

CONNECTOR = Connector(
    id="csv",
    title="CSV export (one row per contact)",
    emits=("contact.recorded", "survey.response_received"),
    read=read,
    config_schema=load_schema(__name__),
)


@hookimpl
def callkpi_register_connectors(register: Callable[..., Any]) -> None:
    register(CONNECTOR)
