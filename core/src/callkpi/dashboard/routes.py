"""The dashboard's pages: sign-in, the KPI dashboard, the survey page and CSV export.

Server-rendered: every filter is a query parameter, so each view is a shareable URL.
Handlers are plain ``def``: their store reads run in FastAPI's thread pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api.deps import State
from ..store.centres import CentreConfig, load_centres
from .auth import CurrentViewer, LoginRefused, Viewer, check_login_key, safe_next, sign_in, sign_out
from .queries import filter_options
from .query import BadQuery, DashboardQuery, local_today, parse_query, presets
from .surveys import survey_view
from .tables import TABLE_KPIS, table_csv, table_report
from .templating import render_page
from .views import dashboard_view

router = APIRouter(include_in_schema=False)


@router.get("/login", name="login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return render_page(request, "login.html", None, next=safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request, state: State, key: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
) -> Response:
    """Exchange an API key (scope read or admin) for a session cookie, then go where the user was headed."""
    try:
        viewer = check_login_key(state.store, key)
    except LoginRefused as exc:
        return render_page(request, "login.html", None, status_code=401, next=safe_next(next), error=str(exc))
    sign_in(request, viewer)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request) -> RedirectResponse:
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/", name="dashboard")
def dashboard(request: Request, state: State, viewer: CurrentViewer) -> HTMLResponse:
    """KPI tiles, trend charts, the service-level heat map and the queue and agent tables."""
    centres, query = _view(request, state, viewer)
    config = centres[query.centre]
    view = dashboard_view(state.store, state.pm.catalog.kpis, query, config)
    return render_page(request, "dashboard.html", viewer, view=view, **_form(state, viewer, centres, query))


@router.get("/surveys", name="surveys")
def surveys(request: Request, state: State, viewer: CurrentViewer) -> HTMLResponse:
    """NPS, CSAT and CES with confidence intervals, response rate, comments and detractors."""
    centres, query = _view(request, state, viewer)
    view = survey_view(state.store, state.pm.catalog.kpis, query, centres[query.centre])
    return render_page(request, "surveys.html", viewer, view=view, **_form(state, viewer, centres, query))


@router.get("/export.csv", name="export_csv")
def export_csv(request: Request, state: State, viewer: CurrentViewer, table: str = "queues") -> Response:
    """Table ``queues`` or ``agents`` of the view in the query string, as CSV (the ``callkpi report`` columns)."""
    if table not in TABLE_KPIS:
        raise BadQuery(f"table = {table!r}: expected one of {', '.join(TABLE_KPIS)}")
    centres, query = _view(request, state, viewer)
    report = table_report(state.store, state.pm.catalog.kpis, query, centres[query.centre], table)
    body = table_csv(report, TABLE_KPIS[table][0])
    filename = f"callkpi-{query.centre}-{table}-{query.date_from}-{query.date_to}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _view(request: Request, state: State, viewer: Viewer) -> tuple[dict[str, CentreConfig], DashboardQuery]:
    """The centres and the view the query string asks for (:class:`BadQuery` → the error page)."""
    with state.store.reading() as connection:
        centres = load_centres(connection)
    return centres, parse_query(request.query_params, viewer, centres)


def bad_query_page(request: Request, exc: Exception) -> HTMLResponse:
    """The error page for a query string the dashboard cannot use: status 400 (403 for a centre out of reach)."""
    assert isinstance(exc, BadQuery)  # registered for this exception type only
    viewer = getattr(request.state, "viewer", None)
    return render_page(request, "error.html", viewer, status_code=exc.status, message=str(exc))


def _form(state: State, viewer: Viewer, centres: dict[str, CentreConfig], query: DashboardQuery) -> dict[str, object]:
    """What the filter form needs: the centres this key may pick, quick periods and filter options."""
    visible = sorted(name for name in centres if viewer.may_see(name))
    today = local_today(centres[query.centre])
    return {
        "centre": query.centre,
        "centres": visible,
        "query": query,
        "presets": {label: query.with_period(*period) for label, period in presets(today).items()},
        "options": filter_options(state.store, query.centre),
    }
