"""``GET /v1/health``: is the store reachable, at which schema revision, which version."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import SQLAlchemyError

from ... import __version__
from ..crud import schema_revision
from ..deps import State
from ..models import Health, Problem
from ..problems import PROBLEM_MEDIA_TYPE, ProblemError

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}}},
)
async def health(state: State) -> Health:
    """200 when the store answers; 503 (a problem naming the cause) when it does not."""
    try:
        revision = await run_in_threadpool(schema_revision, state.store)
    except SQLAlchemyError as exc:
        raise ProblemError(
            503,
            "store-unreachable",
            "Store unreachable",
            f"the store does not answer: {type(exc).__name__}",
        ) from None
    return Health(dialect=state.store.dialect, schema_revision=revision, version=__version__)
