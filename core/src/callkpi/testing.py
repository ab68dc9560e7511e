"""A pytest plugin for callkpi and its plugin authors (loaded automatically via ``pytest11``).

Fixtures:

* ``callkpi_pm`` — a fresh plugin manager with every installed plugin.
* ``callkpi_store`` — a migrated store in a fresh SQLite file.
* ``callkpi_ingestor`` — an :class:`~callkpi.store.ingest.Ingestor` on that store.
* ``make_event`` — a factory for valid canonical events as dicts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from .plugins import CallkpiPluginManager, get_plugin_manager
from .settings import Settings
from .store.db import Store
from .store.ingest import Ingestor
from .store.privacy import CustomerHasher

TEST_HMAC_KEY = bytes(range(32))
EventFactory = Callable[..., dict[str, Any]]


def event_factory(source: str = "test") -> EventFactory:
    """Return ``make(type, time, data=None, **extensions)`` building valid event dicts with unique ids."""
    counter = itertools.count(1)

    def make(type: str, time: datetime | str, data: dict[str, Any] | None = None, **extensions: Any) -> dict[str, Any]:
        if isinstance(time, datetime):
            time = time.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        event = {"specversion": "1.0", "id": extensions.pop("id", f"{source}-{next(counter)}"),
                 "source": source, "type": type, "time": time, "data": data or {}}
        event.update({key: value for key, value in extensions.items() if value is not None})
        return event

    return make


@pytest.fixture
def make_event() -> EventFactory:
    return event_factory()


@pytest.fixture
def callkpi_pm() -> CallkpiPluginManager:
    return get_plugin_manager(Settings(_env_file=None))


@pytest.fixture
def callkpi_store(tmp_path) -> Iterator[Store]:  # noqa: ANN001 - pytest's tmp_path
    store = Store.open(f"sqlite:///{tmp_path / 'callkpi.db'}")
    yield store
    store.dispose()


@pytest.fixture
def callkpi_ingestor(callkpi_store: Store, callkpi_pm: CallkpiPluginManager) -> Ingestor:
    return Ingestor(callkpi_store, callkpi_pm, CustomerHasher(TEST_HMAC_KEY))
