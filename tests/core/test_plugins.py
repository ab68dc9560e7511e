"""The plugin manager with real plugins: entry points of real (throwaway) distributions
found by importlib.metadata, and plugin objects written here the way a vendor would."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from textwrap import dedent

import pytest

from callkpi import hookimpl
from callkpi.connectors import Connector
from callkpi.events import EventData
from callkpi.plugins import CORE_PLUGIN, LoadedPlugin, SkippedPlugin, get_plugin_manager
from callkpi.settings import Settings
from dist_info import write_dist_info

CORE_PLUGINS = (CORE_PLUGIN, "live")  # the core's own plugins: event types; wallboards and alerts
GROUP = "callkpi_test_plugins"
GOOD_PLUGIN = '''
    from callkpi import hookimpl
    from callkpi.events import EventData

    class BotEscalated(EventData):
        bot: str

    @hookimpl
    def callkpi_register_event_types(register):
        register("chat.bot_escalated", BotEscalated, requires=("contactid",))
'''


@dataclass
class SitePackages:
    """A directory on sys.path into which tests install throwaway distributions."""

    root: Path

    def install(self, distribution: str, version: str, plugins: dict[str, str]) -> None:
        """Install ``distribution`` with one module and one ``GROUP`` entry point per plugin
        (entry-point name → module source)."""
        for name, source in plugins.items():
            (self.root / f"{module_name(name)}.py").write_text(dedent(source))
        entry_points = {name: module_name(name) for name in plugins}
        write_dist_info(self.root, distribution, version, entry_points, group=GROUP)


def module_name(plugin: str) -> str:
    return f"callkpi_test_plugin_{plugin}"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SitePackages]:
    monkeypatch.chdir(tmp_path)  # no callkpi.toml of the developer's gets read
    packages = tmp_path / "site-packages"
    packages.mkdir()
    monkeypatch.syspath_prepend(str(packages))
    yield SitePackages(packages)
    for name in [name for name in sys.modules if name.startswith("callkpi_test_plugin_")]:
        del sys.modules[name]


def build(*plugins: tuple[str, object], settings: Settings | None = None):
    return get_plugin_manager(settings or Settings(), entry_points_group=GROUP, plugins=plugins)


def loaded_names(pm) -> list[str]:
    return [plugin.name for plugin in pm.loaded()]


class BotEscalated(EventData):
    bot: str


class EventTypePlugin:
    """Registers one event type; ``type_name`` lets two plugins collide on purpose."""

    def __init__(self, type_name: str = "chat.bot_escalated"):
        self.type_name = type_name

    @hookimpl
    def callkpi_register_event_types(self, register):
        register(self.type_name, BotEscalated)


def test_entry_point_plugin_reports_distribution_and_version(site: SitePackages):
    site.install("acme-plugins", "1.2.3", {"acme": GOOD_PLUGIN})
    pm = build()
    assert pm.loaded() == [
        LoadedPlugin(CORE_PLUGIN, "callkpi", version("callkpi"), ("callkpi_register_event_types",)),
        LoadedPlugin("live", "callkpi", version("callkpi"),
                     ("callkpi_event_recorded", "callkpi_register_background_tasks")),
        LoadedPlugin("acme", "acme-plugins", "1.2.3", ("callkpi_register_event_types",)),
    ]
    assert pm.catalog.event_types.types["chat.bot_escalated"].plugin == "acme"
    assert pm.skipped == []


def test_plugin_that_fails_to_import_is_skipped_and_the_others_load(site: SitePackages):
    broken = "import callkpi_no_such_dependency\n"
    site.install("acme-plugins", "1.0", {"acme": GOOD_PLUGIN, "broken": broken})
    pm = build()
    reason = "import failed: ModuleNotFoundError: No module named 'callkpi_no_such_dependency'"
    assert pm.skipped == [SkippedPlugin("broken", "acme-plugins", reason)]
    assert loaded_names(pm) == [*CORE_PLUGINS, "acme"]
    assert "chat.bot_escalated" in pm.catalog.event_types.types


def test_disabled_plugin_is_skipped_by_name_and_never_imported(site: SitePackages,
                                                               monkeypatch: pytest.MonkeyPatch):
    other = GOOD_PLUGIN.replace("bot_", "other_")
    site.install("acme-plugins", "1.0", {"acme": GOOD_PLUGIN, "other": other})
    monkeypatch.setenv("CALLKPI_DISABLED_PLUGINS", " acme , nonexistent")
    pm = build()
    reason = "disabled by CALLKPI_DISABLED_PLUGINS"
    assert pm.skipped == [SkippedPlugin("acme", "acme-plugins", reason)]
    assert loaded_names(pm) == [*CORE_PLUGINS, "other"]
    assert module_name("acme") not in sys.modules


def test_two_distributions_with_one_plugin_name_keep_the_first(site: SitePackages):
    site.install("acme-plugins", "1.0", {"acme": GOOD_PLUGIN})
    pm = build(("acme", EventTypePlugin("chat.other_escalated")))
    reason = "a plugin named 'acme' is already loaded from 'acme-plugins'"
    assert pm.skipped == [SkippedPlugin("acme", "acme", reason)]
    hooks = ("callkpi_register_event_types",)
    assert pm.loaded()[len(CORE_PLUGINS)] == LoadedPlugin("acme", "acme-plugins", "1.0", hooks)


def test_registration_that_raises_skips_the_plugin_and_removes_all_it_registered(site):
    class HalfRegistered:
        @hookimpl
        def callkpi_register_event_types(self, register):
            register("chat.bot_escalated", BotEscalated)

        @hookimpl
        def callkpi_register_connectors(self, register):
            register(Connector(id="half", title="Half", emits=("chat.bot_escalated",),
                               read=lambda source, config: iter(())))
            raise RuntimeError("licence file missing; expected /etc/acme/licence")

    pm = build(("half", HalfRegistered()))
    assert pm.catalog.event_types.types.keys() >= {"contact.offered"}
    assert "chat.bot_escalated" not in pm.catalog.event_types.types
    assert pm.catalog.connectors.connectors == {}
    reason = "registration failed: licence file missing; expected /etc/acme/licence"
    assert pm.skipped == [SkippedPlugin("half", "half", reason)]
    assert loaded_names(pm) == [*CORE_PLUGINS]


def test_duplicate_event_type_names_both_plugins_and_keeps_the_first(site: SitePackages):
    pm = build(("first", EventTypePlugin()), ("second", EventTypePlugin()))
    assert pm.catalog.event_types.types["chat.bot_escalated"].plugin == "first"
    (skipped,) = pm.skipped
    assert skipped.name == "second"
    assert "plugin 'second' registers event type 'chat.bot_escalated'" in skipped.reason
    assert "plugin 'first' already registered" in skipped.reason


def test_misspelled_hook_is_refused_with_the_nearest_real_hook(site: SitePackages):
    class Misspelled:
        @hookimpl
        def callkpi_register_kpi(self, register):
            raise AssertionError("never called")

    pm = build(("misspelled", Misspelled()))
    assert pm.skipped == [SkippedPlugin(
        "misspelled", "misspelled",
        "callkpi_register_kpi is not a callkpi hook; did you mean callkpi_register_kpis?")]
    assert loaded_names(pm) == [*CORE_PLUGINS]


def test_hookimpl_with_an_argument_the_hook_does_not_pass_is_refused_naming_the_plugin(site):
    class WantsCentre:
        @hookimpl
        def callkpi_register_event_types(self, register, centre):
            raise AssertionError("never called")

    pm = build(("wants-centre", WantsCentre()))
    assert pm.skipped == [SkippedPlugin(
        "wants-centre", "wants-centre",
        "callkpi_register_event_types(register, centre) takes 'centre', which "
        "callkpi_register_event_types does not pass; expected only arguments from (register)")]


def test_hook_function_without_hookimpl_marker_is_refused(site: SitePackages):
    class Unmarked:
        def callkpi_register_event_types(self, register):
            register("chat.bot_escalated", BotEscalated)

    pm = build(("unmarked", Unmarked()))
    assert [s.reason for s in pm.skipped] == [
        "callkpi_register_event_types is not marked with @callkpi.hookimpl, "
        "so it would never be called"]


class RemembersSettings:
    def __init__(self):
        self.settings: list[Settings] = []

    @hookimpl
    def callkpi_configure(self, settings: Settings) -> None:
        self.settings.append(settings)


def test_configure_is_historic_so_a_plugin_registered_later_gets_the_settings(site: SitePackages):
    settings = Settings(batch_size=7)
    early, late = RemembersSettings(), RemembersSettings()
    pm = build(("early", early), settings=settings)
    pm.register(late, name="late")
    # Each plugin is configured exactly once, with the very object the manager was built with.
    assert early.settings == [settings] and late.settings == [settings]
    assert late.settings[0].batch_size == 7


def test_configure_that_raises_skips_only_that_plugin(site: SitePackages):
    class RefusesSettings:
        @hookimpl
        def callkpi_configure(self, settings):
            raise ValueError(f"batch_size = {settings.batch_size}: expected at most 500")

    healthy = RemembersSettings()
    pm = build(("refuses", RefusesSettings()), ("healthy", healthy))
    reason = "registration failed: ValueError: batch_size = 10000: expected at most 500"
    assert pm.skipped == [SkippedPlugin("refuses", "refuses", reason)]
    assert loaded_names(pm) == [*CORE_PLUGINS, "healthy"] and len(healthy.settings) == 1
    assert pm.get_plugin("refuses") is None


def test_first_party_plugin_loads_from_its_own_distribution(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    pm = get_plugin_manager(Settings())
    kpis = next(plugin for plugin in pm.loaded() if plugin.name == "kpis")
    assert (kpis.distribution, kpis.version) == ("callkpi-kpis", version("callkpi-kpis"))
