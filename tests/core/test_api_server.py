"""The API over real HTTP: uvicorn on 127.0.0.1 with a free port, in a thread, and httpx."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from callkpi.api.main import create_app
from callkpi.settings import Settings
from callkpi.store.apikeys import create_api_key
from callkpi.store.tables import StoredEvent
from callkpi.testing import TEST_HMAC_KEY, event_factory

STARTUP_LIMIT_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server_url(callkpi_store) -> Iterator[str]:
    app = create_app(Settings(database_url=callkpi_store.url, hmac_key=TEST_HMAC_KEY.hex()))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    # Waiting for start-up is not a timing assertion: the limit only stops a hung test.
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


def test_a_batch_posted_over_real_http_is_stored(server_url, callkpi_store):
    with callkpi_store.transaction() as connection:
        key, _ = create_api_key(connection, "ingest", "default")
    make = event_factory("http")
    batch = [
        make("contact.offered", "2026-01-05T09:00:00Z", contactid="c1", queue="sales"),
        make("contact.answered", "2026-01-05T09:00:20Z", contactid="c1", agentid="a1"),
        make("contact.offered", "2026-01-05T09:01:00Z", contactid="c2", time_zone_typo=1),
    ]
    with httpx.Client(base_url=server_url) as client:
        health = client.get("/v1/health")
        response = client.post("/v1/events", json=batch, headers={"Authorization": f"Bearer {key}"})
    assert health.status_code == 200 and health.json()["store"] == "reachable"
    # Two good events and one with an unknown attribute: mixed, so 207.
    assert response.status_code == 207
    assert [r["status"] for r in response.json()["results"]] == [
        "accepted",
        "accepted",
        "quarantined",
    ]
    with callkpi_store.transaction() as connection:
        assert connection.execute(select(func.count()).select_from(StoredEvent)).scalar_one() == 2
