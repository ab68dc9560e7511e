"""A pytest plugin for callkpi and its plugin authors, loaded automatically (``pytest11``).

Fixtures:

* ``callkpi_pm`` — a fresh plugin manager with every installed plugin (yours included
  once your package is installed); ``callkpi_pm.skipped`` says why a plugin did not load.
* ``callkpi_store`` — a migrated store in a fresh SQLite file under ``tmp_path``.
* ``callkpi_ingestor`` — an :class:`~callkpi.store.ingest.Ingestor` on that store, hashing
  customer numbers with the fixed :data:`TEST_HMAC_KEY`.
* ``make_event`` — ``make_event(type, time, data=None, **extensions)``: a valid canonical
  event as a dict with a unique id (``test-1``, ``test-2`` …).

Helpers for building events:

* :func:`contact_timeline` — the usual answered contact: offered, answered, ended and
  wrap-up completed, with the waits and durations you choose.
* :func:`abandoned_contact` — offered, then abandoned in the queue.
* :func:`raw_events` — dicts to :class:`~callkpi.connectors.RawEvent` for an ingestor.

Conformance suites, re-exported here for plugin authors: :class:`KpiTests` (subclass it with
your KPI timelines and expected values) and :class:`ConnectorTests` (subclass it with your
connector's id, a sample source and config).

A vendor's test, with nothing to set up::

    def test_my_connector_output_is_stored(callkpi_ingestor, make_event):
        events = contact_timeline(make_event, "c1", "2026-01-05T09:00:00Z", wait_s=12)
        summary = callkpi_ingestor.ingest(raw_events(events))
        assert summary.accepted == 4
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .connectors import RawEvent
from .plugins import CallkpiPluginManager, get_plugin_manager
from .settings import Settings
from .store.db import Store
from .store.ingest import Ingestor
from .store.privacy import CustomerHasher

TEST_HMAC_KEY = bytes(range(32))
"""The HMAC key the ``callkpi_ingestor`` fixture hashes customer numbers with."""

EventFactory = Callable[..., dict[str, Any]]


def event_factory(source: str = "test") -> EventFactory:
    """Return ``make(type, time, data=None, **extensions)`` building valid event dicts with
    unique ids ``{source}-1``, ``{source}-2`` …; ``id=`` overrides it, and extensions given
    as ``None`` are left out."""
    counter = itertools.count(1)

    def make(type: str, time: datetime | str, data: dict[str, Any] | None = None,
             **extensions: Any) -> dict[str, Any]:
        event = {"specversion": "1.0", "id": extensions.pop("id", f"{source}-{next(counter)}"),
                 "source": source, "type": type, "time": _timestamp(time), "data": data or {}}
        event.update({key: value for key, value in extensions.items() if value is not None})
        return event

    return make


def _timestamp(time: datetime | str) -> str:
    if isinstance(time, str):
        return time
    return time.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _at(start: datetime | str, seconds: float) -> datetime:
    begin = datetime.fromisoformat(start) if isinstance(start, str) else start
    return begin + timedelta(seconds=seconds)


def contact_timeline(make_event: EventFactory, contactid: str, offered: datetime | str, *,
                     wait_s: float = 20, talk_s: float = 180, acw_s: float = 30,
                     queue: str = "sales", agentid: str = "a1", channel: str = "voice",
                     customer: str | None = None, disposition: str | None = None,
                     resolved: bool | None = None, **extensions: Any) -> list[dict[str, Any]]:
    """An answered contact as four events: ``contact.offered`` at ``offered``,
    ``contact.answered`` ``wait_s`` later, ``contact.ended`` after ``talk_s`` of talk and
    ``contact.wrapup_completed`` after ``acw_s`` of after-contact work. ``extensions``
    (e.g. ``centre="amsterdam"``) go on every event."""
    common = {"contactid": contactid, "queue": queue, "channel": channel, **extensions}
    answered = _at(offered, wait_s)
    ended = answered + timedelta(seconds=talk_s)
    wrapup = {key: value for key, value in (("disposition", disposition), ("resolved", resolved))
              if value is not None}
    return [
        make_event("contact.offered", offered, _customer(customer), **common),
        make_event("contact.answered", answered, agentid=agentid, **common),
        make_event("contact.ended", ended, agentid=agentid, **common),
        make_event("contact.wrapup_completed", ended + timedelta(seconds=acw_s), wrapup,
                   agentid=agentid, **common),
    ]


def abandoned_contact(make_event: EventFactory, contactid: str, offered: datetime | str, *,
                      wait_s: float = 45, queue: str = "sales", channel: str = "voice",
                      customer: str | None = None, **extensions: Any) -> list[dict[str, Any]]:
    """A contact the customer gave up on: ``contact.offered`` at ``offered``, then
    ``contact.abandoned`` in the queue ``wait_s`` later."""
    common = {"contactid": contactid, "queue": queue, "channel": channel, **extensions}
    return [
        make_event("contact.offered", offered, _customer(customer), **common),
        make_event("contact.abandoned", _at(offered, wait_s), {"phase": "queue"}, **common),
    ]


def _customer(customer: str | None) -> dict[str, Any]:
    return {"customer": customer} if customer is not None else {}


def raw_events(events: Iterable[dict[str, Any]], origin: str = "test") -> list[RawEvent]:
    """Wrap event dicts as :class:`RawEvent` (origin ``{origin}:1``, ``{origin}:2`` …)."""
    return [RawEvent(event, f"{origin}:{number}") for number, event in enumerate(events, 1)]


@pytest.fixture
def make_event() -> EventFactory:
    """A factory for valid canonical events; see :func:`event_factory`."""
    return event_factory()


@pytest.fixture
def callkpi_pm() -> CallkpiPluginManager:
    """A fresh plugin manager with every installed plugin."""
    return get_plugin_manager(Settings())


@pytest.fixture
def callkpi_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated store in a fresh SQLite file."""
    store = Store.open(f"sqlite:///{tmp_path / 'callkpi.db'}")
    yield store
    store.dispose()


@pytest.fixture
def callkpi_ingestor(callkpi_store: Store, callkpi_pm: CallkpiPluginManager) -> Ingestor:
    """An ingestor on ``callkpi_store`` with ``callkpi_pm``'s event types."""
    return Ingestor(callkpi_store, callkpi_pm, CustomerHasher(TEST_HMAC_KEY))
