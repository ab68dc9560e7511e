"""Command groups that plugins add through ``callkpi_register_commands``."""

from __future__ import annotations

import logging

import typer
from typer.main import get_command_name

from ..plugins import CallkpiPluginManager, get_plugin_manager
from ..settings import ConfigError, Settings

log = logging.getLogger(__name__)


def mount_plugin_commands(root: typer.Typer, pm: CallkpiPluginManager | None = None) -> list[str]:
    """Add each command group the plugins of ``pm`` (default: every installed plugin)
    register to ``root``; return the names added. A group that would shadow a core
    command is skipped with a warning naming the plugin."""
    if pm is None:
        try:
            pm = get_plugin_manager(Settings())
        except ConfigError:
            return []  # the core commands report a bad configuration themselves
    taken = _core_names(root)
    added = []
    for command in pm.catalog.commands.commands.values():
        if command.name in taken:
            log.warning("plugin %r registers command %r, a core command; skipped (rename it)",
                        command.plugin, command.name)
            continue
        root.add_typer(command.app, name=command.name)
        added.append(command.name)
    return added


def _core_names(root: typer.Typer) -> set[str]:
    names = {info.name or get_command_name(info.callback.__name__) for info in root.registered_commands}
    return names | {info.name for info in root.registered_groups if info.name}
