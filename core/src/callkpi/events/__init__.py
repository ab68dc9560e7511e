"""The callkpi event contract: a CloudEvents 1.0 envelope and one typed ``data`` model per type.

The pydantic models are the source of truth; the JSON Schemas in ``callkpi/schemas/``
are generated from them (``callkpi schema``) and published as the language-neutral contract.
"""

from .catalog import V1_TYPES
from .envelope import Envelope, EventData
from .errors import InvalidEvent
from .registry import EventType, EventTypeRegistry, EventValidator

__all__ = [
    "V1_TYPES",
    "Envelope",
    "EventData",
    "EventType",
    "EventTypeRegistry",
    "EventValidator",
    "InvalidEvent",
]
