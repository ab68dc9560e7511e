"""Who may look at a centre's live views.

The API (``/v1/realtime``, ``/v1/alerts``) takes a bearer key of scope read or admin. The
pages take the dashboard's session, and the wallboard also ``?key=<read key>``, for a wall
screen that cannot sign in: the key then sits in the screen's URL (browser history, proxy
logs), so give each screen its own read key of its own centre and revoke it with the screen.
A read key sees its own centre only; an admin key every centre.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from ..api.deps import require_scope
from ..api.models import ProblemItem
from ..api.problems import ProblemError
from ..dashboard.auth import LoginRefused, Viewer, check_login_key, current_viewer
from ..store.apikeys import ApiKeyRecord

ReadKey = Annotated[ApiKeyRecord, Depends(require_scope("read", "admin"))]


def check_centre(centre: str, own: str, scope: str, where: ProblemItem) -> None:
    """403 unless a key of ``scope`` bound to ``own`` may see ``centre``."""
    if scope != "admin" and centre != own:
        detail = f"centre = {centre!r}: your key is bound to centre {own!r}; expected {own!r}"
        raise ProblemError(403, "forbidden-centre", "Forbidden", detail, [where.model_copy(update={"detail": detail})])


async def wall_viewer(
    request: Request,
    key: Annotated[str | None, Query(description="A read key, for wall screens that cannot sign in.")] = None,
) -> Viewer:
    """The viewer of ``?key=`` when given, else of the dashboard session (→ login page)."""
    if key is None:
        return await current_viewer(request)
    try:
        return await run_in_threadpool(check_login_key, request.app.state.callkpi.store, key)
    except LoginRefused as refused:
        detail = f"key = {refused!s}"
        item = ProblemItem(detail=detail, parameter="key")
        raise ProblemError(401, "unauthorized", "Unauthorized", detail, [item]) from None


WallViewer = Annotated[Viewer, Depends(wall_viewer)]
