"""Building the plugin manager and the catalogue of what plugins registered.

Every plugin, first-party or a vendor's, arrives through the ``callkpi`` entry-point
group. One broken plugin is reported and skipped; it never takes the others down.
A plugin is checked before it is registered (unknown hook names, arguments a hook
does not pass, a hook function left unmarked), and its registrations are checked
when the catalogue is built, so it fails at start-up, not mid-report.
"""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol

import pluggy

from . import PROJECT_NAME, __version__, builtin, hookspecs
from .connectors import ConnectorRegistry
from .events import EventTypeRegistry
from .extensions import BackgroundTaskRegistry, CommandRegistry, RouteRegistry
from .kpi.registry import KpiRegistry
from .live import plugin as live_plugin
from .settings import Settings

CORE_PLUGIN = "callkpi"
HOOK_NAMES = frozenset(name for name in dir(hookspecs) if name.startswith("callkpi_"))
log = logging.getLogger(__name__)


class Registry(Protocol):
    """What a registration hook's ``register`` callback fills: checks each registration
    and can forget everything one plugin registered."""

    def register(self, *args: Any, plugin: str, **kwargs: Any) -> Any: ...
    def discard(self, plugin: str) -> None: ...


@dataclass(frozen=True)
class SkippedPlugin:
    """A plugin that was not loaded, where it came from, and why (shown by ``callkpi plugins``)."""

    name: str
    distribution: str
    reason: str


@dataclass(frozen=True)
class LoadedPlugin:
    """A loaded plugin, the distribution and version it came from, and the hooks it implements."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


@dataclass
class Catalog:
    """What the loaded plugins registered, validated at registration."""

    event_types: EventTypeRegistry = field(default_factory=EventTypeRegistry)
    connectors: ConnectorRegistry = field(default_factory=ConnectorRegistry)
    kpis: KpiRegistry = field(default_factory=KpiRegistry)
    routes: RouteRegistry = field(default_factory=RouteRegistry)
    background_tasks: BackgroundTaskRegistry = field(default_factory=BackgroundTaskRegistry)
    commands: CommandRegistry = field(default_factory=CommandRegistry)

    def registries(self) -> dict[str, Registry]:
        """Registration hook name → the registry its ``register`` callback fills."""
        return {
            "callkpi_register_event_types": self.event_types,
            "callkpi_register_connectors": self.connectors,
            "callkpi_register_kpis": self.kpis,
            "callkpi_register_routes": self.routes,
            "callkpi_register_background_tasks": self.background_tasks,
            "callkpi_register_commands": self.commands,
        }


class CallkpiPluginManager(pluggy.PluginManager):
    """A pluggy manager that checks plugins before registering them and remembers
    which were skipped, and where each came from."""

    def __init__(self, disabled: Iterable[str] = ()) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.disabled = frozenset(disabled)
        self.skipped: list[SkippedPlugin] = []
        self.distributions: dict[str, tuple[str, str]] = {CORE_PLUGIN: (CORE_PLUGIN, __version__)}

    def add(self, name: str, load: Callable[[], object], distribution: str = "",
            version: str = "") -> bool:
        """Load a plugin with ``load()``, check it and register it as ``name``. Any failure
        records it as skipped with the reason instead of raising; returns whether it loaded."""
        distribution = distribution or name
        reason = self._refusal(name)
        if reason is None:
            try:
                plugin = load()
            except Exception as exc:  # one broken plugin must not stop the rest
                reason = f"import failed: {type(exc).__name__}: {exc}"
            else:
                reason = self._register_checked(name, plugin, distribution, version)
        if reason is not None:
            self._record_skip(name, distribution, reason)
        return reason is None

    def _refusal(self, name: str) -> str | None:
        if name in self.disabled:
            return "disabled by CALLKPI_DISABLED_PLUGINS"
        if self.has_plugin(name):
            return f"a plugin named {name!r} is already loaded from {self.distributions[name][0]!r}"
        return None

    def _register_checked(self, name: str, plugin: object, distribution: str,
                          version: str) -> str | None:
        problems = plugin_problems(self, plugin)
        if problems:
            return "; ".join(problems)
        self.distributions[name] = (distribution, version)
        try:
            self.register(plugin, name=name)
        except Exception as exc:  # includes a failing callkpi_configure
            self._forget(name)
            return f"registration failed: {type(exc).__name__}: {exc}"
        return None

    def skip(self, name: str, reason: str) -> None:
        """Unload an already registered plugin and record it as skipped for ``reason``."""
        distribution = self.distributions.get(name, (name, ""))[0]
        self._forget(name)
        self._record_skip(name, distribution, reason)

    def _record_skip(self, name: str, distribution: str, reason: str) -> None:
        self.skipped.append(SkippedPlugin(name, distribution, reason))
        log.warning("callkpi plugin %r (%s) skipped: %s", name, distribution, reason)

    def _forget(self, name: str) -> None:
        self.distributions.pop(name, None)
        if self.get_plugin(name) is not None:
            self.unregister(name=name)

    def loaded(self) -> list[LoadedPlugin]:
        """Every registered plugin with its distribution, version and implemented hooks."""
        result = []
        for name, plugin in self.list_name_plugin():
            hooks = tuple(sorted(caller.name for caller in self.get_hookcallers(plugin) or []))
            distribution, version = self.distributions.get(name, (name, ""))
            result.append(LoadedPlugin(name, distribution, version, hooks))
        return result

    @cached_property
    def catalog(self) -> Catalog:
        """Everything the plugins registered, built once on first use (a plugin registered
        later is not in it). A plugin whose registration raises is skipped and all it
        registered is removed again."""
        catalog = Catalog()
        for name, plugin in list(self.list_name_plugin()):
            try:
                _register_plugin(self, catalog, plugin, name)
            except Exception as exc:  # isolation is the point
                for registry in catalog.registries().values():
                    registry.discard(name)
                self.skip(name, f"registration failed: {exc}")
        return catalog


def plugin_problems(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """Why ``plugin`` cannot be registered: hook names that do not exist (with the nearest
    real one), arguments a hook does not pass, hook functions not marked as hookimpls."""
    problems = []
    for attr in dir(plugin):
        opts = pm.parse_hookimpl_opts(plugin, attr)
        if opts is None:
            if attr in HOOK_NAMES and callable(getattr(plugin, attr, None)):
                problems.append(f"{attr} is not marked with @callkpi.hookimpl, "
                                "so it would never be called")
            continue
        hook_name = opts.get("specname") or attr
        if hook_name not in HOOK_NAMES:
            if not opts.get("optionalhook"):
                problems.append(_unknown_hook(hook_name))
            continue
        problems.extend(_argument_problems(pm, plugin, attr, hook_name))
    return problems


def _unknown_hook(hook_name: str) -> str:
    close = difflib.get_close_matches(hook_name, sorted(HOOK_NAMES), n=1)
    hint = f"did you mean {close[0]}?" if close else "see docs/plugin_hooks.md for the hooks"
    return f"{hook_name} is not a callkpi hook; {hint}"


def _argument_problems(pm: pluggy.PluginManager, plugin: object, attr: str,
                       hook_name: str) -> list[str]:
    required = _required_arguments(getattr(plugin, attr))
    passed = getattr(pm.hook, hook_name).spec.argnames
    unknown = [arg for arg in required if arg not in passed]
    if not unknown:
        return []
    return [f"{attr}({', '.join(required)}) takes {', '.join(map(repr, unknown))}, which "
            f"{hook_name} does not pass; expected only arguments from ({', '.join(passed)})"]


def _required_arguments(function: Callable[..., Any]) -> list[str]:
    """The arguments a hook must pass, as pluggy sees them (a class's ``self`` dropped)."""
    names = [parameter.name for parameter in inspect.signature(function).parameters.values()
             if parameter.default is parameter.empty
             and parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)]
    return names[1:] if names[:1] == ["self"] else names


