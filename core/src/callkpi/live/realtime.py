"""The realtime snapshot of a centre: what its wallboard shows, per queue and in total.

* **waiting**: contacts offered and not yet answered, abandoned or ended (``fact_contact``
  rows without an outcome) offered in the last :data:`WAIT_HORIZON` — older ones are
  contacts whose end a feed lost, not callers still holding; **longest wait** is ``now``
  minus the earliest of their offers.
* **agents** available / on contact / in after-contact work / not ready: the latest
  ``agent.state_changed`` per agent, logged-out agents excluded (see :mod:`.agent_states`).
  Per queue, agents count under the queue their state event named.
* **today**: contacts offered, answered and abandoned, service level and abandon rate of the
  centre's local day so far, from :func:`callkpi.kpi.engine.run_report`, so the numbers equal
  the reports' (same KPI definitions, default variants, the centre's targets).
* **agent time today** (the centre as a whole; agent time has no queue): staffed seconds (the
  ``utilization`` KPI's sample) and occupancy, which include the agents' still-open episodes up
  to the end of the centre's data (``callkpi.projector.open_episodes``); ``open_s`` says how much
  of the staffed time is still open, ``agent_note`` in words. Absent when the workforce KPIs are
  not installed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, func, select

from ..kpi.engine import run_report
from ..kpi.registry import KpiRegistry
from ..kpi.report import Report, ReportRequest, ReportRow
from ..store.centres import load_centres
from ..store.tables import ContactFact
from .agent_states import count_states, current_agent_states

WAIT_HORIZON = timedelta(hours=24)
TODAY_KPIS = ("offered", "answered", "service_level", "abandon_rate")
AGENT_KPIS = ("utilization", "occupancy")
CONTACTS = ContactFact.__table__


@dataclass(frozen=True)
class QueueNow:
    """The live numbers of one queue, or of the whole centre (``queue`` ``None``)."""

    queue: str | None
    waiting: int = 0
    longest_wait_s: float | None = None
    agents_available: int = 0
    agents_on_contact: int = 0
    agents_acw: int = 0
    agents_not_ready: int = 0
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    service_level: float | None = None
    abandon_rate: float | None = None
    targets: dict[str, float | None] = field(default_factory=dict)
    staffed_s: float | None = None
    occupancy: float | None = None
    open_s: float | None = None
    agent_note: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """A centre at ``at``: totals and one entry per queue with waiting contacts, agents or contacts today."""

    centre: str
    at: datetime
    local_date: date
    timezone: str
    total: QueueNow
    queues: tuple[QueueNow, ...]


@dataclass(frozen=True)
class _Waiting:
    count: int
    earliest: datetime | None


def take_snapshot(store, centre: str, now: datetime, registry: KpiRegistry) -> Snapshot:
    """The snapshot of ``centre`` at ``now`` (aware). Raises ``KeyError`` for an unknown centre."""
    with store.reading() as connection:
        config = load_centres(connection)[centre]
        today = now.astimezone(config.zone).date()
        waiting = waiting_by_queue(connection, centre, now)
        agents = current_agent_states(connection, centre, now, today)
    request = ReportRequest(TODAY_KPIS, today, today, group_by=("queue",), centre=centre)
    by_queue = run_report(store, request, registry=registry)
    total = run_report(store, ReportRequest(TODAY_KPIS, today, today, centre=centre), registry=registry)
    rows = {r.dimensions["queue"]: r for r in by_queue.rows}
    queues = sorted({*waiting, *(a.queue for a in agents), *rows} - {None})

    def build(queue: str | None, row: ReportRow | None) -> QueueNow:
        return _queue_now(queue, now, _summed(waiting, queue), count_states(agents, queue), row)

    numbers = tuple(build(queue, rows.get(queue)) for queue in queues)
    centre_now = replace(build(None, _only_row(total)), **_agent_time(store, centre, today, registry))
    return Snapshot(centre, now, today, config.timezone, centre_now, numbers)


def _agent_time(store, centre: str, today: date, registry: KpiRegistry) -> dict[str, object]:
    """Staffed time and occupancy of the centre today, open episodes included."""
    installed = {registered.kpi.id for registered in registry}
    if not installed.issuperset(AGENT_KPIS):
        return {}
    report = run_report(store, ReportRequest(AGENT_KPIS, today, today, centre=centre), registry=registry)
    if not report.rows:
        return {}
    utilization, occupancy = (report.rows[0].values[kpi] for kpi in AGENT_KPIS)
    return {
        "staffed_s": float(utilization.n),
        "occupancy": occupancy.value,
        "open_s": utilization.details.get("open_s", 0.0),
        "agent_note": utilization.note,
    }


def waiting_by_queue(connection: Connection, centre: str, now: datetime) -> dict[str | None, _Waiting]:
    """Contacts waiting at ``now`` per queue: how many, and the earliest offer among them."""
    query = (
        select(CONTACTS.c.queue, func.count(), func.min(CONTACTS.c.offered_at))
        .where(
            CONTACTS.c.centre == centre,
            CONTACTS.c.offered_at > now - WAIT_HORIZON,
            CONTACTS.c.offered_at <= now,
            CONTACTS.c.outcome.is_(None),
        )
        .group_by(CONTACTS.c.queue)
    )
    return {queue: _Waiting(count, earliest) for queue, count, earliest in connection.execute(query)}


def _summed(waiting: dict[str | None, _Waiting], queue: str | None) -> _Waiting:
    found = [w for q, w in waiting.items() if queue is None or q == queue]
    earliest = [w.earliest for w in found if w.earliest is not None]
    return _Waiting(sum(w.count for w in found), min(earliest) if earliest else None)


def _only_row(report: Report) -> ReportRow | None:
    return report.rows[0] if report.rows else None


def _queue_now(
    queue: str | None, now: datetime, waiting: _Waiting, agents: Counter[str], row: ReportRow | None
) -> QueueNow:
    today = _today(row)
    return QueueNow(
        queue=queue,
        waiting=waiting.count,
        longest_wait_s=(now - waiting.earliest).total_seconds() if waiting.earliest else None,
        agents_available=agents["available"],
        agents_on_contact=agents["on_contact"],
        agents_acw=agents["after_contact_work"],
        agents_not_ready=agents["not_ready"],
        **today,
    )


def _today(row: ReportRow | None) -> dict[str, object]:
    if row is None:
        return {}
    rate = row.values["abandon_rate"]
    # abandon_rate = abandoned ÷ offered × 100 with n = offered, so the count comes back exactly
    abandoned = round(rate.value * rate.n / 100) if rate.value is not None else 0
    return {
        "offered": int(row.values["offered"].value or 0),
        "answered": int(row.values["answered"].value or 0),
        "abandoned": abandoned,
        "service_level": row.values["service_level"].value,
        "abandon_rate": rate.value,
        "targets": {key: row.values[key].target for key in ("service_level", "abandon_rate")},
    }
