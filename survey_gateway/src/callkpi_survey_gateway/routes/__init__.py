"""The gateway's HTTP routes, mounted into ``callkpi serve`` by the plugin (or served alone)."""

from __future__ import annotations

from fastapi import APIRouter

from . import twilio_inbound, twilio_status, web


def gateway_router() -> APIRouter:
    """Every gateway route (``/twilio/sms/status``, ``/twilio/sms/inbound``, ``/s/…``) in one router.

    The routes are copied in rather than each module's router included: FastAPI matches a
    request against every included router level by level, twice (to pick, then to handle),
    and on the inbound webhook one level less was a measurable share of the request. Each
    module's router carries its own dependencies, so nothing is lost by the copy."""
    router = APIRouter()
    for module in (twilio_status, twilio_inbound, web):
        router.routes.extend(module.router.routes)
    return router
