"""Alert webhooks POSTed over loopback to a real receiver (uvicorn): the signature checks
out, a receiver failing twice gets the alert on the third attempt after 1 s and 2 s of
backoff, and every retry carries the same alert id. Clock times are passed in, so the
backoff is checked without sleeping."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from callkpi.live.alerts.cycle import deliver_due, evaluate_centre
from callkpi.live.alerts.webhooks import MAX_ATTEMPTS
from callkpi.store.db import Store
from callkpi.store.tables import AlertDelivery
from callkpi.testing import event_factory
from live_server import live_server

SECRET = "a-shared-secret-of-webhooks"
T0 = datetime(2026, 1, 5, 9, 30, 30, tzinfo=UTC)


class Receiver:
    """A webhook receiver answering 500 to its first ``failures`` requests, then 204."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=500 if len(self.received) <= self.failures else 204)


@pytest.fixture
def deliver(store, run_async):
    """``deliver(now)``: one round of due webhook deliveries at ``now``; how many were attempted."""

    async def round_at(now: datetime) -> int:
        async with httpx.AsyncClient(timeout=5) as client:
            return await deliver_due(store, client, now)

    return lambda now: run_async(round_at(now))


def delivery(store) -> tuple[str, int, str | None]:
    with store.reading() as connection:
        return connection.execute(select(AlertDelivery.status, AlertDelivery.attempts, AlertDelivery.last_error)).one()


@pytest.fixture
def firing(store, centre, feed, configure, live_pm):
    """Make rule ``waiting >= 1`` fire at T0 with webhooks to ``url``; returns a function of the url."""

    def fire(url: str) -> dict:
        configure(alerts={"rules": ["waiting >= 1"], "webhooks": [{"url": url, "secret": SECRET}]})
        make = event_factory("wh")
        feed([make("contact.offered", "2026-01-05T09:29:00Z", contactid="c1", queue="sales", channel="voice")])
        [alert] = evaluate_centre(store, live_pm, centre, T0)
        return alert

    return fire


def test_signed_delivery_retried_with_backoff_until_it_succeeds(store, firing, deliver):
    receiver = Receiver(failures=2)
    with live_server(receiver.app) as base_url:
        alert = firing(f"{base_url}/hook")
        # attempt 1 at T0 + 1 s fails → retry 1 s later
        assert deliver(T0 + timedelta(seconds=1)) == 1
        assert delivery(store)[:2] == ("pending", 1)
        # not due yet at T0 + 1.5 s
        assert deliver(T0 + timedelta(seconds=1.5)) == 0
        # attempt 2 at T0 + 2 s fails → retry 2 s later, at T0 + 4 s
        assert deliver(T0 + timedelta(seconds=2)) == 1
        assert deliver(T0 + timedelta(seconds=3.9)) == 0
        assert deliver(T0 + timedelta(seconds=4)) == 1
        # delivered: nothing left to send
        assert delivery(store)[:2] == ("delivered", 3)
        assert deliver(T0 + timedelta(hours=1)) == 0

    assert len(receiver.received) == 3
    for headers, body in receiver.received:
        timestamp = headers["x-callkpi-timestamp"]
        expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert headers["x-callkpi-signature"] == f"sha256={expected}"
        assert headers["x-callkpi-alert-id"] == alert["id"]
        assert json.loads(body) == {**alert, "centre": "rotterdam"}
    # the last attempt was signed at T0 + 4 s
    assert receiver.received[-1][0]["x-callkpi-timestamp"] == str(int(T0.timestamp()) + 4)


def test_a_receiver_that_never_answers_well_is_given_up_with_the_reason(store, firing, deliver):
    receiver = Receiver(failures=MAX_ATTEMPTS)
    with live_server(receiver.app) as base_url:
        firing(f"{base_url}/hook")
        now = T0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert deliver(now) == 1
            now += timedelta(seconds=2 ** (attempt - 1))  # 1, 2, 4 … s of backoff

    assert delivery(store) == ("failed", MAX_ATTEMPTS, "HTTP 500: ")
    assert len(receiver.received) == MAX_ATTEMPTS


def test_an_unreachable_receiver_is_retried(store, firing, deliver):
    firing("http://127.0.0.1:9/hook")  # port 9 (discard): nothing listens

    assert deliver(T0) == 1

    status, attempts, error = delivery(store)
    assert (status, attempts) == ("pending", 1)
    assert error.startswith("ConnectError")


def test_an_idle_round_never_takes_the_sqlite_write_lock(tmp_path, run_async):
    """The alert loop runs a delivery round every second and after every ingest: with
    nothing due it must only read, or it would queue behind (and stall) the writers."""
    path = tmp_path / "callkpi.db"
    store = Store.open(f"sqlite:///{path}")
    writer = sqlite3.connect(path, timeout=0)
    try:
        # another process's write transaction, held open: taking the lock would wait out
        # the store's busy timeout, then fail with "database is locked"
        writer.execute("BEGIN IMMEDIATE")

        async def idle_round() -> int:
            async with httpx.AsyncClient(timeout=5) as client:
                return await deliver_due(store, client, T0)

        assert run_async(idle_round()) == 0
    finally:
        writer.rollback()
        writer.close()
        store.dispose()
