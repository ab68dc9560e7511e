"""Fixtures: the seeded store of :mod:`dashboard_seed` and the app serving it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from dashboard_seed import Keys, seed

from callkpi.api.main import create_app
from callkpi.plugins import CallkpiPluginManager, get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.db import Store
from callkpi.testing import TEST_HMAC_KEY
from live_server import live_server


@pytest.fixture(scope="session")
def pm() -> CallkpiPluginManager:
    """Every installed plugin, loaded once: loading takes seconds, and these tests only read through it."""
    return get_plugin_manager(Settings())


@pytest.fixture
def keys(store: Store, pm: CallkpiPluginManager) -> Keys:
    """The store seeded with :mod:`dashboard_seed`'s events; its API keys."""
    return seed(store, pm)


@pytest.fixture
def app(store: Store, keys: Keys, pm: CallkpiPluginManager):
    app = create_app(Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex()), pm=pm)
    yield app
    app.state.callkpi.store.dispose()


@pytest.fixture
def client(app) -> Iterator[httpx.Client]:
    """An HTTP client of the app served on 127.0.0.1, not yet signed in (it keeps cookies, as a browser does).

    A real server rather than ASGI in the test's event loop: the browser tests' Playwright
    keeps an event loop running in this thread for the whole session."""
    with live_server(app) as base_url, httpx.Client(base_url=base_url) as client:
        yield client
