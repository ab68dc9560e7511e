"""Fixtures for the KPI tests: fact rows written straight into the store, the standard KPIs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import insert

from callkpi.kpi import KpiRegistry
from callkpi.plugins import get_plugin_manager
from callkpi.projector.buckets import EMPTY_BUCKETS
from callkpi.projector.contacts import FACT_COLUMNS
from callkpi.projector.legs import summary_legs
from callkpi.settings import Settings
from callkpi.store.tables import AgentDimension, AgentHistory, AgentIntervalFact, ContactFact, ContactLegFact

Insert = Callable[..., None]


@pytest.fixture
def insert_facts(store) -> Insert:
    """``insert_facts(contacts=[…], intervals=[…], agents=[…])`` writes rows in one transaction;
    each contact also gets the legs the projector gives a summarised contact (one queue leg,
    one agent leg when answered) in the contact's own buckets, since queue and agent KPIs
    count legs."""

    def insert_rows(
        contacts: list[dict] = (), intervals: list[dict] = (), agents: list[dict] = ()
    ) -> None:
        with store.transaction() as connection:
            for table, rows in (
                (ContactFact, contacts),
                (ContactLegFact, [leg for row in contacts for leg in legs_of(row)]),
                (AgentIntervalFact, intervals),
                (AgentDimension, agents),
                (AgentHistory, [always(agent) for agent in agents]),
            ):
                for row in (
                    rows
                ):  # one by one: an executemany would take its columns from the first row only
                    connection.execute(insert(table.__table__).values(**row))

    return insert_rows


def always(agent: dict) -> dict:
    """The one history version of a ``dim_agent`` row: its team and site at every time."""
    attributes = {key: agent.get(key) for key in ("name", "team", "site")}
    return {"centre": agent["centre"], "agentid": agent["agentid"], "seq": 0, "employed": True, **attributes}


@pytest.fixture(scope="session")
def standard_kpis() -> KpiRegistry:
    """The KPIs of the installed ``callkpi-kpis`` distribution (and any other installed plugin)."""
    pm = get_plugin_manager(Settings(_env_file=None))
    assert not [s for s in pm.skipped if s.name == "kpis"], pm.skipped
    return pm.catalog.kpis


def legs_of(contact: dict) -> list[dict]:
    row = {**dict.fromkeys(FACT_COLUMNS), "hold_count": 0, "transfers": 0, **contact}
    shared = {name: row[name] for name in ("centre", "contactid", "channel", "direction", "language")}
    buckets = {name: row[name] for name in EMPTY_BUCKETS}
    return [
        {**leg, **shared, **buckets, "seq": seq} for seq, leg in enumerate(summary_legs(row))
    ]
