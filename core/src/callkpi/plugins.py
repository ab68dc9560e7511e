"""Building the plugin manager and the catalogue of what plugins registered.

Every plugin, first-party or a vendor's, arrives through the ``callkpi`` entry-point
group. One broken plugin is reported and skipped; it never takes the others down.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol

import pluggy

from . import PROJECT_NAME, builtin, hookspecs
from .connectors import ConnectorRegistry
from .events import EventTypeRegistry
from .settings import Settings

CORE_PLUGIN = "callkpi"


class Registry(Protocol):
    def register(self, *args: Any, plugin: str, **kwargs: Any) -> Any: ...
    def discard(self, plugin: str) -> None: ...


@dataclass(frozen=True)
class SkippedPlugin:
    name: str
    distribution: str
    reason: str


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


@dataclass
class Catalog:
    """What the loaded plugins registered, validated at registration."""

    event_types: EventTypeRegistry = field(default_factory=EventTypeRegistry)
    connectors: ConnectorRegistry = field(default_factory=ConnectorRegistry)

    def registries(self) -> dict[str, Registry]:
        """Registration hook name → the registry its ``register`` callback fills."""
        return {
            "callkpi_register_event_types": self.event_types,
            "callkpi_register_connectors": self.connectors,
        }


class CallkpiPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers skipped plugins and where each came from."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.skipped: list[SkippedPlugin] = []
        self.distributions: dict[str, tuple[str, str]] = {CORE_PLUGIN: (CORE_PLUGIN, _core_version())}

    def skip(self, name: str, reason: str) -> None:
        distribution = self.distributions.pop(name, (name, ""))[0]
        if self.get_plugin(name) is not None:
            self.unregister(name=name)
        self.skipped.append(SkippedPlugin(name, distribution, reason))

    def loaded(self) -> list[LoadedPlugin]:
        result = []
        for name, plugin in self.list_name_plugin():
            hooks = tuple(sorted(caller.name for caller in self.get_hookcallers(plugin) or []))
            distribution, version = self.distributions.get(name, (name, ""))
            result.append(LoadedPlugin(name, distribution, version, hooks))
        return result

    @cached_property
    def catalog(self) -> Catalog:
        catalog = Catalog()
        for name, plugin in list(self.list_name_plugin()):
            try:
                _register_plugin(self, catalog, name, plugin)
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                for registry in catalog.registries().values():
                    registry.discard(name)
                self.skip(name, f"registration failed: {exc}")
        return catalog


def _core_version() -> str:
    from . import __version__

    return __version__


def _register_plugin(pm: CallkpiPluginManager, catalog: Catalog, name: str, plugin: object) -> None:
    for hook_name, registry in catalog.registries().items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin is plugin:
                impl.function(register=_bound_register(registry, name))


def _bound_register(registry: Registry, plugin: str) -> Callable[..., Any]:
    def register(*args: Any, **kwargs: Any) -> Any:
        return registry.register(*args, plugin=plugin, **kwargs)

    return register


def _unknown_hooks(plugin: object) -> list[str]:
    known = {name for name in dir(hookspecs) if name.startswith("callkpi_")}
    problems = []
    for attr in dir(plugin):
        if attr.startswith("callkpi_") and attr not in known:
            close = difflib.get_close_matches(attr, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.append(f"{attr} is not a callkpi hook{hint}")
    return problems


def _load_entry_point(pm: CallkpiPluginManager, ep: EntryPoint, disabled: set[str]) -> None:
    distribution = ep.dist.name if ep.dist else ep.value
    if ep.name in disabled:
        pm.skipped.append(SkippedPlugin(ep.name, distribution, "disabled by CALLKPI_DISABLED_PLUGINS"))
        return
    pm.distributions[ep.name] = (distribution, ep.dist.version if ep.dist else "")
    try:
        plugin = ep.load()
        problems = _unknown_hooks(plugin)
        if problems:
            raise ValueError("; ".join(problems))
        pm.register(plugin, name=ep.name)
    except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop the rest
        pm.skip(ep.name, f"{type(exc).__name__}: {exc}")


def get_plugin_manager(settings: Settings | None = None, *, entry_points_group: str | None = PROJECT_NAME,
                       plugins: tuple[tuple[str, object], ...] = ()) -> CallkpiPluginManager:
    """Build a plugin manager: the core plugin, every installed ``callkpi`` entry point
    (unless disabled), then ``plugins`` given as ``(name, plugin)`` pairs (tests use these)."""
    settings = settings or Settings()
    pm = CallkpiPluginManager()
    pm.register(builtin, name=CORE_PLUGIN)
    if entry_points_group:
        for ep in sorted(entry_points(group=entry_points_group), key=lambda e: e.name):
            _load_entry_point(pm, ep, settings.disabled)
    for name, plugin in plugins:
        pm.distributions[name] = (name, "")
        pm.register(plugin, name=name)
    pm.hook.callkpi_configure.call_historic(kwargs={"settings": settings})
    return pm
