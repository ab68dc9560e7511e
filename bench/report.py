"""Report benchmark: the full KPI catalogue on SQLite and on the DuckDB snapshot, against pandas.

    uv run python bench/report.py --contacts 1000000

Builds ``--contacts`` contacts (plus agent intervals, survey responses and agents) as fact
rows in a fresh SQLite store with bulk Core inserts, in a child process (generation time
reported on its own, its memory not counted). Then, in this process: the full registered
catalogue grouped by agent × date and by queue × interval15 on SQLite; a full snapshot
refresh; the same on DuckDB; and a hand-written pandas script computing the 16 core KPIs
on the same data loaded into DataFrames (loading not timed), whose numbers must agree
with the engine's. Peak memory is this process's maximum resident set so far.
Targets: full catalogue on SQLite within 6× of pandas, DuckDB ≤ 1.0× pandas, snapshot
refresh of 1M contacts < 20 s, memory < 1 GB.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import report_pandas
from report_facts import PERIOD, insert_facts

from callkpi.kpi import KpiRegistry, run_report
from callkpi.kpi.facts import FACT_TABLES
from callkpi.kpi.report import KpiSelection, Report, ReportRequest
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.snapshot import open_reader, refresh
from callkpi.store.db import Store

GROUPINGS = (("agent", "date"), ("queue", "interval15"))
CORE = report_pandas.CONTACT_KPIS + report_pandas.AGENT_KPIS
CPU: list[float] = []
"""The CPU seconds of each :func:`timed` action, in order."""


def build(url: str, contacts: int) -> None:
    store = Store.open(url)
    with store.transaction() as connection:
        print("  rows:", insert_facts(connection, contacts))
    store.dispose()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    """The action's result and its wall time; its CPU time goes to ``CPU`` (the machine may
    be shared, and CPU time is what other processes do not inflate)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = action()
    CPU.append(time.process_time() - cpu)
    return result, time.perf_counter() - start


def catalogue(registry: KpiRegistry, group_by: tuple[str, ...]) -> tuple[KpiSelection, ...]:
    return tuple(
        KpiSelection(r.kpi.id, name)
        for r in registry
        for name, spec in r.variants.items()
        if all(set(group_by) <= set(FACT_TABLES[f].dimensions) for f in spec.facts)
    )


def core(registry: KpiRegistry, group_by: tuple[str, ...]) -> tuple[str, ...]:
    supported = {s.kpi for s in catalogue(registry, group_by)}
    return tuple(kpi for kpi in CORE if kpi in supported)


def run(
    store: Store, registry: KpiRegistry, kpis: tuple, group_by: tuple, engine: str, folder: Path
) -> tuple[Report, float]:
    request = ReportRequest(kpis, *PERIOD, group_by, engine=engine)
    return timed(lambda: run_report(store, request, registry=registry, snapshot_dir=folder))


def pandas_frames(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with open_reader(folder) as reader:
        read = reader.connection.execute
        return read("SELECT * FROM fact_contact").df(), read(
            "SELECT * FROM fact_agent_interval"
        ).df()


def pandas_kpis(
    contacts: pd.DataFrame, intervals: pd.DataFrame, group_by: tuple[str, ...]
) -> pd.DataFrame:
    frame = report_pandas.contact_kpis(contacts, group_by)
    if "queue" not in group_by:
        frame = frame.join(report_pandas.agent_kpis(intervals, group_by), how="outer")
    return frame


def disagreements(report: Report, expected: dict[tuple, dict[str, Any]]) -> list[str]:
    found = {tuple(row.dimensions.values()): row for row in report.rows}
    problems = [f"group {key}: only pandas has it" for key in expected.keys() - found.keys()]
    for key, values in expected.items():
        for kpi, value in values.items():
            engine = found[key][kpi] if key in found else None
            if not _close(engine, value):
                problems.append(f"group {key} {kpi}: engine {engine} pandas {value}")
    return problems


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return (a is None and b is None) or (a in (0, None) and b in (0, None))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="callkpi-bench-"))
    url, folder = f"sqlite:///{workdir / 'callkpi.db'}", workdir / "snapshot"
    print(f"generating {args.contacts:,} contacts in {workdir} …")
    child = multiprocessing.get_context("spawn").Process(target=build, args=(url, args.contacts))
    _, generation = timed(lambda: (child.start(), child.join()))
    print(f"  generation + bulk insert: {generation:.1f} s")
    store = Store.open(url)
    registry = get_plugin_manager(Settings(_env_file=None)).catalog.kpis
    table: list[tuple[str, str, float, float, float]] = []
    for group_by in GROUPINGS:
        label = " × ".join(group_by)
        for engine in ("sql",):
            _, seconds = run(store, registry, core(registry, group_by), group_by, engine, folder)
            table.append(
                (f"SQLite, {len(core(registry, group_by))} core KPIs", label, seconds, CPU[-1], peak_mb())
            )
            _, seconds = run(
                store, registry, catalogue(registry, group_by), group_by, engine, folder
            )
            table.append(
                (
                    f"SQLite, full catalogue ({len(catalogue(registry, group_by))})",
                    label,
                    seconds,
                    CPU[-1],
                    peak_mb(),
                )
            )
    summary, refresh_s = timed(lambda: refresh(store, folder, full=True))
    table.append((f"snapshot refresh ({summary.rows:,} rows)", "—", refresh_s, CPU[-1], peak_mb()))
    reports = {}
    for group_by in GROUPINGS:
        label = " × ".join(group_by)
        reports[group_by], seconds = run(
            store, registry, core(registry, group_by), group_by, "duckdb", folder
        )
        table.append(
            (f"DuckDB, {len(core(registry, group_by))} core KPIs", label, seconds, CPU[-1], peak_mb())
        )
        _, seconds = run(store, registry, catalogue(registry, group_by), group_by, "duckdb", folder)
        table.append(
            (
                f"DuckDB, full catalogue ({len(catalogue(registry, group_by))})",
                label,
                seconds,
                CPU[-1],
                peak_mb(),
            )
        )
    contacts, intervals = pandas_frames(folder)
    for group_by in GROUPINGS:
        frame, seconds = timed(lambda g=group_by: pandas_kpis(contacts, intervals, g))
        table.append(
            (f"pandas, {len(frame.columns)} core KPIs", " × ".join(group_by), seconds, CPU[-1], peak_mb())
        )
        problems = disagreements(reports[group_by], report_pandas.as_values(frame))
        verdict = (
            f"{len(problems)} disagree, e.g. {'; '.join(problems[:3])}" if problems else "all agree"
        )
        print(f"  pandas vs engine, {' × '.join(group_by)}: {len(frame)} groups, {verdict}")
    print_table(table)
    store.dispose()


def print_table(table: list[tuple[str, str, float, float, float]]) -> None:
    pandas_s = {grouping: (s, c) for what, grouping, s, c, _ in table if what.startswith("pandas")}
    print(
        f"\n{'what':<34} {'grouping':<20} {'seconds':>8} {'× pandas':>9} "
        f"{'CPU s':>7} {'CPU × pandas':>13} {'peak MB':>8}"
    )
    for what, grouping, seconds, cpu, peak in table:
        wall, cpus = pandas_s.get(grouping, (0, 0))
        ratio = f"{seconds / wall:.2f}" if wall else ""
        cpu_ratio = f"{cpu / cpus:.2f}" if cpus else ""
        print(
            f"{what:<34} {grouping:<20} {seconds:>8.2f} {ratio:>9} "
            f"{cpu:>7.2f} {cpu_ratio:>13} {peak:>8.0f}"
        )


if __name__ == "__main__":
    main()
