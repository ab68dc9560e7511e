"""What a connector is: a declared reader that turns a source into raw canonical events.

A connector yields :class:`RawEvent` payloads; validation, privacy and storage are the
core's job, so a connector never needs to know about the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

CONNECTOR_ID = re.compile(r"^[a-z][a-z0-9-]{1,63}$")


@dataclass(frozen=True)
class RawEvent:
    """One event as a source produced it, with where it came from (``file.jsonl:12``)."""

    payload: bytes | str | dict[str, Any]
    origin: str


Reader = Callable[[str, dict[str, Any]], Iterator[RawEvent]]


@dataclass(frozen=True)
class Connector:
    """A connector declaration. ``read(source, config)`` yields raw events from ``source``
    (a path, ``-`` for stdin, or a URL)."""

    id: str
    title: str
    emits: tuple[str, ...]
    read: Reader
    config_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    plugin: str = ""


@dataclass
class ConnectorRegistry:
    connectors: dict[str, Connector] = field(default_factory=dict)

    def register(self, connector: Connector, *, plugin: str) -> Connector:
        if not isinstance(connector, Connector):
            raise TypeError(f"plugin {plugin!r} registered {connector!r}; expected a callkpi.connectors.Connector")
        if not CONNECTOR_ID.match(connector.id):
            raise ValueError(f"plugin {plugin!r} registers connector id {connector.id!r}; expected lower-case letters, digits and '-'")
        if connector.id in self.connectors:
            other = self.connectors[connector.id].plugin
            raise ValueError(f"plugin {plugin!r} registers connector {connector.id!r}, already registered by plugin {other!r}; rename one")
        registered = Connector(**{**connector.__dict__, "plugin": plugin})
        self.connectors[connector.id] = registered
        return registered

    def discard(self, plugin: str) -> None:
        self.connectors = {key: c for key, c in self.connectors.items() if c.plugin != plugin}

    def get(self, connector_id: str) -> Connector:
        if connector_id not in self.connectors:
            known = ", ".join(sorted(self.connectors)) or "none"
            raise KeyError(f"no connector {connector_id!r} is installed; installed: {known} (see `callkpi connectors`)")
        return self.connectors[connector_id]
