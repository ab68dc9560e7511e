"""``callkpi plugins``: what is loaded, from which distribution, and what was skipped and why."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from ..settings import Settings
from .runtime import out, plugin_manager


def plugins() -> None:
    """List loaded plugins with their hooks, and skipped ones with the reason."""
    pm = plugin_manager(Settings())
    loaded = Table("plugin", "distribution", "version", title="Loaded plugins")
    loaded.add_column("hooks", overflow="fold")
    for plugin in sorted(pm.loaded(), key=lambda p: p.name):
        loaded.add_row(plugin.name, plugin.distribution, plugin.version, "\n".join(plugin.hooks))
    console = out()
    console.print(loaded)
    if not pm.skipped:
        console.print("No plugin was skipped.")
        return
    skipped = Table("plugin", "distribution", "reason", title="Skipped plugins")
    for plugin in pm.skipped:
        skipped.add_row(plugin.name, plugin.distribution, Text(plugin.reason, style="red"))
    console.print(skipped)
