"""Closing the loop: which answers are detractors, and the default ``callkpi_detractor``
plugin that tells the centre through a signed JSON webhook.

The webhook body is JSON; ``X-Callkpi-Timestamp`` carries the Unix time of the attempt and
``X-Callkpi-Signature`` is ``sha256=`` + HMAC-SHA256 (the centre's secret) of
``"{timestamp}." + body``. Signing the timestamp with the body lets a receiver refuse a
captured request replayed later (:func:`verify_signature` with a tolerance), and the
``id`` in the body (``surveyid:instrument``) lets it drop the duplicates retries can cause.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pluggy

from callkpi import hookimpl

log = logging.getLogger(__name__)

DEFAULT_THRESHOLDS: dict[str, float] = {"nps": 6, "csat": 2, "ces": 2}
SIGNATURE_HEADER = "X-Callkpi-Signature"
TIMESTAMP_HEADER = "X-Callkpi-Timestamp"
EVENT_TYPE = "survey.detractor"


def is_detractor(instrument: str, score: float | None, thresholds: Mapping[str, float] | None = None) -> bool:
    """Whether ``score`` on ``instrument`` is at or below the centre's detractor threshold
    (default NPS ≤ 6, CSAT ≤ 2, CES ≤ 2); instruments without a threshold never are."""
    limit = (thresholds if thresholds is not None else DEFAULT_THRESHOLDS).get(instrument)
    return limit is not None and score is not None and score <= limit


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Callkpi-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str, body: bytes, timestamp: str, signature: str, now: float, tolerance_s: float = 300
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent (a replay
    of an old request fails even though its signature is genuine)."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` in all, waiting ``base_delay_s`` × 2ⁿ (capped) between."""

    attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    timeout_s: float = 5.0

    def delay(self, failures: int) -> float:
        return min(self.base_delay_s * 2 ** (failures - 1), self.max_delay_s)


class WebhookError(RuntimeError):
    """The webhook was refused (4xx) or still failing after every attempt."""


def _retryable(response: httpx.Response) -> bool:
    # 5xx is the receiver's trouble and may pass; 429 asks us to come back later. Any other
    # 4xx says the request itself is wrong, so sending it again cannot help.
    return response.status_code >= 500 or response.status_code == 429


def webhook_body(response: Mapping[str, Any], centre: str) -> bytes:
    """The JSON body for one detractor answer: stable key order, so equal input signs equally."""
    payload = {
        "type": EVENT_TYPE,
        "id": f"{response['surveyid']}:{response['instrument']}",
        "centre": centre,
        "response": dict(response),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def post_signed(
    client: httpx.Client,
    url: str,
    secret: str,
    body: bytes,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """POST ``body`` signed with ``secret``; retry timeouts, connection errors, 5xx and 429
    with exponential backoff; raise :class:`WebhookError` on another 4xx or when out of attempts."""
    problem = ""
    for attempt in range(1, policy.attempts + 1):
        timestamp = int(time.time())  # re-signed per attempt so a late retry is not "stale"
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        try:
            reply = client.post(url, content=body, headers=headers, timeout=policy.timeout_s)
        except httpx.TransportError as exc:  # timeouts, refused connections, resets
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if reply.is_success:
                return reply
            if not _retryable(reply):
                raise WebhookError(f"detractor webhook {url} refused the request: HTTP {reply.status_code}")
            problem = f"HTTP {reply.status_code}"
        if attempt < policy.attempts:
            sleep(policy.delay(attempt))
    raise WebhookError(f"detractor webhook {url} failed {policy.attempts} times; last: {problem}")


def notify_detractor(
    response: Mapping[str, Any], centre: str, url: str, secret: str, policy: RetryPolicy = RetryPolicy()
) -> httpx.Response:
    """Send one detractor answer to the centre's webhook (a fresh client: detractors are rare)."""
    with httpx.Client() as client:
        return post_signed(client, url, secret, webhook_body(response, centre), policy)


def fire_detractor(pm: pluggy.PluginManager, response: dict[str, Any], centre: str) -> None:
    """Call every ``callkpi_detractor`` implementation; one failing (logged) never stops the
    others — unlike a plain hook call, which stops at the first exception."""
    arguments = {"response": response, "centre": centre}
    for impl in pm.hook.callkpi_detractor.get_hookimpls():
        try:
            impl.function(**{name: arguments[name] for name in impl.argnames})
        except Exception:
            log.exception("callkpi_detractor of plugin %s failed for survey %s", impl.plugin_name,
                          response.get("surveyid"))


def detractor_has_work(pm: pluggy.PluginManager, centre: str) -> bool:
    """Whether :func:`fire_detractor` would do anything for ``centre``: some other plugin
    implements ``callkpi_detractor``, or the centre configured a webhook for the default one.
    When not, the webhook route spares the thread hand-off that firing nothing would cost."""
    return any(impl.function is not callkpi_detractor or _webhook_configured(centre)
               for impl in pm.hook.callkpi_detractor.get_hookimpls())


def _webhook_configured(centre: str) -> bool:
    from .policy import survey_configs  # the configured centres; imported late to avoid a cycle

    config = survey_configs().get(centre)
    return config is not None and bool(config.detractor_webhook_url)


def _webhook_target(centre: str) -> tuple[str, str] | None:
    """The centre's (url, secret), or ``None`` when it configured no webhook."""
    from .policy import survey_configs  # the configured centres; imported late to avoid a cycle

    if not _webhook_configured(centre):
        return None
    config = survey_configs()[centre]
    if not config.detractor_webhook_secret:
        raise WebhookError(
            f"centre {centre!r}: detractor_webhook_url is set but detractor_webhook_secret is empty; "
            "expected a shared secret to sign the webhook with"
        )
    return config.detractor_webhook_url, config.detractor_webhook_secret


@hookimpl
def callkpi_detractor(response: dict[str, Any], centre: str) -> None:
    """Default close-the-loop plugin: POST the answer to the centre's signed webhook, if any."""
    target = _webhook_target(centre)
    if target is None:
        return
    url, secret = target
    notify_detractor(response, centre, url, secret)
    log.info("detractor %s:%s sent to %s", response.get("surveyid"), response.get("instrument"), url)
