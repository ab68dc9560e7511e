"""Request dependencies: the app's shared state and API-key authentication by scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..plugins import CallkpiPluginManager
from ..settings import Settings
from ..store.apikeys import ApiKeyRecord
from ..store.db import Store
from ..store.ingest import Ingestor
from ..store.privacy import CustomerHasher
from .crud import authenticate
from .models import ProblemItem
from .problems import ProblemError

_bearer = HTTPBearer(auto_error=False, description="An API key from `callkpi apikey create`.")


@dataclass
class AppState:
    """One store, plugin manager and hasher per app; one Ingestor per centre keys are bound to."""

    settings: Settings
    store: Store
    pm: CallkpiPluginManager
    hasher: CustomerHasher
    ingestors: dict[str, Ingestor] = field(default_factory=dict)

    def ingestor(self, centre: str) -> Ingestor:
        if centre not in self.ingestors:
            self.ingestors[centre] = Ingestor(
                self.store, self.pm, self.hasher, allowed_centre=centre
            )
        return self.ingestors[centre]


def app_state(request: Request) -> AppState:
    return request.app.state.callkpi


State = Annotated[AppState, Depends(app_state)]


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401,
        "unauthorized",
        "Unauthorized",
        detail,
        [ProblemItem(detail=detail, header="Authorization")],
        headers={"WWW-Authenticate": "Bearer"},
    )


async def api_key(
    state: State, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> ApiKeyRecord:
    """The caller's key from ``Authorization: Bearer <key>``; 401 if missing, unknown or revoked."""
    if credentials is None:
        raise _unauthorized(
            "Authorization header missing or not a bearer token; expected 'Bearer <API key>'"
        )
    record = await run_in_threadpool(authenticate, state.store, credentials.credentials)
    if record is None:
        raise _unauthorized("API key unknown; expected a key made with `callkpi apikey create`")
    if not record.active:
        raise _unauthorized(f"API key {record.prefix} was revoked; expected an active key")
    return record


def require_scope(*scopes: str) -> Callable[..., object]:
    """A dependency admitting keys with one of ``scopes`` (403 otherwise) and returning the key."""

    async def scoped_key(key: Annotated[ApiKeyRecord, Depends(api_key)]) -> ApiKeyRecord:
        if key.scope not in scopes:
            wanted = " or ".join(map(repr, scopes))
            detail = f"API key {key.prefix} has scope {key.scope!r}; expected {wanted}"
            raise ProblemError(
                403,
                "forbidden",
                "Forbidden",
                detail,
                [ProblemItem(detail=detail, header="Authorization")],
            )
        return key

    return scoped_key
