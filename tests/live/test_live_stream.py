"""Waking live views: the hub across threads, the SSE stream's messages and end, and — on a
real server with the live plugin's background task — an event POSTed to /v1/events firing
an alert whose webhook reaches a local receiver."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from contextlib import suppress
from datetime import UTC, datetime

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from callkpi.live.hub import HUB, LiveHub
from callkpi.live.stream import board_stream
from callkpi.testing import event_factory
from live_server import live_server


def test_a_notification_from_another_thread_wakes_only_its_centres_waiters(run_async):
    hub = LiveHub()

    async def scenario() -> tuple[set[str], set[str]]:
        with hub.listen(frozenset({"rotterdam"})) as ours, hub.listen(frozenset({"utrecht"})) as theirs:
            threading.Thread(target=hub.notify, args=("rotterdam",)).start()
            # woken long before the 60 s: a missed wake-up would fail the test by its result, not its time
            woken = await ours.wait(60)
            return woken, await theirs.wait(0.05)

    assert run_async(scenario()) == ({"rotterdam"}, set())


def test_a_waiter_woken_in_the_moment_it_is_cancelled_still_ends(run_async):
    # Python 3.11's asyncio.wait_for returns the result instead of raising when the awaited
    # thing finishes as the cancel arrives: the alert task then never ended, and a server
    # (or a test's TestClient) waited for its shutdown for ever after an event came in last.
    async def scenario() -> bool:
        with LiveHub().listen() as waiter:
            task = asyncio.create_task(waiter.wait(60))
            await asyncio.sleep(0)  # the task now waits for its event
            waiter.wake("rotterdam")
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            return task.cancelled()

    assert run_async(scenario())


def test_the_stream_sends_a_board_at_once_and_after_each_event_then_ends(run_async):
    builds = iter(range(100))

    async def scenario() -> list[bytes]:
        messages = []
        stream = board_stream("rotterdam", lambda: {"n": next(builds)}, lifetime_s=0.5)
        async for message in stream:
            messages.append(message)
            if len(messages) == 2:
                HUB.notify("rotterdam")  # an event: the next board comes without waiting for the tick
        return messages

    messages = run_async(scenario())

    assert messages[0] == b"retry: 1000\n\n"
    assert messages[1:3] == [b'event: board\ndata: {"n":0}\n\n', b'event: board\ndata: {"n":1}\n\n']


class Receiver:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.received.append(json.loads(await request.body()))
        return Response(status_code=204)


def wait_for(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_an_event_fires_an_alert_through_the_running_server(app, keys, configure):
    receiver = Receiver()
    with live_server(receiver.app) as hooks, live_server(app) as server:
        configure(alerts={"rules": ["waiting >= 1"], "webhooks": [{"url": f"{hooks}/hook", "secret": "x" * 16}]})
        make = event_factory("e2e")
        event = make("contact.offered", datetime.now(UTC), contactid="c1", queue="sales", channel="voice")
        posted = httpx.post(f"{server}/v1/events", json=[event], headers={"Authorization": f"Bearer {keys['ingest']}"})
        assert posted.status_code == 200

        assert wait_for(lambda: receiver.received)
        with httpx.stream("GET", f"{server}/wallboard/rotterdam/stream", params={"key": keys["read"]}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert next(lines) == "retry: 1000"
            assert [next(lines), next(lines)] == ["", "event: board"]
            board = json.loads(next(lines).removeprefix("data: "))

    [alert] = receiver.received
    assert (alert["centre"], alert["rule"], alert["status"]) == ("rotterdam", "waiting >= 1", "firing")
    assert alert["value"] == 1
    waiting = next(tile for tile in board["tiles"] if tile["id"] == "waiting")
    # the firing alert on `waiting` turns its tile red even without a target
    assert (waiting["text"], waiting["status"]) == ("1", "bad")
