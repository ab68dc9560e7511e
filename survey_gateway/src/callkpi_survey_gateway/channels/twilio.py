"""SMS through Twilio with the official SDK (``twilio.rest.Client``).

The SDK is given an HTTP client without retries and with a timeout: a retried POST could
send the same survey twice, so an unclear outcome is reported as :class:`AmbiguousSend`
and left to reconciliation. ``twilio_api_base`` (tests: the fake Twilio) replaces the
``https://api.twilio.com`` origin the SDK builds its URLs from.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError

from . import AmbiguousSend, NotSent, PermanentFailure, ProviderMessage, RateLimited, Sender

if TYPE_CHECKING:
    from twilio.http.response import Response

    from ..config import GatewaySettings

TWILIO_ORIGIN = "https://api.twilio.com"
SEND_TIMEOUT_S = 15.0
LOOKUP_PAGE = 50


class RedirectingHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, sending what it addresses to api.twilio.com to ``base_url``."""

    def __init__(self, base_url: str, timeout: float = SEND_TIMEOUT_S):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> Response:
        if url.startswith(TWILIO_ORIGIN):
            url = self.base_url + url[len(TWILIO_ORIGIN):]
        return super().request(method, url, *args, **kwargs)


class TwilioChannel:
    """:class:`~callkpi_survey_gateway.channels.SmsChannel` over Twilio's Messages API."""

    name = "twilio"

    def __init__(self, client: Client):
        self.client = client

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> TwilioChannel:
        """A channel with the account of ``settings``, against ``twilio_api_base`` when set."""
        http_client = (RedirectingHttpClient(settings.twilio_api_base) if settings.twilio_api_base
                       else TwilioHttpClient(timeout=SEND_TIMEOUT_S))
        return cls(Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client))

    def send(self, to: str, body: str, *, status_callback: str, sender: Sender) -> ProviderMessage:
        """POST one message; map every failure onto the dispatcher's failure kinds."""
        origin = ({"messaging_service_sid": sender.messaging_service_sid} if sender.messaging_service_sid
                  else {"from_": sender.sms_from})
        try:
            message = self.client.messages.create(to=to, body=body, status_callback=status_callback, **origin)
        except TwilioRestException as exc:
            raise _classified(exc) from exc
        except requests.RequestException as exc:
            if _never_connected(exc):
                raise NotSent(f"could not connect to Twilio: {exc}") from exc
            raise AmbiguousSend(f"{type(exc).__name__}: {exc}") from exc
        return ProviderMessage(message.sid, message.status)

    def find_sent(self, to: str, body: str, since: datetime) -> ProviderMessage | None:
        """Look the message up among the newest messages to ``to`` by body and creation time.

        Not filtered by ``DateSent``: Twilio sets that only once a message leaves its queue, so
        a message still queued would look never sent — and be failed although it is coming."""
        try:
            found = self.client.messages.list(to=to, limit=LOOKUP_PAGE)
        except (TwilioRestException, requests.RequestException) as exc:
            raise AmbiguousSend(f"message lookup failed: {exc}") from exc
        for message in found:
            if message.body == body and message.date_created and message.date_created >= since:
                return ProviderMessage(message.sid, message.status, _code(message.error_code))
        return None


def _never_connected(exc: requests.RequestException) -> bool:
    """Whether the request failed before a connection existed (refused, connect timeout):
    then Twilio never saw it. A read timeout or a reset after connecting proves nothing."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # urllib3's NewConnectionError (refused, unreachable) is a ConnectTimeoutError too.
    return isinstance(exc, requests.ConnectTimeout) or isinstance(reason, ConnectTimeoutError)


def _classified(exc: TwilioRestException) -> Exception:
    if exc.status == 429:
        return RateLimited(f"Twilio {exc.code}: {exc.msg}")
    if exc.status >= 500:
        return AmbiguousSend(f"Twilio answered {exc.status}: {exc.msg}")
    if exc.status in (401, 403):  # our credentials, not this message: fix the settings and it goes
        return NotSent(f"Twilio refused the credentials ({exc.code}: {exc.msg}); check the account SID and token")
    return PermanentFailure(_code(exc.code) or str(exc.status), exc.msg)


def _code(code: object) -> str | None:
    return None if code in (None, "") else str(code)
