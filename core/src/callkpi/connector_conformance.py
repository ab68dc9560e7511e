"""Conformance tests every connector's test suite inherits.

Subclass :class:`ConnectorTests` in your package's tests, set ``connector_id`` and
implement :meth:`ConnectorTests.sample`; pytest then checks that the entry point loads,
the config schema is valid, the sample config passes it, every emitted event validates
and is of a declared type, event ids are stable so a re-ingest stores nothing twice, and
events at the same time fold by their meaning and ``sequence``, never by their ids.
The fixtures used (``callkpi_pm``, ``callkpi_ingestor``) come from :mod:`callkpi.testing`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from .connector_config import validate_config
from .connectors import Connector, ConnectorRun, RawEvent
from .plugins import CallkpiPluginManager
from .store.db import Store
from .store.ingest import Ingestor
from .store.privacy import CustomerHasher
from .store.tables import StoredEvent
from .testing import TEST_HMAC_KEY

# What the facts are: every fact table and the agent dimension.
FACT_TABLE_PREFIXES = ("fact_", "dim_")
# Two ways to hand a group of same-time events each other's ids.
ID_ARRANGEMENTS: dict[str, Callable[[list[str]], list[str]]] = {
    "reversed": lambda ids: ids[::-1],
    "rotated": lambda ids: ids[1:] + ids[:1],
}


class ConnectorTests:
    """Base class of a connector's conformance tests (not collected itself: no ``Test`` prefix)."""

    connector_id: str = ""

    def sample(self, tmp_path: Path) -> tuple[str, dict[str, Any]]:
        """Write a small realistic source under ``tmp_path``; return ``(source, config)``."""
        raise NotImplementedError("implement sample(tmp_path) to return (source, config)")

    @pytest.fixture
    def connector(self, callkpi_pm: CallkpiPluginManager) -> Connector:
        return callkpi_pm.catalog.connectors.get(self.connector_id)

    @staticmethod
    def read_all(connector: Connector, source: str, config: dict[str, Any]) -> list[RawEvent]:
        """Every raw event one run yields (follow off, no checkpoint)."""
        events = connector.events(source, config, ConnectorRun(source))
        return [event for event in events if isinstance(event, RawEvent)]

    def test_entry_point_loads_and_registers(
        self, callkpi_pm: CallkpiPluginManager, connector: Connector
    ) -> None:
        skipped = {plugin.name: plugin.reason for plugin in callkpi_pm.skipped}
        assert connector.plugin not in skipped, skipped.get(connector.plugin)
        distribution, _ = callkpi_pm.distributions[connector.plugin]
        assert distribution != connector.plugin or connector.plugin == "callkpi", (
            "registered outside an entry point"
        )

    def test_config_schema_is_valid_draft_2020_12(self, connector: Connector) -> None:
        Draft202012Validator.check_schema(connector.config_schema)

    def test_sample_config_passes_the_schema(self, connector: Connector, tmp_path: Path) -> None:
        _, config = self.sample(tmp_path)
        assert validate_config(connector, config) == config

    def test_emitted_events_validate_and_are_declared(
        self, connector: Connector, callkpi_pm: CallkpiPluginManager, tmp_path: Path
    ) -> None:
        events = [
            event
            for event in self.read_all(connector, *self.sample(tmp_path))
            if event.error is None
        ]
        assert events, "the sample yielded no valid event; give a sample with at least one"
        validator = callkpi_pm.catalog.event_types.validator
        for event in events:
            assert validator.validate(event.payload).type in connector.emits, event.origin

    def test_event_ids_are_stable_across_runs(self, connector: Connector, tmp_path: Path) -> None:
        source, config = self.sample(tmp_path)
        first = [_event_id(event) for event in self.read_all(connector, source, config)]
        again = [_event_id(event) for event in self.read_all(connector, source, config)]
        assert first == again

    def test_reingest_stores_nothing_twice(
        self, connector: Connector, callkpi_ingestor: Ingestor, tmp_path: Path
    ) -> None:
        source, config = self.sample(tmp_path)
        first = callkpi_ingestor.ingest(self.read_all(connector, source, config))
        again = callkpi_ingestor.ingest(self.read_all(connector, source, config))
        assert first.accepted > 0
        # All the first run saw valid (stored, or repeated in the source) is now a duplicate.
        assert (again.accepted, again.duplicates) == (0, first.accepted + first.duplicates)

    @pytest.mark.parametrize("arrangement", sorted(ID_ARRANGEMENTS))
    def test_same_time_events_fold_the_same_whatever_their_ids(
        self, connector: Connector, callkpi_pm: CallkpiPluginManager, tmp_path: Path, arrangement: str
    ) -> None:
        """Ids are content hashes, so which of two events at one time sorts first by id is
        chance. The facts must come from their meaning and ``sequence`` alone: the sample with
        the ids of every group of same-time events handed round gives the same facts."""
        validator = callkpi_pm.catalog.event_types.validator
        events = [
            validator.validate(event.payload).model_dump(mode="json", exclude_none=True)
            for event in self.read_all(connector, *self.sample(tmp_path))
            if event.error is None
        ]
        as_sampled = _facts(callkpi_pm, tmp_path / "as_sampled.db", events)
        assert _facts(callkpi_pm, tmp_path / "ids_moved.db", _ids_moved(events, arrangement)) == as_sampled


def _ids_moved(events: list[dict[str, Any]], arrangement: str) -> list[dict[str, Any]]:
    """``events`` with the ids of each group that shares a time rearranged among the group."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, event in enumerate(events):
        groups[event["time"]].append(index)
    moved = [dict(event) for event in events]
    for indexes in groups.values():
        ids = [events[i]["id"] for i in indexes]
        for i, new_id in zip(indexes, ID_ARRANGEMENTS[arrangement](ids), strict=True):
            moved[i]["id"] = new_id
    return moved


def _facts(pm: CallkpiPluginManager, path: Path, events: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The fact rows of ``events`` ingested into a fresh SQLite store at ``path``."""
    store = Store.open(f"sqlite:///{path}")
    try:
        Ingestor(store, pm, CustomerHasher(TEST_HMAC_KEY)).ingest([RawEvent(e, "sample") for e in events])
        with store.reading() as connection:
            return {
                table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
                for table in StoredEvent.metadata.sorted_tables
                if table.name.startswith(FACT_TABLE_PREFIXES)
            }
    finally:
        store.dispose()


def _event_id(event: RawEvent) -> str | None:
    return event.payload.get("id") if isinstance(event.payload, dict) else None
