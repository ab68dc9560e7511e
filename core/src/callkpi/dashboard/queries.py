"""The dashboard's reads: KPI reports for a view, and the values its filter boxes offer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from ..kpi import FACT_TABLES, KpiRegistry, KpiSelection, Report, ReportRequest, run_report
from ..store.centres import CentreConfig
from ..store.db import Store
from ..store.tables import AgentDimension, ContactFact
from .query import DashboardQuery


@dataclass(frozen=True)
class FilterOptions:
    """What the queue, team and agent boxes offer: (value, label) pairs."""

    queue: list[tuple[str, str]]
    team: list[tuple[str, str]]
    agent: list[tuple[str, str]]


def usable_kpis(
    registry: KpiRegistry,
    wanted: Iterable[str | KpiSelection],
    config: CentreConfig | None,
    dimensions: Iterable[str],
) -> list[KpiSelection]:
    """The installed KPIs of ``wanted`` the centre enables whose every fact table has ``dimensions``
    (group-by and filter dimensions: occupancy, say, has no queue)."""
    needed = set(dimensions)
    enabled = config.settings.enabled_kpis if config is not None else None
    chosen = []
    for item in wanted:
        selection = KpiSelection(item) if isinstance(item, str) else item
        if not _installed(registry, selection.kpi) or (enabled is not None and selection.kpi not in enabled):
            continue
        facts = registry.get(selection.kpi).variant(selection.variant).facts
        if all(needed <= set(FACT_TABLES[fact].dimensions) for fact in facts):
            chosen.append(selection)
    return chosen


def _installed(registry: KpiRegistry, kpi_id: str) -> bool:
    return any(registered.kpi.id == kpi_id for registered in registry)


def view_report(
    store: Store,
    registry: KpiRegistry,
    query: DashboardQuery,
    selections: Sequence[KpiSelection],
    group_by: tuple[str, ...] = (),
) -> Report | None:
    """``selections`` for the view's centre, period and filters, grouped by ``group_by``;
    ``None`` when no KPI is left to compute."""
    if not selections:
        return None
    request = ReportRequest(
        tuple(selections), query.date_from, query.date_to, group_by, query.centre, filters=query.filters
    )
    return run_report(store, request, registry=registry)


def filter_options(store: Store, centre: str) -> FilterOptions:
    """The centre's queues (from its contacts) and its teams and agents (from the agent dimension)."""
    with store.reading() as connection:
        queues = connection.execute(
            select(ContactFact.queue).where(ContactFact.centre == centre, ContactFact.queue.is_not(None))
            .distinct().order_by(ContactFact.queue)
        ).scalars().all()
        agents = connection.execute(
            select(AgentDimension.agentid, AgentDimension.name, AgentDimension.team)
            .where(AgentDimension.centre == centre).order_by(AgentDimension.agentid)
        ).all()
    teams = sorted({row.team for row in agents if row.team})
    return FilterOptions(
        queue=[(q, q) for q in queues],
        team=[(t, t) for t in teams],
        agent=[(row.agentid, _agent_label(row.agentid, row.name)) for row in agents],
    )


def _agent_label(agentid: str, name: str | None) -> str:
    return f"{name} ({agentid})" if name and name != agentid else agentid


def agent_names(store: Store, centre: str) -> dict[str, str]:
    """Agent id → display label, for the per-agent table."""
    return {value: label for value, label in filter_options(store, centre).agent}
