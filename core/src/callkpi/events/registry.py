"""The set of known event types and the validator built from it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter, ValidationError, create_model

from .envelope import Envelope, EventData
from .errors import InvalidEvent, describe

TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
EXTENSIONS = ("contactid", "agentid", "queue", "channel")


@dataclass(frozen=True)
class EventType:
    """A registered event type: its name, ``data`` model and full envelope model."""

    name: str
    data_model: type[EventData]
    envelope: type[Envelope]
    requires: tuple[str, ...]
    description: str
    plugin: str


def _class_name(type_name: str) -> str:
    return "".join(part.title() for part in re.split(r"[._]", type_name))


def build_envelope(
    name: str, data_model: type[EventData], requires: tuple[str, ...], description: str
) -> type[Envelope]:
    model = create_model(
        _class_name(name),
        __base__=Envelope,
        __doc__=description,
        type=(Literal[name], Field(description="The event type.")),
        data=(data_model, ...),
    )
    model.required_extensions = requires
    return model


@dataclass
class EventTypeRegistry:
    """Event types by name. Registration checks the declaration and fails naming the plugin."""

    types: dict[str, EventType] = field(default_factory=dict)

    def register(
        self,
        name: str,
        data_model: type[EventData],
        *,
        plugin: str,
        requires: tuple[str, ...] = (),
        description: str = "",
    ) -> EventType:
        problem = self._problem(name, data_model, requires)
        if problem:
            raise ValueError(f"plugin {plugin!r} registers event type {name!r}: {problem}")
        if name in self.types:
            raise ValueError(
                f"plugin {plugin!r} registers event type {name!r}, which plugin "
                f"{self.types[name].plugin!r} already registered; rename one of them"
            )
        event_type = EventType(
            name, data_model, build_envelope(name, data_model, requires, description), requires, description, plugin
        )
        self.types[name] = event_type
        self.__dict__.pop("validator", None)
        return event_type

    def discard(self, plugin: str) -> None:
        self.types = {name: t for name, t in self.types.items() if t.plugin != plugin}
        self.__dict__.pop("validator", None)

    @staticmethod
    def _problem(name: str, data_model: type, requires: tuple[str, ...]) -> str | None:
        if not TYPE_NAME.match(name):
            return "expected a dotted lower-case name such as 'contact.offered'"
        if not (isinstance(data_model, type) and issubclass(data_model, EventData)):
            return "data_model must be a subclass of callkpi.events.EventData"
        unknown = set(requires) - set(EXTENSIONS)
        if unknown:
            return f"requires unknown extension attributes {sorted(unknown)}; expected some of {list(EXTENSIONS)}"
        return None

    @cached_property
    def validator(self) -> EventValidator:
        return EventValidator(self)


class EventValidator:
    """Validates raw events (JSON bytes, str or dicts) against every registered type at once."""

    def __init__(self, registry: EventTypeRegistry):
        envelopes = tuple(t.envelope for t in registry.types.values())
        if not envelopes:
            raise ValueError("no event types are registered; is the callkpi core plugin loaded?")
        union = Union[envelopes] if len(envelopes) > 1 else envelopes[0]  # noqa: UP007
        self._adapter = TypeAdapter(Annotated[union, Field(discriminator="type")])
        self._names = sorted(registry.types)

    def validate(self, payload: bytes | str | dict[str, Any]) -> Envelope:
        """Return the typed event or raise :class:`InvalidEvent` with every reason."""
        try:
            if isinstance(payload, dict):
                return self._adapter.validate_python(payload)
            return self._adapter.validate_json(payload)
        except ValidationError as exc:
            raise InvalidEvent(describe(exc, self._names)) from None
