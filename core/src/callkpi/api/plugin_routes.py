"""Plugin routers in the app: behind the core's, unless no other route can answer their paths.

FastAPI tries the app's top-level routes in order and serves the first that matches, so the
core's come first and a plugin can never shadow a core route. Every request to a plugin
route then pays for trying all of the core's: ~45 µs, about 4 % of the CPU of a survey
reply on the Twilio webhook. A plugin router whose routes all have fixed paths that no
other route of the app matches, with any method, answers exactly the same requests wherever
it stands, so it is tried first.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match, Route

from ..extensions import PluginRoutes

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def include_plugin_routers(app: FastAPI, registered: Sequence[PluginRoutes]) -> None:
    """Include every registered router after the app's own routes, then move those that no
    other route can reach to the front."""
    for routes in registered:
        app.include_router(routes.router, prefix=routes.prefix)
    if not registered:
        return
    included = app.router.routes[-len(registered):]
    first = [entry for entry, routes in zip(included, registered, strict=True)
             if _answered_only_by(entry, _fixed_paths(routes), app.router.routes)]
    app.router.routes[:] = [*first, *(entry for entry in app.router.routes if not _among(entry, first))]


def _fixed_paths(routes: PluginRoutes) -> list[str]:
    """The full paths of the router's routes; empty when any of them has a parameter or is
    not a plain HTTP route (a mount, a websocket), whose reach cannot be compared."""
    paths = []
    for route in routes.router.routes:
        if not isinstance(route, Route) or route.param_convertors:
            return []
        paths.append(routes.prefix + route.path)
    return paths


def _answered_only_by(entry: BaseRoute, paths: list[str], entries: list[BaseRoute]) -> bool:
    others = [other for other in entries if other is not entry]
    return bool(paths) and not any(
        other.matches(_request_scope(path, method))[0] != Match.NONE
        for other in others for path in paths for method in HTTP_METHODS
    )


def _request_scope(path: str, method: str) -> dict[str, object]:
    return {"type": "http", "path": path, "method": method, "root_path": "", "headers": [], "query_string": b""}


def _among(entry: BaseRoute, entries: list[BaseRoute]) -> bool:
    return any(entry is each for each in entries)
