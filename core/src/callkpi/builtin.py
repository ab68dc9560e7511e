"""The core's own plugin: registers the v1 event types, exactly as any plugin would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import hookimpl
from .events import V1_TYPES


@hookimpl
def callkpi_register_event_types(register: Callable[..., Any]) -> None:
    """Register every v1 event type of :data:`callkpi.events.V1_TYPES`."""
    for event_type in V1_TYPES:
        register(event_type.name, event_type.data_model, requires=event_type.requires,
                 description=event_type.description)
