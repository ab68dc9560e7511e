"""The two Genesys Cloud endpoints the connector uses, over an injected ``httpx.Client``.

* ``POST {login}/oauth/token`` — OAuth client-credentials grant: HTTP Basic with the
  client id and secret, form body ``grant_type=client_credentials``; the answer's
  ``access_token`` is cached until shortly before ``expires_in`` runs out, and fetched
  again once when the API answers 401 (a token revoked early).
* ``POST {api}/api/v2/analytics/conversations/details/query`` — conversation details for
  an ``interval``, page by page (``paging.pageNumber`` from 1).

429 answers are retried after ``Retry-After`` seconds (capped, a bounded number of times);
any other 4xx/5xx fails at once with the API's own ``message``. The client secret never
appears in an error message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

QUERY_PATH = "/api/v2/analytics/conversations/details/query"
TOKEN_PATH = "/oauth/token"
# Refresh this long before the token's stated expiry, so a request never carries a stale one.
EXPIRY_MARGIN_S = 60.0


class GenesysApiError(ValueError):
    """The API refused a request; the message has the endpoint, status and the API's reason."""


@dataclass
class Credentials:
    client_id: str
    client_secret: str = field(repr=False)


@dataclass
class GenesysApi:
    """Token handling, throttling and errors for one API and login host."""

    client: httpx.Client
    api_url: str
    login_url: str
    credentials: Credentials
    max_retries: int = 5
    max_retry_wait_s: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _token: str | None = field(default=None, repr=False)
    _expires: float = 0.0

    def query(self, body: dict[str, Any]) -> dict[str, Any]:
        """One page of conversation details for ``body`` (interval, paging, order)."""
        response = self._authorized_post(self.api_url + QUERY_PATH, body)
        return response.json()

    def _authorized_post(self, url: str, body: dict[str, Any]) -> httpx.Response:
        response = self._send(url, lambda: self._post_json(url, body))
        if response.status_code == 401:  # revoked or expired early: one fresh token, one retry
            self._token = None
            response = self._send(url, lambda: self._post_json(url, body))
        _raise_for_status(response, f"POST {QUERY_PATH}")
        return response

    def _post_json(self, url: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(url, json=body, headers={"Authorization": f"Bearer {self.token()}"})

    def token(self) -> str:
        """A valid access token, fetched with the client credentials when none is cached."""
        if self._token is None or self.clock() >= self._expires:
            url = self.login_url + TOKEN_PATH
            response = self._send(url, self._request_token)
            _raise_for_status(
                response, f"POST {TOKEN_PATH} (client_id {self.credentials.client_id!r})"
            )
            payload = response.json()
            self._token = payload["access_token"]
            lifetime = float(payload.get("expires_in", 3600))
            self._expires = self.clock() + max(lifetime - EXPIRY_MARGIN_S, 0.0)
        return self._token

    def _request_token(self) -> httpx.Response:
        return self.client.post(
            self.login_url + TOKEN_PATH,
            data={"grant_type": "client_credentials"},
            auth=(self.credentials.client_id, self.credentials.client_secret),
        )

    def _send(self, url: str, request: Callable[[], httpx.Response]) -> httpx.Response:
        """``request()``, repeated after ``Retry-After`` while the API answers 429."""
        for attempt in range(self.max_retries + 1):
            try:
                response = request()
            except httpx.HTTPError as exc:
                raise GenesysApiError(f"{url}: {exc.__class__.__name__}: {exc}") from None
            if response.status_code != 429 or attempt == self.max_retries:
                break
            self.sleep(self._retry_after(response))
        if response.status_code == 429:
            raise GenesysApiError(
                f"{url}: still rate limited (HTTP 429) after {self.max_retries} retries; "
                "expected the limit to clear — lower page_size or sync later"
            )
        return response

    def _retry_after(self, response: httpx.Response) -> float:
        try:
            wait = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            wait = 1.0
        return min(max(wait, 0.0), self.max_retry_wait_s)


def _raise_for_status(response: httpx.Response, what: str) -> None:
    if response.is_success:
        return
    raise GenesysApiError(
        f"{what}: HTTP {response.status_code}: {_api_message(response)}; expected HTTP 200"
    )


def _api_message(response: httpx.Response) -> str:
    """Genesys errors are JSON with ``message`` (API) or ``error_description`` (login)."""
    try:
        payload = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if not isinstance(payload, dict):
        return str(payload)[:300]
    message = payload.get("message") or payload.get("error_description") or payload.get("error")
    code = payload.get("code")
    return f"{message} ({code})" if code and message else str(message or payload)[:300]
