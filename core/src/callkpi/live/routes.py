"""HTTP routes of the live views: ``GET /v1/realtime``, ``GET /v1/alerts``, the wallboard page
``/wallboard/{centre}`` with its SSE stream, and the ``/alerts`` page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from ..api.deps import AppState, State
from ..api.models import Problem, ProblemItem
from ..api.problems import PROBLEM_MEDIA_TYPE
from ..dashboard import templating as dashboard_templating
from ..dashboard.auth import CurrentViewer
from ..store.centres import CentreConfig
from .access import ReadKey, WallViewer, check_centre
from .board import alerts_overview, board_now, centre_config, realtime
from .models import AlertsOverview, RealtimeSnapshot
from .stream import board_stream

HERE = Path(__file__).parent
STATIC = {"wallboard.css": "text/css", "wallboard.js": "text/javascript"}
_PROBLEM = {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}}
_API_PROBLEMS = {401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM, 422: _PROBLEM}
CentreQuery = Annotated[str | None, Query(description="The centre; default: the key's own.")]

# Our templates first, then the dashboard's (base.html), with the dashboard's filters.
_environment = Environment(
    loader=ChoiceLoader([FileSystemLoader(HERE / "templates"), FileSystemLoader(dashboard_templating.TEMPLATES_DIR)]),
    autoescape=select_autoescape(),
)
_environment.filters.update(dashboard_templating.templates.env.filters)
templates = Jinja2Templates(env=_environment)

router = APIRouter()


@router.get("/v1/realtime", tags=["realtime"], response_model=RealtimeSnapshot, responses=_API_PROBLEMS,
            summary="A centre now: waiting contacts, agents by state, today's volumes and service level")
async def get_realtime(state: State, key: ReadKey, centre: CentreQuery = None) -> RealtimeSnapshot:
    """The realtime snapshot of ``centre`` (a read key sees its own centre only), per queue and in total."""
    config = await _visible_centre(state, centre or key.centre, key.centre, key.scope)
    return await run_in_threadpool(realtime, state, config.name)


@router.get("/v1/alerts", tags=["alerts"], response_model=AlertsOverview, responses=_API_PROBLEMS,
            summary="A centre's alert rules with their state, and its latest alert changes")
async def get_alerts(state: State, key: ReadKey, centre: CentreQuery = None) -> AlertsOverview:
    """Rules (ok, firing or not yet evaluated) and the latest 100 changes, newest first."""
    config = await _visible_centre(state, centre or key.centre, key.centre, key.scope)
    return await run_in_threadpool(alerts_overview, state, config)


@router.get("/wallboard/{centre}", response_class=HTMLResponse, include_in_schema=False)
async def wallboard(request: Request, centre: str, state: State, viewer: WallViewer) -> HTMLResponse:
    """The full-screen wallboard; live through its SSE stream."""
    config = await _visible_centre(state, centre, viewer.centre, viewer.scope)
    initial = await run_in_threadpool(board_now, state, config)
    key = request.query_params.get("key")
    return templates.TemplateResponse(request, "wallboard.html", {"board": initial, "centre": centre, "key": key})


@router.get("/wallboard/{centre}/stream", include_in_schema=False)
async def wallboard_stream(centre: str, state: State, viewer: WallViewer) -> StreamingResponse:
    """Server-Sent Events: ``board`` messages with the tiles, at once and on every change."""
    config = await _visible_centre(state, centre, viewer.centre, viewer.scope)
    return StreamingResponse(
        board_stream(centre, lambda: board_now(state, config)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
async def alerts_page(
    request: Request, state: State, viewer: CurrentViewer, centre: CentreQuery = None
) -> HTMLResponse:
    """The alerts page of the dashboard: rules, their state and the latest changes."""
    config = await _visible_centre(state, centre or viewer.centre, viewer.centre, viewer.scope)
    overview = await run_in_threadpool(alerts_overview, state, config)
    return templates.TemplateResponse(
        request, "alerts.html", {"viewer": viewer, "centre": config.name, "overview": overview}
    )


@router.get("/live/static/{name}", include_in_schema=False)
async def live_static(name: str) -> FileResponse:
    """The wallboard's stylesheet and script."""
    if name not in STATIC:
        raise HTTPException(404, f"no static file {name!r}; expected one of {', '.join(STATIC)}")
    return FileResponse(HERE / "static" / name, media_type=STATIC[name])


async def _visible_centre(state: AppState, centre: str, own: str, scope: str) -> CentreConfig:
    """The configuration of ``centre`` if a key of ``scope`` bound to ``own`` may see it (else 403 / 404)."""
    where = ProblemItem(detail="", parameter="centre")
    check_centre(centre, own, scope, where)
    return await run_in_threadpool(centre_config, state, centre, where)
