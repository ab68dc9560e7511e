"""Running a report: one ``GROUP BY`` per fact table, then each KPI's formula in Python
(:mod:`.evaluation`).

The SQL side is behind one seam, a :data:`QueryRunner` (compiled ``Select`` → its result
as one array per column, :mod:`.result_columns`). :func:`run_report` uses the store's own connection or, for
``engine="duckdb"``, a DuckDB reader over the columnar snapshot (``callkpi.snapshot``)
that runs the very same queries; for ``engine="spark"``, a Spark Connect session over that
snapshot (``callkpi.snapshot.spark``), the queries translated to Spark SQL by sqlglot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, func, select

from ..projector.open_episodes import refresh_open_time
from ..store.centres import load_centres
from .compiler import Period, compile_query, compile_unmapped, reads_data_end
from .evaluation import Results, evaluate
from .facts import FACT_TABLES
from .keys import Frame
from .open_time import OPEN_MEASURE, data_ends
from .plan import Plan, plan_report
from .queue_map import BY_QUEUE, MAPPED_DIMENSIONS, QueueMap, unmapped_reason
from .registry import KpiRegistry
from .report import Report, ReportRequest, SparkTarget
from .result_columns import Columns, columns_of_rows
from .validation import InvalidKpi

QueryRunner = Callable[[Select], Columns]
"""Runs a compiled query: its columns, in the query's column order."""
UTC = ZoneInfo("UTC")
ENGINES = ("sql", "duckdb", "spark")


def run_report(
    store: Any,
    request: ReportRequest,
    *,
    registry: KpiRegistry | None = None,
    snapshot_dir: Path | None = None,
    spark: SparkTarget | None = None,
) -> Report:
    """Compute ``request`` on ``store`` with the KPIs of ``registry`` (default: every
    installed KPI plugin).

    With ``request.engine == "duckdb"`` the queries run on the snapshot in ``snapshot_dir``
    (default: :func:`callkpi.snapshot.snapshot_directory`), refreshed first when it is behind.
    ``"spark"`` refreshes it too, then runs them on the Spark Connect session ``spark``
    names (default: a local one reading the snapshot folder).
    """
    registry = registry if registry is not None else installed_kpis()
    plan = plan_report(registry, request)
    agent_time = _reads_agent_time(plan)
    if agent_time:
        # still-open agent episodes counted up to the data end first (lazily: a write only
        # when an event arrived since the last count)
        refresh_open_time(store, request.centre)
    with store.reading() as connection:
        centres = load_centres(connection)
        ends = data_ends(connection) if agent_time else {}
    zones = {name: c.zone for name, c in centres.items()}
    queue_map = {name: c.settings.queue_map for name, c in centres.items()}
    with _query_runner(store, request, snapshot_dir, spark) as runner:
        unmapped = unmapped_queues(plan, request, runner, queue_map)
        if unmapped:
            plan = plan_report(registry, request, unmapped)
        results = run_queries(plan, request, runner, zones, queue_map)
    return evaluate(plan, request, results, zones, centres, ends)


def unmapped_queues(plan: Plan, request: ReportRequest, runner: QueryRunner, queue_map: QueueMap) -> dict[str, str]:
    """Team or site → why queue KPIs have no value by it: the report counts a queue whose
    centre's queue map gives it none (one small query per queue fact read by team or site)."""
    facts = {m.fact for p in plan.kpis for m in p.measures.values() if m.fact in BY_QUEUE.values()}
    asked = [name for name in MAPPED_DIMENSIONS if name in (*request.group_by, *request.filters)]
    period = Period(request.date_from, request.date_to, request.centre, filters=request.filters, queue_map=queue_map)
    reasons = {}
    for name in asked:
        found = {
            pair
            for fact in sorted(facts)
            for pair in zip(*(column.tolist() for column in runner(compile_unmapped(fact, name, period))), strict=True)
        }
        if found:
            reasons[name] = unmapped_reason(name, sorted(found, key=lambda pair: (pair[0], pair[1] or "")))
    return reasons


def _reads_agent_time(plan: Plan) -> bool:
    return any(OPEN_MEASURE in planned.measures for planned in plan.kpis)


@contextmanager
def _query_runner(
    store: Any, request: ReportRequest, snapshot_dir: Path | None, spark: SparkTarget | None
) -> Iterator[QueryRunner]:
    if request.engine == "sql":
        # a read transaction: one consistent view that, on SQLite, neither waits for the
        # write lock nor holds it, so reports run beside each other and beside ingest
        with store.reading() as connection:
            yield _sql_runner(connection)
    elif request.engine == "duckdb":
        # imported here: DuckDB is an optional extra, needed only by this engine
        from ..snapshot import open_reader, refresh, snapshot_directory

        directory = snapshot_directory(store.url, snapshot_dir)
        refresh(store, directory, centre=request.centre)
        with open_reader(directory) as reader:
            yield reader.run
    elif request.engine == "spark":
        # imported here: pyspark and sqlglot are the optional callkpi[spark] extra
        from ..snapshot import refresh, snapshot_directory
        from ..snapshot.spark import open_spark_reader

        directory = snapshot_directory(store.url, snapshot_dir)
        refresh(store, directory, centre=request.centre)
        yield open_spark_reader(directory, spark or SparkTarget()).run
    else:
        raise InvalidKpi(f"engine = {request.engine!r}; expected one of {', '.join(ENGINES)}")


def _sql_runner(connection: Connection) -> QueryRunner:
    return lambda query: columns_of_rows(connection.execute(query).all(), len(query.selected_columns))


def installed_kpis() -> KpiRegistry:
    """The KPIs every installed plugin registers."""
    from ..plugins import get_plugin_manager

    return get_plugin_manager().catalog.kpis


def run_queries(
    plan: Plan,
    request: ReportRequest,
    runner: QueryRunner,
    zones: Mapping[str, ZoneInfo] | None = None,
    queue_map: QueueMap | None = None,
) -> Results:
    """Run the plan's one query per fact table (and per grain); per grouping dimensions,
    fact and group, its measure values in the plan's order. ``zones`` place period bounds
    in local time."""
    data_end = _data_end(plan, request, runner)
    period = Period(
        request.date_from, request.date_to, request.centre, zones or {}, data_end, request.filters, queue_map or {}
    )
    results: Results = {}
    for dimensions, queries in ((request.group_by, plan.queries), *plan.grained.items()):
        facts = results.setdefault(dimensions, {})
        width = len(dimensions)
        for fact, measures in queries.items():
            columns = runner(compile_query(fact, dimensions, measures, period))
            facts[fact] = Frame(columns[:width], columns[width:])
    return results


def _data_end(plan: Plan, request: ReportRequest, runner: QueryRunner) -> datetime | None:
    """The latest offered_at of the report's centre (of every centre without one), read
    with one small query only when a KPI censors near the end of the data."""
    queries = [plan.queries, *plan.grained.values()]
    if not any(reads_data_end(measures) for q in queries for measures in q.values()):
        return None
    contacts = FACT_TABLES["fact_contact"].table
    query = select(func.max(contacts.c.offered_at).label("data_end"))
    if request.centre is not None:
        query = query.where(contacts.c.centre == request.centre)
    ((end,),) = (column.tolist() for column in runner(query))
    # DuckDB, Spark and raw drivers may hand back text or a naive UTC time
    end = datetime.fromisoformat(end) if isinstance(end, str) else end
    return end.replace(tzinfo=UTC) if end is not None and end.tzinfo is None else end
