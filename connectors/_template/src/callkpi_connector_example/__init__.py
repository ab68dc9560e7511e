"""callkpi connector for the Example PBX call log (one pipe-separated line per call).

TODO(vendor): say in one sentence what your connector reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callkpi import hookimpl
from callkpi.connectors import Connector, load_schema

from .reader import read

CONNECTOR = Connector(
    id="example",
    title="Example PBX call log",
    emits=("contact.recorded",),
    read=read,
    config_schema=load_schema(__name__),
)


@hookimpl
def callkpi_register_connectors(register: Callable[..., Any]) -> None:
    register(CONNECTOR)
