"""Dashboard sign-in: an API key (scope read or admin) is exchanged for a signed session cookie.

The cookie holds only the key's prefix, never the key: every request looks the prefix up
again, so revoking a key signs its sessions out at once. The cookie is signed (Starlette's
``SessionMiddleware``, itsdangerous) with a secret derived from the installation's HMAC key
(``CALLKPI_HMAC_KEY`` or the key file), so no extra secret has to be configured or kept.
Scripts may instead send the key as ``Authorization: Bearer <key>`` on each request.

Pages use :func:`current_viewer` as a dependency::

    @router.get("/wallboard/{centre}")
    def wallboard(centre: str, viewer: CurrentViewer): ...
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from ..settings import Settings
from ..store.apikeys import API_KEY_TABLE, ApiKeyRecord, find_api_key
from ..store.db import Store
from ..store.privacy import load_key

VIEW_SCOPES = ("read", "admin")
SESSION_FIELD = "viewer"
SESSION_COOKIE = "callkpi_session"
SESSION_MAX_AGE_S = 12 * 3600
LOGIN_PATH = "/login"


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the signed-in key's centre, prefix and scope."""

    centre: str
    key_prefix: str
    scope: str

    @property
    def is_admin(self) -> bool:
        return self.scope == "admin"

    def may_see(self, centre: str) -> bool:
        """Admin keys see every centre; read keys only their own."""
        return self.is_admin or centre == self.centre


class LoginRequired(Exception):
    """Raised by :func:`current_viewer` without a valid session; answered with a redirect to the login page."""

    def __init__(self, next_url: str):
        super().__init__(next_url)
        self.next_url = next_url

    @property
    def login_url(self) -> str:
        return f"{LOGIN_PATH}?next={quote(self.next_url, safe='/')}"


class LoginRefused(ValueError):
    """The key given on the login form cannot sign in; the message says why."""


def session_secret(settings: Settings) -> str:
    """The cookie-signing secret: an HMAC of a fixed label under the installation's key,
    so it is stable across restarts and never equal to the customer-hashing key itself."""
    return hmac.new(load_key(settings), b"callkpi dashboard session v1", hashlib.sha256).hexdigest()


def session_options(settings: Settings) -> dict[str, object]:
    """Keyword arguments for ``SessionMiddleware``: HttpOnly (always), SameSite=Lax, 12 h."""
    return {
        "secret_key": session_secret(settings),
        "session_cookie": SESSION_COOKIE,
        "max_age": SESSION_MAX_AGE_S,
        "same_site": "lax",
        "https_only": False,  # `callkpi serve` may run behind a TLS proxy or on plain loopback
    }


def check_login_key(store: Store, key: str) -> Viewer:
    """The viewer ``key`` signs in as, or :class:`LoginRefused` saying why it cannot."""
    key = key.strip()
    if not key:
        raise LoginRefused("API key is empty; expected a key made with `callkpi apikey create`")
    with store.reading() as connection:
        record = find_api_key(connection, key)
    if record is None:
        raise LoginRefused("API key unknown; expected a key made with `callkpi apikey create`")
    return _viewer_of(record)


def _viewer_of(record: ApiKeyRecord) -> Viewer:
    if not record.active:
        raise LoginRefused(f"API key {record.prefix} was revoked; expected an active key")
    if record.scope not in VIEW_SCOPES:
        raise LoginRefused(
            f"API key {record.prefix} has scope {record.scope!r}; expected 'read' or 'admin'"
        )
    return Viewer(record.centre, record.prefix, record.scope)


def sign_in(request: Request, viewer: Viewer) -> None:
    """Start a session for ``viewer`` (a fresh session: nothing of an earlier one is kept)."""
    request.session.clear()
    request.session[SESSION_FIELD] = viewer.key_prefix


def sign_out(request: Request) -> None:
    request.session.clear()


def _key_by_prefix(store: Store, prefix: str) -> ApiKeyRecord | None:
    with store.reading() as connection:
        row = connection.execute(
            select(API_KEY_TABLE).where(API_KEY_TABLE.c.prefix == prefix)
        ).first()
    if row is None:
        return None
    return ApiKeyRecord(row.prefix, row.scope, row.centre, row.label, row.created_at, row.revoked_at)


def session_viewer(store: Store, prefix: object) -> Viewer | None:
    """The viewer of a session's key prefix, or ``None`` when the key is gone, revoked or not allowed."""
    if not isinstance(prefix, str):
        return None
    record = _key_by_prefix(store, prefix)
    try:
        return _viewer_of(record) if record is not None else None
    except LoginRefused:
        return None


def bearer_viewer(store: Store, authorization: str | None) -> Viewer | None:
    """The viewer of an ``Authorization: Bearer <key>`` header, so scripts can fetch pages
    and CSV exports without a session; ``None`` without one or for a key that may not view."""
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    try:
        return check_login_key(store, key)
    except LoginRefused:
        return None


def request_viewer(store: Store, request: Request) -> Viewer | None:
    """The viewer of the request's session, else of its bearer key."""
    viewer = session_viewer(store, request.session.get(SESSION_FIELD))
    return viewer or bearer_viewer(store, request.headers.get("authorization"))


async def current_viewer(request: Request) -> Viewer:
    """The viewer signed in (or sending a bearer key); raises :class:`LoginRequired`
    (→ redirect to ``/login?next=…``) otherwise."""
    viewer = await run_in_threadpool(request_viewer, request.app.state.callkpi.store, request)
    if viewer is None:
        request.session.clear()
        raise LoginRequired(_here(request))
    request.state.viewer = viewer  # for pages rendered outside the route, e.g. error pages
    return viewer


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(url: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or ``http://…``)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    return url


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
