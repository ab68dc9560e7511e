"""The gateway's HTTP routes, mounted into ``callkpi serve`` by the plugin (or served alone)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from callkpi.api.deps import State

from ..gateway_store import ensure_gateway_schema
from . import twilio_inbound, twilio_status, web


def _gateway_tables_ready(state: State) -> None:
    # `callkpi serve` opens the store as the core; the gateway's own chain is migrated on its
    # first request (a set lookup afterwards), so no webhook ever meets a missing table.
    ensure_gateway_schema(state.store)


def gateway_router() -> APIRouter:
    """Every gateway route (``/twilio/sms/status``, ``/twilio/sms/inbound``, ``/s/…``) in one router."""
    router = APIRouter(dependencies=[Depends(_gateway_tables_ready)])
    for module in (twilio_status, twilio_inbound, web):
        router.include_router(module.router)
    return router
