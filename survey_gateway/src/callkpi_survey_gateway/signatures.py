"""Twilio's webhook signature (``X-Twilio-Signature``) checked before a webhook is believed.

The signed URL is rebuilt from the configured ``public_base_url``, never from the request:
behind a proxy or load balancer the request's own scheme, host and port are not what
Twilio called, and trusting ``Host`` would let a caller choose the URL being checked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from twilio.request_validator import RequestValidator

from callkpi.api.models import Problem, ProblemItem
from callkpi.api.problems import PROBLEM_MEDIA_TYPE, ProblemError

from .config import GatewaySettings
from .runtime import gateway_settings

HEADER = "X-Twilio-Signature"
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
    params = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    signature = request.headers.get(HEADER)
    if not signature:
        raise _forbidden(f"header {HEADER} is missing; expected Twilio's signature of the request")
    if not RequestValidator(settings.twilio_auth_token).validate(signed_url(settings, request), params, signature):
        raise _forbidden(f"header {HEADER} does not match the request signed for "
                         f"{signed_url(settings, request)}; expected a request from Twilio, unaltered")
    return params


def _forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "forbidden", "Forbidden", detail, [ProblemItem(detail=detail, header=HEADER)])
