"""What plugins add to the server and the command line: routes, background tasks and commands.

Each is registered through a ``register`` callback (``callkpi_register_routes``,
``callkpi_register_background_tasks``, ``callkpi_register_commands``) and checked at
once, so a plugin with a bad declaration is skipped at start-up, naming the plugin.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import typer
from fastapi import APIRouter

NAME = re.compile(r"^[a-z][a-z0-9-]{1,63}$")
# The core's own paths: a plugin mounting there would shadow the API or the dashboard.
RESERVED_PREFIXES = ("/v1", "/docs", "/openapi.json", "/redoc", "/api-docs")


@dataclass(frozen=True)
class PluginRoutes:
    """A router a plugin serves inside ``callkpi serve``, under ``prefix``."""

    router: APIRouter
    prefix: str
    plugin: str


@dataclass(frozen=True)
class BackgroundTask:
    """A coroutine ``run(state)`` that ``callkpi serve`` keeps running until shutdown."""

    name: str
    run: Callable[[Any], Awaitable[None]]
    plugin: str


@dataclass(frozen=True)
class PluginCommand:
    """A Typer command group a plugin adds to ``callkpi`` as ``callkpi NAME …``."""

    name: str
    app: typer.Typer
    plugin: str


def _check_name(kind: str, name: str, plugin: str) -> None:
    if not NAME.match(name):
        raise ValueError(
            f"plugin {plugin!r} registers {kind} {name!r}; expected a name of lower-case "
            "letters, digits and '-' (2–64 characters, starting with a letter)"
        )


def _check_unique(kind: str, name: str, registered: dict[str, Any], plugin: str) -> None:
    if name in registered:
        raise ValueError(
            f"plugin {plugin!r} registers {kind} {name!r}, already registered by plugin "
            f"{registered[name].plugin!r}; rename one"
        )


@dataclass
class RouteRegistry:
    """Routers by plugin, in registration order."""

    routes: list[PluginRoutes] = field(default_factory=list)

    def register(self, router: APIRouter, prefix: str = "", *, plugin: str) -> PluginRoutes:
        if not isinstance(router, APIRouter):
            raise TypeError(f"plugin {plugin!r} registered {router!r}; expected a fastapi.APIRouter")
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError(
                f"plugin {plugin!r} registers routes under prefix {prefix!r}; expected '' or a "
                "path starting with '/' and not ending with one, e.g. '/twilio'"
            )
        if prefix.startswith(RESERVED_PREFIXES):
            raise ValueError(
                f"plugin {plugin!r} registers routes under prefix {prefix!r}, which the core "
                f"serves ({', '.join(RESERVED_PREFIXES)}); choose a prefix of your own"
            )
        routes = PluginRoutes(router, prefix, plugin)
        self.routes.append(routes)
        return routes

    def discard(self, plugin: str) -> None:
        self.routes = [r for r in self.routes if r.plugin != plugin]


@dataclass
class BackgroundTaskRegistry:
    """Background tasks by name."""

    tasks: dict[str, BackgroundTask] = field(default_factory=dict)

    def register(self, name: str, run: Callable[[Any], Awaitable[None]], *, plugin: str) -> BackgroundTask:
        _check_name("background task", name, plugin)
        if not inspect.iscoroutinefunction(run):
            raise TypeError(
                f"plugin {plugin!r} registers background task {name!r} with {run!r}; expected "
                "an async function run(state) that loops until cancelled"
            )
        _check_unique("background task", name, self.tasks, plugin)
        task = self.tasks[name] = BackgroundTask(name, run, plugin)
        return task

    def discard(self, plugin: str) -> None:
        self.tasks = {name: t for name, t in self.tasks.items() if t.plugin != plugin}


@dataclass
class CommandRegistry:
    """Command groups by name (the CLI refuses one that shadows a core command)."""

    commands: dict[str, PluginCommand] = field(default_factory=dict)

    def register(self, app: typer.Typer, name: str, *, plugin: str) -> PluginCommand:
        _check_name("command", name, plugin)
        if not isinstance(app, typer.Typer):
            raise TypeError(f"plugin {plugin!r} registers command {name!r} with {app!r}; expected a typer.Typer")
        _check_unique("command", name, self.commands, plugin)
        command = self.commands[name] = PluginCommand(name, app, plugin)
        return command

    def discard(self, plugin: str) -> None:
        self.commands = {name: c for name, c in self.commands.items() if c.plugin != plugin}
