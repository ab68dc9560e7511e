"""The channels surveys are sent through, and how a send can end.

A channel's ``send`` either returns what the provider accepted or raises one of the
:class:`SendError` kinds below; the dispatcher's at-most-once rules hang on that split:
only a :class:`NotSent` or :class:`RateLimited` failure may be retried, an
:class:`AmbiguousSend` never is (the message may be on its way), and a
:class:`PermanentFailure` closes the survey.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..config import GatewaySettings


@dataclass(frozen=True)
class Sender:
    """Who a message is sent from: an E.164 number or a Messaging Service (one of the two)."""

    sms_from: str | None = None
    messaging_service_sid: str | None = None


@dataclass(frozen=True)
class ProviderMessage:
    """A message as the provider knows it: its id and status in the provider's words."""

    sid: str
    status: str
    error_code: str | None = None


class SendError(Exception):
    """A send that did not end with an accepted message."""


class PermanentFailure(SendError):
    """The provider refused the message for good (invalid number, unsubscribed …)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class RateLimited(SendError):
    """The provider asked us to slow down (HTTP 429); nothing was sent."""


class NotSent(SendError):
    """The request certainly did not create a message (no connection, refused credentials)."""


class AmbiguousSend(SendError):
    """The request may or may not have created a message (timeout, reset, 5xx)."""


class SmsChannel(Protocol):
    """What the dispatcher needs of an SMS provider."""

    name: str

    def send(self, to: str, body: str, *, status_callback: str, sender: Sender) -> ProviderMessage:
        """Hand one message to the provider; raise a :class:`SendError` kind when that fails."""
        ...

    def find_sent(self, to: str, body: str, since: datetime) -> ProviderMessage | None:
        """The message with ``body`` sent to ``to`` at or after ``since``, if the provider has one."""
        ...


@dataclass(frozen=True)
class ChannelDeclaration:
    """What ``callkpi_register_survey_channels`` registers: a name and how to build the channel."""

    name: str
    build: Callable[[GatewaySettings], SmsChannel]


def declared_channels(pm: object) -> dict[str, ChannelDeclaration]:
    """Every channel the plugins of ``pm`` declare, by name (a later duplicate is refused)."""
    channels: dict[str, ChannelDeclaration] = {}

    def register(declaration: ChannelDeclaration) -> None:
        if declaration.name in channels:
            raise ValueError(f"survey channel {declaration.name!r} is declared twice; expected unique names")
        channels[declaration.name] = declaration

    pm.hook.callkpi_register_survey_channels(register=register)
    return channels
