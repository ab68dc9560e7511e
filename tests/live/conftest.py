"""Fixtures of the live tests: a centre in Amsterdam, events fed through the real ingestor,
and an app whose plugin manager has the live plugin."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from callkpi.api.main import create_app
from callkpi.live import plugin as live_plugin
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.apikeys import create_api_key
from callkpi.store.centres import CentreSettings, add_centre
from callkpi.store.ingest import Ingestor
from callkpi.testing import TEST_HMAC_KEY, raw_events

CENTRE = "rotterdam"
T = TypeVar("T")
Feed = Callable[[Iterable[dict[str, Any]]], None]


@pytest.fixture
def centre(store) -> str:
    """Centre rotterdam in Europe/Amsterdam (UTC+1 in January) with default settings."""
    with store.transaction() as connection:
        add_centre(connection, CENTRE, "Europe/Amsterdam", CentreSettings())
    return CENTRE


@pytest.fixture
def feed(ingestor: Ingestor, centre: str) -> Feed:
    """Ingest events (centre rotterdam) and fail loudly if any is not stored."""

    def ingest(events: Iterable[dict[str, Any]]) -> None:
        outcomes = ingestor.ingest_batch(raw_events({**event, "centre": centre} for event in events))
        assert [o.status for o in outcomes if o.status != "accepted"] == []

    return ingest


@pytest.fixture
def live_pm(store):
    """Every installed plugin plus the live plugin (until ``get_plugin_manager`` registers it itself)."""
    pm = get_plugin_manager(Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex()))
    if not any(plugin is live_plugin for plugin in pm.get_plugins()):
        pm.add("live", lambda: live_plugin)
    return pm


@pytest.fixture
def app(store, centre, live_pm):
    """The API app on the test store, with the live plugin."""
    app = create_app(Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex()), pm=live_pm)
    yield app
    app.state.callkpi.store.dispose()


@pytest.fixture
def keys(store, centre) -> dict[str, str]:
    """Keys bound to rotterdam (ingest, read, admin) and a read key of another centre."""
    with store.transaction() as connection:
        add_centre(connection, "utrecht", "Europe/Amsterdam")
        made = {scope: create_api_key(connection, scope, centre)[0] for scope in ("ingest", "read", "admin")}
        made["other"] = create_api_key(connection, "read", "utrecht")[0]
    return made


@pytest.fixture
def configure(store, centre) -> Callable[..., None]:
    """``configure(**settings)`` replaces centre rotterdam's settings (its zone stays Europe/Amsterdam)."""

    def replace(**settings: Any) -> None:
        with store.transaction() as connection:
            add_centre(connection, centre, "Europe/Amsterdam", CentreSettings(**settings))

    return replace


@pytest.fixture
def run_async() -> Callable[[Coroutine[Any, Any, T]], T]:
    """``asyncio.run`` in a thread of its own: Playwright's sync API keeps a loop running in
    the main thread for the whole session once a browser test has started."""

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    return run
