"""``callkpi report --format html`` and ``--format png``: the dashboard's tiles and charts as
files for e-mailing.

The HTML file is self-contained: its style sheet, its table-sorting script and its
charts (inline SVG) are in the file, so it opens offline and in mail clients. The PNG is
the trend charts drawn with matplotlib. Both show the report's centre and period; the
tiles are the report's KPIs (ungrouped), and a ``--by`` report adds its table.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup

from .. import __version__
from ..dashboard.charts import Chart
from ..dashboard.heatmap import service_level_heat_map
from ..dashboard.query import DashboardQuery
from ..dashboard.tables import report_table
from ..dashboard.templating import STATIC_DIR, templates
from ..dashboard.views import tiles_of, trend_charts
from ..kpi import KpiRegistry, Report, run_report
from ..store.centres import CentreConfig
from ..store.db import Store
from .runtime import UserError, out

FILE_FORMATS = ("html", "png")


def write_report_file(
    store: Store,
    registry: KpiRegistry,
    result: Report,
    config: CentreConfig | None,
    output_format: str,
    output: Path | None,
) -> None:
    """Write ``result`` as a self-contained HTML page or a PNG of its charts to ``output``."""
    if output is None:
        raise UserError(f"--format {output_format} writes a file; expected --output FILE.{output_format}")
    if output_format == "png":
        # imported here: matplotlib takes a second to import, and only this format needs it
        from ..dashboard.chart_image import charts_png

        content: bytes = charts_png(_charts(store, registry, result, config), report_title(result))
    else:
        content = report_page(store, registry, result, config).encode()
    try:
        output.write_bytes(content)
    except OSError as exc:
        raise UserError(f"--output = '{output}': {exc.strerror}; expected a writable file") from None
    out().print(f"Wrote {output}.")


def report_title(result: Report) -> str:
    request = result.request
    period = str(request.date_from) + (f" – {request.date_to}" if request.date_to != request.date_from else "")
    return f"KPIs · {request.centre or 'all centres'} · {period}"


def report_page(store: Store, registry: KpiRegistry, result: Report, config: CentreConfig | None) -> str:
    """The HTML page: tiles of the report's KPIs, trend charts, the service-level heat map and,
    for a grouped report, its table."""
    request = result.request
    query = _query(result)
    return templates.env.get_template("report_file.html").render(
        title=report_title(result),
        version=__version__,
        made_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        filters=", ".join(f"{name} = {', '.join(values)}" for name, values in request.filters.items()),
        tiles=tiles_of(_ungrouped(store, registry, result)),
        charts=_charts(store, registry, result, config),
        heat=service_level_heat_map(store, registry, query, config),
        table=report_table("report", "By " + ", ".join(request.group_by), result) if request.group_by else None,
        css=Markup((STATIC_DIR / "dashboard.css").read_text(encoding="utf-8")),
        js=Markup((STATIC_DIR / "sortable.js").read_text(encoding="utf-8")),
    )


def _query(result: Report) -> DashboardQuery:
    request = result.request
    return DashboardQuery(request.centre, request.date_from, request.date_to, request.filters)


def _ungrouped(store: Store, registry: KpiRegistry, result: Report) -> Report:
    """The report's KPIs over the whole period: the report itself unless it is grouped."""
    if not result.request.group_by:
        return result
    # the sql engine: the same numbers as a duckdb snapshot, without refreshing it a second time
    return run_report(store, replace(result.request, group_by=(), engine="sql"), registry=registry)


def _charts(store: Store, registry: KpiRegistry, result: Report, config: CentreConfig | None) -> list[Chart]:
    return trend_charts(store, registry, _query(result), config)
