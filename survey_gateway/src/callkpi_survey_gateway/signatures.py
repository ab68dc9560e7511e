"""Twilio's webhook signature (``X-Twilio-Signature``) checked before a webhook is believed.

The signed URL is rebuilt from the configured ``public_base_url``, never from the request:
behind a proxy or load balancer the request's own scheme, host and port are not what
Twilio called, and trusting ``Host`` would let a caller choose the URL being checked.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Annotated
from urllib.parse import parse_qsl, urlparse

from fastapi import Depends, Request
from twilio.request_validator import RequestValidator, add_port, compare, remove_port

from callkpi.api.models import Problem, ProblemItem
from callkpi.api.problems import PROBLEM_MEDIA_TYPE, ProblemError

from .config import GatewaySettings
from .runtime import gateway_settings

HEADER = "X-Twilio-Signature"
FORM_URLENCODED = "application/x-www-form-urlencoded"
_PROBLEM = {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}}
SIGNED_WEBHOOK_ERRORS: dict[int | str, dict] = {
    400: {**_PROBLEM, "description": "A form field Twilio always sends is missing."},
    403: {**_PROBLEM, "description": f"{HEADER} missing, or not matching the request."},
    "default": {**_PROBLEM, "description": "Any other error."},
}


def signed_url(settings: GatewaySettings, request: Request) -> str:
    """The URL Twilio signed: the public base URL, then the request's path and query."""
    query = f"?{request.url.query}" if request.url.query else ""
    return settings.public_base_url.rstrip("/") + request.url.path + query


async def twilio_signed_form(request: Request,
                             settings: Annotated[GatewaySettings, Depends(gateway_settings)]) -> dict[str, str]:
    """The posted form, once its signature checks out over every posted parameter; a 403
    problem when the signature is missing or does not match."""
    params = await posted_form(request)
    signature = request.headers.get(HEADER)
    if not signature:
        raise _forbidden(f"header {HEADER} is missing; expected Twilio's signature of the request")
    url = signed_url(settings, request)
    if not signature_matches(settings.twilio_auth_token, url, params, signature):
        raise _forbidden(f"header {HEADER} does not match the request signed for "
                         f"{url}; expected a request from Twilio, unaltered")
    return params


async def posted_form(request: Request) -> dict[str, str]:
    """The posted form's text fields (the last value of a repeated name, as Starlette's form).

    Twilio posts ``application/x-www-form-urlencoded``; that body is split with
    :func:`urllib.parse.parse_qsl`, which costs a fraction of Starlette's streaming form
    parser. Its bytes are read as Latin-1 and the escapes as UTF-8, as Starlette reads them."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type == FORM_URLENCODED:
        return dict(parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True))
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


def signature_matches(auth_token: str, url: str, params: dict[str, str], signature: str) -> bool:
    """What :meth:`RequestValidator.validate` answers for a posted form, with the URL
    without its port tried first and the one with it only when that fails (Twilio signs
    either): a genuine request costs one HMAC rather than two."""
    validator = _validator(auth_token)
    return any(compare(validator.compute_signature(candidate, params), signature) for candidate in _signed_urls(url))


@cache
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


@lru_cache(maxsize=256)
def _signed_urls(url: str) -> tuple[str, str]:
    # Bounded: a status callback's URL carries its message's outbox id. The inbound webhook
    # has one URL per configuration, parsed once rather than on every request.
    parsed = urlparse(url)
    return remove_port(parsed), add_port(parsed)


def _forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "forbidden", "Forbidden", detail, [ProblemItem(detail=detail, header=HEADER)])
