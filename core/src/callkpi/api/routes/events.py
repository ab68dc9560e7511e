"""``POST /v1/events``: batch ingest of CloudEvents, with a result per event."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ...store.apikeys import ApiKeyRecord
from ..crud import ingest_events
from ..deps import State, require_scope
from ..models import BatchResult, Problem, ProblemItem
from ..problems import PROBLEM_MEDIA_TYPE, ProblemError, problem_response, problem_type

MAX_EVENTS = 1000
MAX_BODY_BYTES = 16 * 1024 * 1024
MEDIA_TYPES = ("application/json", "application/cloudevents-batch+json")
_BATCH_SCHEMA = {
    "type": "array",
    "maxItems": MAX_EVENTS,
    "items": {"type": "object"},
    "description": "CloudEvents 1.0 in structured JSON (see `callkpi schema`).",
}
_PROBLEM = {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}}

router = APIRouter(tags=["events"])


@router.post(
    "/events",
    summary="Ingest a batch of events",
    response_model=BatchResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": _BATCH_SCHEMA} for t in MEDIA_TYPES},
        }
    },
    responses={
        207: {"model": BatchResult, "description": "Some events stored, some not."},
        422: {**_PROBLEM, "description": "No event stored; the problem lists each event's result."},
        400: _PROBLEM,
        401: _PROBLEM,
        403: _PROBLEM,
        413: _PROBLEM,
        415: _PROBLEM,
    },
)
async def post_events(
    request: Request,
    state: State,
    key: Annotated[ApiKeyRecord, Depends(require_scope("ingest", "admin"))],
) -> JSONResponse:
    """Store up to 1,000 events in one transaction. Events without a ``centre`` get the key's
    centre; events of another centre are rejected. Invalid events are quarantined, never lost.
    200 when every event is stored or a duplicate, 207 when mixed, 422 when none is stored."""
    items = parse_batch(await read_body(request))
    origin = f"POST /v1/events key {key.prefix} request {uuid.uuid4().hex[:12]}"
    batch = await run_in_threadpool(
        ingest_events, state.ingestor(key.centre), items, key.centre, origin
    )
    stored = batch.accepted + batch.duplicates
    if stored == len(items):
        return JSONResponse(batch.model_dump(mode="json", exclude_none=True), status_code=200)
    if stored:
        return JSONResponse(batch.model_dump(mode="json", exclude_none=True), status_code=207)
    return problem_response(request, nothing_stored(batch))


async def read_body(request: Request) -> bytes:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise ProblemError(
            415,
            "unsupported-media-type",
            "Unsupported Media Type",
            f"Content-Type = {media_type or 'missing'!r}; expected {' or '.join(MEDIA_TYPES)}",
            [ProblemItem(detail="unsupported media type", header="Content-Type")],
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large(f"body of {declared} bytes; expected at most {MAX_BODY_BYTES}")
    return await request.body()


def parse_batch(body: bytes) -> list[Any]:
    """The request body as a list of at most MAX_EVENTS items (each validated later, on its own)."""
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ProblemError(
            400,
            "invalid-json",
            "Invalid JSON",
            f"the body is not valid JSON: {exc}",
            [ProblemItem(detail=str(exc), pointer="")],
        ) from None
    if not isinstance(items, list):
        detail = (
            f"the body is a JSON {type(items).__name__}; expected an array of events "
            "(send one event as [event])"
        )
        raise ProblemError(
            400, "not-a-batch", "Not a batch", detail, [ProblemItem(detail=detail, pointer="")]
        )
    if len(items) > MAX_EVENTS:
        raise _too_large(
            f"{len(items)} events; expected at most {MAX_EVENTS} per request (split the batch)"
        )
    return items


def _too_large(detail: str) -> ProblemError:
    return ProblemError(
        413, "batch-too-large", "Batch too large", detail, [ProblemItem(detail=detail, pointer="")]
    )


def nothing_stored(batch: BatchResult) -> Problem:
    errors = [item for result in batch.results if result.problem for item in result.problem.errors]
    return Problem(
        type=problem_type("nothing-stored"),
        title="No event stored",
        status=422,
        detail=f"none of the {len(batch.results)} events was stored: "
        f"{batch.quarantined} quarantined, "
        f"{batch.rejected} rejected",
        errors=errors,
        **batch.model_dump(mode="json", exclude_none=True),
    )
