"""Webhook mode: ``POST /connectors/twilio-taskrouter/events``, the Workspace's EventCallbackUrl.

Twilio signs every callback: ``X-Twilio-Signature`` is an HMAC of the URL it called plus
every posted parameter, keyed with the account's auth token. The URL checked is the
configured public ``webhook_url``, never the one this server sees, which a proxy or load
balancer rewrites. A callback without a valid signature is refused with 403 and nothing
of it is stored. A valid one is mapped and stored before the 204 answer, so a failure
answers 500 and Twilio delivers again; a re-delivery is a duplicate (ids come from the
event's sid).
"""

from __future__ import annotations

import logging
from collections import Counter
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from callkpi.api.models import ProblemItem
from callkpi.api.problems import ProblemError
from callkpi.connectors import RawEvent, WebhookContext

from .events import BadEvent, from_callback
from .mapping import EventMapper

FORM = "application/x-www-form-urlencoded"
MAX_BODY_BYTES = 256 * 1024  # a callback with large task attributes is a few kB
log = logging.getLogger(__name__)


def router(context: WebhookContext) -> APIRouter:
    """The callback route, checking signatures against ``webhook_url`` with ``auth_token``."""
    config = context.config
    url = config.get("webhook_url")
    if not url:
        raise ValueError("/webhook_url: missing; expected the public URL configured as the "
                         "Workspace's EventCallbackUrl, to check Twilio's signatures against")
    validator = RequestValidator(config["auth_token"])
    mapper = EventMapper(config, Counter())
    routes = APIRouter()

    @routes.post("/events", status_code=204, response_class=Response,
                 summary="Receive a TaskRouter event callback (signed by Twilio)")
    async def taskrouter_event(request: Request) -> Response:
        params = await _form(request)
        _check_signature(validator, url, params, request.headers.get(SIGNATURE_HEADER))
        raw = _raw_events(mapper, params)
        if raw:
            await run_in_threadpool(context.ingest, raw)
        return Response(status_code=204)

    return routes


async def _form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM:
        detail = f"Content-Type = {media_type or 'missing'!r}; expected {FORM!r}"
        raise ProblemError(415, "unsupported-media-type", "Unsupported Media Type", detail,
                           [ProblemItem(detail=detail, header="Content-Type")])
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        detail = f"body of {len(body)} bytes; expected at most {MAX_BODY_BYTES}"
        raise ProblemError(413, "callback-too-large", "Callback too large", detail)
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _check_signature(validator: RequestValidator, url: str, params: dict[str, str],
                     signature: str | None) -> None:
    if signature and validator.validate(url, params, signature):
        return
    why = "missing" if not signature else "does not match the configured webhook_url and auth token"
    detail = f"{SIGNATURE_HEADER} {why}; expected Twilio's signature of this callback"
    raise ProblemError(403, "bad-signature", "Forbidden", detail,
                       [ProblemItem(detail=detail, header=SIGNATURE_HEADER)])


def _raw_events(mapper: EventMapper, params: dict[str, str]) -> list[RawEvent]:
    origin = f"TaskRouter callback {params.get('Sid', '?')}"
    try:
        event = from_callback(params)
        seen = sum(mapper.notes.values())
        mapped = mapper.events(event)
    except BadEvent as exc:
        return [RawEvent(dict(params), origin, str(exc))]
    if sum(mapper.notes.values()) != seen:
        log.info("TaskRouter callbacks skipped so far: %s", dict(mapper.notes))
    return [RawEvent(payload, origin) for payload in mapped]
