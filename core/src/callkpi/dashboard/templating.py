"""The dashboard's Jinja2 environment: its templates folder, filters and one render helper.

Other pages (wallboard, alerts) render through :func:`render_page` too, with templates in
this folder that ``{% extends "base.html" %}`` and fill the blocks ``title``, ``content``
and ``scripts``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .auth import Viewer
from .charts import render_svg

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters["svg"] = render_svg


def render_page(
    request: Request, name: str, viewer: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render template ``name`` for ``viewer`` (``None`` on the login page)."""
    return templates.TemplateResponse(
        request, name, {"viewer": viewer, **context}, status_code=status_code
    )
