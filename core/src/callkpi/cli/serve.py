"""``callkpi serve``: the HTTP API with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from ..api.main import create_app
from .runtime import DatabaseOption, settings_for


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    database: DatabaseOption = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    # Open wallboard streams would otherwise hold a shutdown up for as long as they live.
    uvicorn.run(create_app(settings_for(database)), host=host, port=port, timeout_graceful_shutdown=5)
