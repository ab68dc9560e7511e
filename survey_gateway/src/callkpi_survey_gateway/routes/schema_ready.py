"""The gateway's tables brought up to date before a route of the gateway touches them."""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from callkpi.api.deps import AppState

from ..gateway_store import ensure_gateway_schema, gateway_schema_ready


async def gateway_tables_ready(request: Request) -> None:
    # `callkpi serve` opens the store as the core; the gateway's own chain is migrated on its
    # first request, so no webhook ever meets a missing table. Async, with the thread pool only
    # for that first migration: FastAPI runs a sync dependency in the pool on every request,
    # and that hand-off cost more than the inbound webhook's whole transaction (so the app
    # state is read here too, not through the core's sync `State` dependency).
    state: AppState = request.app.state.callkpi
    if not gateway_schema_ready(state.store):
        await run_in_threadpool(ensure_gateway_schema, state.store)
