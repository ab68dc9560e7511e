"""The gateway's HTTP routes, mounted into ``callkpi serve`` by the plugin (or served alone)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from callkpi.api.deps import AppState

from ..gateway_store import ensure_gateway_schema, gateway_schema_ready
from . import twilio_inbound, twilio_status, web


async def _gateway_tables_ready(request: Request) -> None:
    # `callkpi serve` opens the store as the core; the gateway's own chain is migrated on its
    # first request, so no webhook ever meets a missing table. Async, with the thread pool only
    # for that first migration: FastAPI runs a sync dependency in the pool on every request,
    # and that hand-off cost more than the inbound webhook's whole transaction (so the app
    # state is read here too, not through the core's sync `State` dependency).
    state: AppState = request.app.state.callkpi
    if not gateway_schema_ready(state.store):
        await run_in_threadpool(ensure_gateway_schema, state.store)


def gateway_router() -> APIRouter:
    """Every gateway route (``/twilio/sms/status``, ``/twilio/sms/inbound``, ``/s/…``) in one router."""
    router = APIRouter(dependencies=[Depends(_gateway_tables_ready)])
    for module in (twilio_status, twilio_inbound, web):
        router.include_router(module.router)
    return router
