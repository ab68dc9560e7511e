"""The CloudEvents 1.0 envelope shared by every callkpi event type.

Each event type is an ``Envelope`` subclass whose ``type`` is a one-value
``Literal`` and whose ``data`` is the type's own model, so one discriminated
union validates any event in a single pass through pydantic-core.
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# How far ahead of this machine's clock an event's time may lie. Source clocks
# drift a little; a time days ahead is a broken source or a wrong time zone.
MAX_FUTURE_SKEW = timedelta(hours=24)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,127}$"
CENTRE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

# The CloudEvents ``sequence`` extension (cloudevents/spec, cloudevents/extensions/sequence.md):
# "value expressing the relative order of the event", a non-empty string that orders by plain
# string comparison, lower first, among the events of one source. callkpi narrows it to
# visible ASCII, so every language and database compares it the same way (code point =
# byte order), and to 128 characters.
SEQUENCE_PATTERN = r"^[!-~]{1,128}$"

_SEQUENCE = re.compile(SEQUENCE_PATTERN)

Channel = Literal["voice", "chat", "sms", "email", "social", "video", "task"]


# The limit as last computed, and until when (monotonic clock) it may be trusted. The wall
# clock moves on, so a limit read a moment ago is only stricter than the current one: a
# time within it is within the current one too, and only a time beyond it needs the clock
# read again (at bulk ingest reading it cost two fifths of this check). Trusted for a
# second at most, so a wall clock stepped back is noticed as soon as before, give or take.
_recent_limit: list[tuple[float, datetime]] = [(-math.inf, datetime.min.replace(tzinfo=UTC))]


def _not_far_future(value: datetime) -> datetime:
    trusted_until, limit = _recent_limit[0]
    if value <= limit and time.monotonic() < trusted_until:
        return value
    limit = datetime.now(UTC) + MAX_FUTURE_SKEW
    _recent_limit[0] = (time.monotonic() + 1.0, limit)
    if value > limit:
        raise PydanticCustomError(
            "time_in_future",
            "is more than 24 hours ahead of this machine's clock (now {now}); "
            "expected a time that has happened — check the source's clock and time zone",
            {"now": datetime.now(UTC).isoformat(timespec="seconds")},
        )
    return value


EventTime = Annotated[AwareDatetime, AfterValidator(_not_far_future)]


class EventData(BaseModel):
    """Base of every event type's ``data`` model: unknown fields are typos, so rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Envelope(BaseModel):
    """CloudEvents 1.0 structured-mode attributes plus callkpi's extension attributes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Extension attributes this type cannot do without (e.g. contact events need contactid).
    required_extensions: ClassVar[tuple[str, ...]] = ()

    specversion: Literal["1.0"] = Field(description="CloudEvents specification version.")
    id: str = Field(min_length=1, max_length=200, description="Unique per event; the idempotency key.")
    source: str = Field(min_length=1, max_length=500, description="URI-reference of the producing system.")
    type: str
    time: EventTime = Field(description="When it happened, RFC 3339 with a UTC offset.")
    datacontenttype: Literal["application/json"] = "application/json"
    subject: str | None = None
    dataschema: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    centre: str = Field("default", pattern=CENTRE_PATTERN, description="Tenant: the contact centre.")
    contactid: str | None = Field(None, pattern=NAME_PATTERN, description="The interaction this is about.")
    agentid: str | None = Field(None, pattern=NAME_PATTERN, description="The agent involved.")
    queue: str | None = Field(None, min_length=1, max_length=128, description="Queue (skill, workgroup).")
    channel: Channel | None = Field(None, description="Media of the interaction.")
    sequence: str | None = Field(
        None,
        pattern=SEQUENCE_PATTERN,
        description=(
            "CloudEvents sequence extension: the event's place in its source's own order, "
            "compared as a plain string (lower first) and only with events of the same "
            "source. Orders events with the same time and type, e.g. a call that began and "
            "ended within one second of the source's clock. Pad numbers with zeros to one "
            "width ('000000000042')."
        ),
    )

    @field_validator("sequence", mode="before")
    @classmethod
    def _sequence_is_orderable_text(cls, value: object) -> object:
        # Runs before the type check, so a number gets this sentence, not "not a string".
        if value is None or (isinstance(value, str) and _SEQUENCE.fullmatch(value)):
            return value
        raise PydanticCustomError(
            "sequence_invalid",
            "expected a string of 1–128 visible ASCII characters that orders by plain string "
            "comparison (the CloudEvents sequence extension), such as '000000000042'; pad "
            "numbers with zeros to one width, since '10' sorts before '9'",
        )

    @model_validator(mode="after")
    def _required_extensions_present(self) -> Envelope:
        for name in self.required_extensions:
            if getattr(self, name) is None:
                raise PydanticCustomError(
                    "missing_extension",
                    "{type} events need the extension attribute '{name}'; expected a non-empty string",
                    {"type": self.type, "name": name},
                )
        return self