def _register_plugin(pm: CallkpiPluginManager, catalog: Catalog, plugin: object, name: str) -> None:
    for hook_name, registry in catalog.registries().items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin is plugin:
                # Called one plugin at a time (not through the hook) so that a failure
                # is pinned on the plugin that caused it.
                arguments = {"register": _bound_register(registry, name)}
                impl.function(**{arg: arguments[arg] for arg in impl.argnames})


def _bound_register(registry: Registry, plugin: str) -> Callable[..., Any]:
    def register(*args: Any, **kwargs: Any) -> Any:
        return registry.register(*args, plugin=plugin, **kwargs)

    return register


def _entry_point_origin(ep: EntryPoint) -> tuple[str, str]:
    return (ep.dist.name, ep.dist.version) if ep.dist else (ep.value, "")


def get_plugin_manager(settings: Settings | None = None, *,
                       entry_points_group: str | None = PROJECT_NAME,
                       plugins: Iterable[tuple[str, object]] = ()) -> CallkpiPluginManager:
    """Build a plugin manager: the core plugin, every installed entry point of
    ``entry_points_group`` (unless disabled), then ``plugins`` given as ``(name, plugin)``
    pairs (tests use these). Broken plugins end up in ``pm.skipped``, never raise."""
    settings = settings or Settings()
    pm = CallkpiPluginManager(settings.disabled)
    # Historic: recorded now, so each plugin gets the settings as it registers and a
    # plugin whose callkpi_configure raises is skipped on its own.
    pm.hook.callkpi_configure.call_historic(kwargs={"settings": settings})
    pm.register(builtin, name=CORE_PLUGIN)
    # The wallboards and alerts ship with the core but are a plugin like any other, so an
    # installation that doesn't want them can disable "live".
    pm.add("live", lambda: live_plugin, CORE_PLUGIN, __version__)
    if entry_points_group:
        for ep in sorted(entry_points(group=entry_points_group), key=lambda e: e.name):
            pm.add(ep.name, ep.load, *_entry_point_origin(ep))
    for name, plugin in plugins:
        pm.add(name, lambda plugin=plugin: plugin)
    return pm
