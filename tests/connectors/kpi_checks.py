"""Helpers for the connectors' hand-worked KPI tests: what a report row says, what the store holds."""

from __future__ import annotations

from sqlalchemy import func, select

from callkpi.kpi.report import ReportRow
from callkpi.store.ingest import Ingestor
from callkpi.store.tables import ContactFact, StoredEvent


def counts(ingestor: Ingestor) -> tuple[int, int]:
    """(stored events, contact facts): a re-ingest that stores nothing leaves both unchanged."""
    with ingestor.store.transaction() as connection:
        events = connection.execute(select(func.count()).select_from(StoredEvent)).scalar_one()
        facts = connection.execute(select(func.count()).select_from(ContactFact)).scalar_one()
    return events, facts


def values(row: ReportRow) -> dict[str, float | None]:
    """Each KPI column's value in ``row``, by column key."""
    return {key: value.value for key, value in row.values.items()}
