"""The three shapes of ``callkpi report``: a Rich table, CSV and JSON (``docs/reports.md``)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import orjson
from rich.table import Table
from rich.text import Text

from ..kpi import ReportRequest
from ..kpi.docs import number
from ..kpi.facts import INTERVAL_DIMENSIONS, interval_label
from ..kpi.report import KpiColumn, KpiValue, Report

FORMATS = ("table", "csv", "json", "html", "png")  # html and png: cli/report_html.py
DECIMALS = {"s": 1, "%": 1, "n": 0, "per_hour": 2, "per_day": 2, "ratio": 3}
NO_DATA = "–"
OPEN_DETAIL = "open_s"
OPEN_CAPTION = (
    "still open: agents' state episodes not ended yet, counted up to the end of the centre's data"
)


def render(result: Report, output_format: str, engine: str) -> str | Table:
    """The report as a Rich table, CSV text or JSON text."""
    if output_format == "json":
        return report_json(result, engine)
    if output_format == "csv":
        return report_csv(result)
    return report_table(result)


def report_json(result: Report, engine: str) -> str:
    """The report as JSON: the request, then ``columns`` and ``rows`` (``docs/reports.md``)."""
    request = result.request
    document = {
        "centre": request.centre,
        "from": request.date_from.isoformat(),
        "to": request.date_to.isoformat(),
        "by": list(request.group_by),
        "engine": engine,
        **result.to_dict(),
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"


def report_csv(result: Report) -> str:
    """The report as CSV: the dimensions, then one column per KPI named ``key [unit]``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    group_by = result.request.group_by
    opened = _open_columns(result)
    header = [*group_by]
    for column in result.columns:
        header.append(f"{column.key} [{column.unit}]")
        if column.key in opened:
            header.append(f"{column.key} open [s]")
    writer.writerow(header)
    for row in result.rows:
        cells = [_dimension_text(name, row.dimensions[name]) for name in group_by]
        for column in result.columns:
            value = row.values[column.key]
            cells.append(_csv_number(value.value))
            if column.key in opened:
                cells.append(_csv_number(value.details.get(OPEN_DETAIL)))
        writer.writerow(cells)
    return buffer.getvalue()


def _open_columns(result: Report) -> set[str]:
    """The KPI columns with still-open agent time in some row (``callkpi.kpi.open_time``)."""
    return {key for row in result.rows for key, value in row.values.items() if value.details.get(OPEN_DETAIL)}


def _csv_number(value: float | None) -> str:
    return "" if value is None else str(round(value, 6))


def _dimension_text(name: str, value: Any) -> str:
    if value is None:
        return "(none)"
    if name in INTERVAL_DIMENSIONS:
        return interval_label(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def report_table(result: Report) -> Table:
    """The report as a Rich table: a value is green when it meets its target, red when it misses."""
    table = Table(title=_title(result.request))
    for name in result.request.group_by:
        table.add_column(name)
    for column in result.columns:
        table.add_column(_header(column), justify="right")
    for row in result.rows:
        dimensions = (Text(_dimension_text(n, row.dimensions[n])) for n in result.request.group_by)
        table.add_row(*dimensions, *(_cell(row.values[c.key]) for c in result.columns))
    captions = [f"{c.key}: {c.unavailable}" for c in result.columns if c.unavailable is not None]
    if not result.rows:
        captions.insert(0, "no data in this period")
    elif _open_columns(result):
        captions.insert(0, OPEN_CAPTION)
    table.caption = "\n".join(captions) or None
    return table


def _title(request: ReportRequest) -> str:
    period = f"{request.date_from}" + (
        f" – {request.date_to}" if request.date_to != request.date_from else ""
    )
    where = f"centre {request.centre}" if request.centre else "all centres"
    return f"KPIs, {period}, {where}"


def _header(column: KpiColumn) -> str:
    lines = [column.title, f"{column.unit} · {column.variant}"]
    if column.parameters:
        lines.append(", ".join(f"{k}={number(v)}" for k, v in column.parameters.items()))
    if column.target is not None:
        comparison = {True: "≥ ", False: "≤ ", None: ""}[column.higher_is_better]
        lines.append(f"target {comparison}{number(column.target)}")
    return "\n".join(lines)


def _cell(value: KpiValue) -> Text:
    if value.value is None:
        return Text(NO_DATA)
    style = "dim" if not value.enough_sample else {True: "green", False: "red"}.get(value.met, "")
    text = Text(format_number(value.value, value.unit), style=style)
    if value.details.get(OPEN_DETAIL) and value.note:
        text.append(f"\n{value.note}", style="dim")
    return text


def format_number(value: float, unit: str) -> str:
    """``value`` rounded for reading: 1 decimal for seconds and percentages, whole counts."""
    decimals = DECIMALS.get(unit, 2)
    if unit == "n" and value != int(value):
        decimals = 2
    return f"{value:.{decimals}f}"
