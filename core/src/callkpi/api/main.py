"""The FastAPI app: ``create_app(settings)`` builds it around one store and one plugin manager."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import __version__
from ..dashboard import install_dashboard
from ..live import routes as live_routes
from ..plugins import CallkpiPluginManager, get_plugin_manager
from ..settings import Settings
from ..store.db import Store
from ..store.privacy import open_hasher
from .api_docs import install_api_docs
from .background import background_tasks
from .deps import AppState
from .plugin_routes import include_plugin_routers
from .problems import install_problem_handlers
from .routes import centre, events, health, kpis, queue_map, reports
from .webhooks import mount_webhooks

API_PREFIX = "/v1"


def create_app(settings: Settings | None = None, *, pm: CallkpiPluginManager | None = None) -> FastAPI:
    """Open (and migrate) the store of ``settings`` and return the app serving it, with the
    plugins of ``pm`` (default: every installed plugin)."""
    state = open_state(settings or Settings(), pm)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with background_tasks(state):
            yield
        state.store.dispose()

    app = FastAPI(
        title="callkpi",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Contact-centre KPIs from vendor-neutral events. "
        "Errors are RFC 9457 problem details.",
    )
    app.state.callkpi = state
    install_problem_handlers(app)
    install_api_docs(app)
    app.include_router(events.router, prefix=API_PREFIX)
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(kpis.router, prefix=API_PREFIX)
    app.include_router(reports.router, prefix=API_PREFIX)
    app.include_router(centre.router, prefix=API_PREFIX)
    app.include_router(queue_map.router, prefix=API_PREFIX)
    mount_webhooks(app, state)
    install_dashboard(app, state.settings)
    app.include_router(live_routes.router)
    include_plugin_routers(app, state.pm.catalog.routes.routes)
    return app


def open_state(settings: Settings, pm: CallkpiPluginManager | None = None) -> AppState:
    store = Store.open(settings.database_url)
    pm = pm or get_plugin_manager(settings)
    with store.transaction() as connection:
        hasher = open_hasher(connection, settings)
    return AppState(settings, store, pm, hasher)
