"""The simulator's transfers reconcile through ingest: the agents' handled time is the sum of
the agent legs, and every time a contact entered a queue is one queue leg, counted once."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from callkpi.connectors import RawEvent
from callkpi.kpi import run_report
from callkpi.kpi.report import KpiSelection, ReportRequest
from callkpi.simulator import QueueSpec, Simulation, SimulationConfig
from callkpi.store.tables import AgentIntervalFact, ContactLegFact

DAY = date(2026, 1, 5)
CONFIG = SimulationConfig(
    DAY,
    days=1,
    agents=10,
    contacts_per_day=500,
    seed=11,
    breaks=False,
    forecasts=False,
    queues=(
        QueueSpec("support", share=0.6, talk_s=200, hold_share=0.3, transfer_share=0.2, transfer_to="sales",
                  patience_s=200),
        QueueSpec("sales", share=0.4, talk_s=200, hold_share=0.3, consult_share=0.25, patience_s=200),
    ),
)  # fmt: skip


def test_simulated_transfers_reconcile(ingestor, callkpi_pm):
    events = list(Simulation(CONFIG).events())
    types = Counter(e["type"] for e in events)
    kinds = Counter(e["data"]["kind"] for e in events if e["type"] == "contact.transferred")
    assert kinds["blind"] > 10 and kinds["attended"] + kinds["consult"] > 10  # both kinds happen
    outcomes = ingestor.ingest_batch([RawEvent(e, f"sim {i}") for i, e in enumerate(events)])
    assert all(o.status == "accepted" for o in outcomes)
    legs, intervals = ContactLegFact.__table__, AgentIntervalFact.__table__
    with ingestor.store.transaction() as connection:
        handled = connection.execute(select(func.sum(legs.c.handle_s)).where(legs.c.leg == "agent")).scalar()
        busy = connection.execute(select(func.sum(intervals.c.on_contact_s + intervals.c.acw_s))).scalar()
        queue_legs = connection.execute(select(func.count()).where(legs.c.leg == "queue")).scalar()
        passed_on = connection.execute(
            select(func.count()).where(legs.c.leg == "agent", legs.c.outcome == "transferred")
        ).scalar()
        unfinished = connection.execute(
            select(func.count()).where(legs.c.leg == "agent", legs.c.handle_s.is_(None))
        ).scalar()
    # every agent leg ended (the day closes at 20:00, the last contact well before midnight),
    # and the agents' time on contacts and in wrap-up is exactly their legs' handle time
    assert unfinished == 0
    assert handled == pytest.approx(busy, rel=1e-12)
    # one queue leg per offer (the simulator never offers twice to one queue in a row), one
    # transfer out per contact.transferred
    assert queue_legs == types["contact.offered"]
    assert passed_on == types["contact.transferred"]
    # the report counts each queue leg once: offered over queues = legs that left their queue,
    # = the contacts (first_queue) + the blind transfers that re-queued them
    request = ReportRequest(
        (KpiSelection("offered"), KpiSelection("offered", "first_queue"), KpiSelection("answered")), DAY, DAY
    )
    (row,) = run_report(ingestor.store, request, registry=callkpi_pm.catalog.kpis).rows
    assert row["offered"] == row["offered:first_queue"] + kinds["blind"]
    assert row["offered"] == queue_legs
