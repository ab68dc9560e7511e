"""The ``callkpi`` command line: one module per command or command group."""

from __future__ import annotations

import typer

from . import (
    alerts,
    apikey,
    centre,
    connectors,
    demo,
    ingest,
    init,
    kpis,
    plugins,
    quarantine,
    rebuild,
    report,
    schema,
    serve,
    simulate,
    snapshot,
    staffing,
)
from .plugin_commands import mount_plugin_commands
from .runtime import CallkpiGroup

app = typer.Typer(
    cls=CallkpiGroup,
    no_args_is_help=True,
    add_completion=False,
    help="callkpi: contact-centre KPIs from vendor-neutral events.",
)
app.command()(init.init)
app.command()(ingest.ingest)
app.command()(schema.schema)
app.command()(plugins.plugins)
app.command()(serve.serve)
app.command()(rebuild.rebuild)
app.command()(demo.demo)
app.command()(snapshot.snapshot)
app.command()(report.report)
app.command()(simulate.simulate)
app.command()(staffing.staffing)
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(centre.app, name="centre")
app.add_typer(apikey.app, name="apikey")
app.add_typer(kpis.app, name="kpis")
app.add_typer(alerts.app, name="alerts")
connectors.mount(app)


def main() -> None:
    """The ``callkpi`` console script."""
    mount_plugin_commands(app)
    app()


__all__ = ["app", "main"]
