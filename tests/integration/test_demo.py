"""``callkpi demo`` end to end: simulate, ingest through the real Ingestor into a fresh
SQLite store, and print numbers that are exactly the KPI engine's."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from callkpi.cli import app
from callkpi.cli.demo import (
    SUMMARY_KPIS,
    kpi_text,
    ranked_agents,
    worst_intervals,
)
from callkpi.kpi import ReportRequest, run_report
from callkpi.store.db import Store

SMALL = ["--days", "2", "--agents", "20", "--contacts-per-day", "700"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "250")  # wide enough that no cell wraps
        result = CliRunner().invoke(app, ["demo", "--dir", str(folder), *SMALL])
    assert result.exit_code == 0, result.output
    return result, folder / "callkpi.db"


@pytest.fixture(scope="module")
def store(demo_run: tuple[Result, Path]):
    opened = Store.open(f"sqlite:///{demo_run[1]}")
    yield opened
    opened.dispose()


def period() -> tuple:
    last = datetime.now().astimezone().date() - timedelta(days=1)
    return last - timedelta(days=1), last


def line_of(output: str, start: str) -> str:
    return next(line for line in output.splitlines() if re.match(rf"│ {re.escape(start)}\s", line))


def test_everything_simulated_is_stored(demo_run: tuple[Result, Path]):
    output = demo_run[0].output
    assert re.search(
        r"Simulated 2 days of a centre with 20 agents from \S+: [\d,]+ events stored, "
        r"0 quarantined",
        output,
    )


def test_the_summary_prints_the_engines_values(demo_run: tuple[Result, Path], store: Store):
    report = run_report(store, ReportRequest(SUMMARY_KPIS, *period()))
    (row,) = report.rows
    for column in report.columns:
        printed = line_of(demo_run[0].output, column.title)
        assert f"│ {kpi_text(row.values[column.key])} " in printed, (column.key, printed)
    # a busy-enough demo has a service level and a CSAT to show, not just dashes
    assert row["service_level"] is not None and row["csat"] is not None


def test_the_worst_intervals_are_the_engines(demo_run: tuple[Result, Path], store: Store):
    request = ReportRequest(
        ("service_level", "offered", "abandon_rate"), *period(), ("date", "interval15")
    )
    worst = worst_intervals(run_report(store, request))
    assert len(worst) == 3
    assert [r["service_level"] for r in worst] == sorted(r["service_level"] for r in worst)
    for row in worst:
        minute = row.dimensions["interval15"]
        when = f"{row.dimensions['date']} │ {minute // 60:02d}:{minute % 60:02d}"
        assert f"{kpi_text(row.values['service_level'])}" in line_of(demo_run[0].output, when)


def test_the_fastest_and_slowest_agents_are_the_engines(demo_run, store: Store):
    report = run_report(store, ReportRequest(("aht", "csat"), *period(), ("agent",)))
    fastest, slowest = ranked_agents(report)
    assert fastest and slowest and fastest[0]["aht"] <= slowest[0]["aht"]
    output = demo_run[0].output
    for row in (*fastest, *slowest):
        agent = row.dimensions["agent"]
        printed = next(line for line in output.splitlines() if f"│ {agent} " in line)
        assert f"│ {kpi_text(row.values['aht'])} " in printed


def test_it_tells_how_to_go_on_and_refuses_a_used_directory(demo_run: tuple[Result, Path]):
    result, database = demo_run
    first, _ = period()
    assert f"callkpi serve --database sqlite:///{database}" in result.output
    assert f"callkpi staffing --database sqlite:///{database} --date {first}" in result.output
    again = CliRunner().invoke(app, ["demo", "--dir", str(database.parent), *SMALL])
    assert again.exit_code == 1 and "already holds callkpi.db" in again.stderr
