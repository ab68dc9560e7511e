"""Migration 0011 fills in the open episodes and data ends of a store that predates it."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import select

from callkpi.connectors import RawEvent
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.db import Store, alembic_config
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.store.tables import AgentOpenEpisode, CentreDataEnd
from callkpi.testing import TEST_HMAC_KEY


def test_the_migration_records_what_ingest_records(store: Store, make_event):
    # a1 paused for lunch (a break) at 09:30, a2 logged out, a3 available; a contact at 10:20
    events = [
        make_event("agent.state_changed", "2026-01-05T09:00:00Z", {"state": "available"}, agentid="a1"),
        make_event("agent.state_changed", "2026-01-05T09:30:00Z", {"state": "not_ready", "reason": "Lunch"},
                   agentid="a1"),
        make_event("agent.state_changed", "2026-01-05T09:00:00Z", {"state": "available"}, agentid="a2"),
        make_event("agent.state_changed", "2026-01-05T09:40:00Z", {"state": "logged_out"}, agentid="a2"),
        make_event("agent.state_changed", "2026-01-05T10:00:00Z", {"state": "available"}, agentid="a3"),
        make_event("contact.offered", "2026-01-05T10:20:00Z", contactid="c1", queue="sales"),
        # a plan published later does not move the data end
        make_event("schedule.published", "2026-01-06T18:00:00Z", {"segments": [
            {"start": "2026-01-07T09:00:00Z", "end": "2026-01-07T17:00:00Z", "activity": "work"}]}, agentid="a1"),
    ]
    ingestor = Ingestor(store, get_plugin_manager(Settings()), CustomerHasher(TEST_HMAC_KEY))
    outcomes = ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in events])
    assert {outcome.status for outcome in outcomes} == {"accepted"}, outcomes
    ingested = _recorded(store)
    assert [(row.agentid, row.state, row.is_break) for row in ingested[0]] == [
        ("a1", "not_ready", True),
        ("a3", "available", False),
    ]
    assert [(row.centre, f"{row.data_end:%H:%M}") for row in ingested[1]] == [("default", "10:20")]
    with store.transaction() as connection:  # back to before the tables, and forward again
        config = alembic_config(connection)
        command.downgrade(config, "0008")
        command.upgrade(config, "head")
    assert _recorded(store) == ingested


def _recorded(store: Store) -> tuple[list, list]:
    episodes, ends = AgentOpenEpisode.__table__, CentreDataEnd.__table__
    with store.reading() as connection:
        return (
            connection.execute(select(episodes).order_by(episodes.c.agentid)).all(),
            connection.execute(select(ends)).all(),
        )
