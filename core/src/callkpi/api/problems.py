"""RFC 9457 problem details for every error the API returns, with a JSON pointer per problem."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .models import Problem, ProblemItem

PROBLEM_MEDIA_TYPE = "application/problem+json"
# How routes document their problem answers in OpenAPI (core routes and plugins' alike).
PROBLEM_RESPONSE = {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}}
AUTH_ERRORS = {
    400: {**PROBLEM_RESPONSE, "description": "A parameter is invalid."},
    401: {**PROBLEM_RESPONSE, "description": "No API key, or an unknown or revoked one."},
    403: {**PROBLEM_RESPONSE, "description": "The key may not read, or not this centre."},
    # every other error (a server failure, say) is a problem detail too; documenting it
    # also keeps FastAPI from listing a 422 this API never sends (bad input is a 400)
    "default": {**PROBLEM_RESPONSE, "description": "Any other error."},
}
log = logging.getLogger(__name__)
# The location at the start of an ingest reason: "data.items[0].score = 11: expected …".
_REASON_LOCATION = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*)(?: = |: )")


def problem_type(slug: str) -> str:
    """The ``type`` URI of a callkpi problem, e.g. ``urn:callkpi:problem:batch-too-large``."""
    return f"urn:callkpi:problem:{slug}"


class ProblemError(Exception):
    """Raised anywhere in a request to answer with a problem detail."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        errors: Sequence[ProblemItem] = (),
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ):
        super().__init__(detail)
        self.problem = Problem(
            type=problem_type(slug),
            title=title,
            status=status,
            detail=detail,
            errors=list(errors),
            **extensions,
        )
        self.headers = headers


def problem_response(
    request: Request, problem: Problem, headers: dict[str, str] | None = None
) -> JSONResponse:
    problem.instance = problem.instance or request.url.path
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def reason_pointer(reason: str, base: str = "") -> str:
    """The JSON pointer of the field an ingest reason names, under ``base`` (e.g. ``/3``)."""
    match = _REASON_LOCATION.match(reason)
    if not match or match.group(1) == "event":
        return base
    parts = re.findall(r"[A-Za-z_]\w*|\d+", match.group(1))
    return base + "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def reason_items(reasons: Iterable[str], base: str = "") -> list[ProblemItem]:
    return [ProblemItem(detail=reason, pointer=reason_pointer(reason, base)) for reason in reasons]


async def _on_problem(request: Request, exc: ProblemError) -> JSONResponse:
    return problem_response(request, exc.problem.model_copy(), exc.headers)


async def _on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    problem = Problem(
        title=HTTPStatus(exc.status_code).phrase, status=exc.status_code, detail=str(exc.detail)
    )
    return problem_response(request, problem, exc.headers)


async def _on_invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    items = [ProblemItem(detail=_error_detail(error), **_location(error["loc"])) for error in exc.errors()]
    problem = Problem(
        type=problem_type("invalid-request"),
        title="Invalid request",
        status=400,
        detail="the request does not match what this endpoint expects",
        errors=items,
    )
    return problem_response(request, problem)


async def _on_crash(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error serving %s", request.url.path, exc_info=exc)
    problem = Problem(
        title="Internal Server Error",
        status=500,
        detail="the server failed; nothing in this request was committed unless a result said so",
    )
    return problem_response(request, problem)


def _location(loc: Sequence[int | str]) -> dict[str, str]:
    # FastAPI prefixes the part of the request ("body", "query", …): a pointer into the body,
    # else the parameter or header by name.
    if loc and loc[0] in ("query", "path") and len(loc) > 1:
        return {"parameter": str(loc[1])}
    if loc and loc[0] == "header" and len(loc) > 1:
        return {"header": str(loc[1])}
    return {"pointer": "".join(f"/{part}" for part in loc[1:]) if loc and loc[0] == "body" else ""}


def _error_detail(error: dict[str, Any]) -> str:
    """``where = value: what was expected``, the way every callkpi error reads."""
    where = ".".join(str(part) for part in error["loc"][1:]) or str(error["loc"][0])
    if error["type"] == "missing":
        return f"{where}: missing; expected a value"
    value = repr(error.get("input"))
    value = value if len(value) <= 80 else value[:77] + "..."
    return f"{where} = {value}: {error['msg']}"


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` an ``application/problem+json`` response."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_invalid_request)
    app.add_exception_handler(Exception, _on_crash)
