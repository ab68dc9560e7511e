"""The web dashboard: server-rendered pages over the KPI engine, signed in with an API key.

:func:`install_dashboard` adds it to the API app: the session middleware, the static
files, the pages, and the redirect to the login page for requests without a session.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from ..settings import Settings
from .auth import LoginRequired, session_options
from .query import BadQuery
from .routes import bad_query_page, router
from .templating import STATIC_DIR


def install_dashboard(app: FastAPI, settings: Settings) -> None:
    """Serve the dashboard pages and ``/static`` from ``app``, with cookie sessions signed for ``settings``."""
    app.add_middleware(SessionMiddleware, **session_options(settings))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)
    app.add_exception_handler(LoginRequired, _redirect_to_login)
    app.add_exception_handler(BadQuery, bad_query_page)


async def _redirect_to_login(request: Request, exc: Exception) -> RedirectResponse:
    assert isinstance(exc, LoginRequired)  # registered for this exception type only
    return RedirectResponse(exc.login_url, status_code=303)
