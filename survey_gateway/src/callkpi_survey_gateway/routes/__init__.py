"""The gateway's HTTP routes, mounted into ``callkpi serve`` by the plugin (or served alone)."""

from __future__ import annotations

from fastapi import APIRouter

from . import surveys, twilio_inbound, twilio_status, web


def gateway_routers() -> list[APIRouter]:
    """The Twilio webhooks (``/twilio/sms/status``, ``/twilio/sms/inbound``) in one router, the
    web survey (``/s/…``) in another, and ``POST /v1/surveys`` in a third.

    Each is one level: FastAPI matches a request against every included router level by
    level, twice (to pick, then to handle), and on the inbound webhook one level less was a
    measurable share of the request. The webhooks' router has fixed paths only, so ``callkpi
    serve`` can try it before the core's routes (:mod:`callkpi.api.plugin_routes`). Each
    module's router carries its own dependencies, so nothing is lost by copying its routes."""
    webhooks = APIRouter()
    for module in (twilio_status, twilio_inbound):
        webhooks.routes.extend(module.router.routes)
    return [webhooks, web.router, surveys.router]
