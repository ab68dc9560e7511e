"""The survey gateway's server code alone: CPU a signed inbound reply, without uvicorn or a client.

    uv run python bench/survey_cpu.py --replies 4000
    uv run python bench/survey_cpu.py --replies 4000 --profile inbound   # inbound.{route,commit,flush}.prof

On a shared two-core machine the wall clock of ``bench/survey.py`` moves with the neighbours'
load; the process CPU time of the app's own work does not. This drives the same signed
replies as ``bench/survey.py`` (same store, surveys and forms) straight into the ASGI app in
this process, ``--concurrency`` at a time, and reports the process CPU time a reply: the
route, the group commit, the event flush and ingest, without the HTTP server and its socket
work (which ``bench/survey.py`` adds).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from survey import INBOUND_PATH, create_surveys, recorded_answers, server_environment, signed_replies
from survey_load import request_bytes

FLUSH_SETTLE_S = 1.0  # the event flusher gathers for 50 ms; its last batch is part of the cost


class ThreadProfiles:
    """Per-thread CPU profiles: cProfile sees one thread, the event loop's (the route) here; the group commits and
    event flushes, each in a thread of its own, through their entry points."""

    def __init__(self) -> None:
        from callkpi_survey_gateway import group_commit
        from callkpi_survey_gateway.routes import twilio_inbound

        self.profiles = {name: cProfile.Profile(time.thread_time) for name in ("route", "commit", "flush")}
        group_commit.commit_group = self._wrapped("commit", group_commit.commit_group)
        twilio_inbound._flush_all = self._wrapped("flush", twilio_inbound._flush_all)

    def _wrapped(self, name: str, function):
        profile = self.profiles[name]
        return lambda *args: profile.runcall(function, *args)

    def dump(self, prefix: str) -> None:
        for name, profile in self.profiles.items():
            profile.dump_stats(f"{prefix}.{name}.prof")


def asgi_request(form: dict[str, str], signature: str) -> tuple[dict, bytes]:
    """The ASGI scope and body of one signed form post, as uvicorn would hand them to the app."""
    wire = request_bytes("127.0.0.1:8000", INBOUND_PATH, form, {"X-Twilio-Signature": signature})
    head, body = wire.split(b"\r\n\r\n", 1)
    headers = [tuple(part.strip().lower() if index == 0 else part.strip() for index, part in
                     enumerate(line.split(b":", 1))) for line in head.split(b"\r\n")[1:]]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": INBOUND_PATH, "raw_path": INBOUND_PATH.encode(), "query_string": b"",
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    return scope, body


async def post(app, scope: dict, body: bytes) -> int:
    """Run one request through ``app``; its status."""
    status = 0

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def drive(app, requests: list[tuple[dict, bytes]], concurrency: int) -> list[int]:
    pending, statuses = iter(requests), []

    async def worker() -> None:
        for scope, body in pending:
            statuses.append(await post(app, scope, body))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


async def run(app, warm: list, replies: list, concurrency: int, profile: str | None) -> tuple[float, float, list[int]]:
    """Warm up, then drive ``replies``: (CPU seconds, wall seconds, statuses)."""
    async with app.router.lifespan_context(app):
        await drive(app, [asgi_request(*reply) for reply in warm], concurrency)
        await asyncio.sleep(FLUSH_SETTLE_S)
        requests = [asgi_request(*reply) for reply in replies]
        profiles = ThreadProfiles() if profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiles:
            profiles.profiles["route"].enable()
        statuses = await drive(app, requests, concurrency)
        await asyncio.sleep(FLUSH_SETTLE_S)
        if profiles:
            profiles.profiles["route"].disable()
            profiles.dump(profile)
        return time.process_time() - cpu, time.perf_counter() - wall - FLUSH_SETTLE_S, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=4000, help="measured replies (even; two per survey)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--profile", help="write cProfiles of the measured replies to PREFIX.{route,commit,flush}.prof")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="callkpi-survey-cpu-") as folder:
        env = server_environment(Path(folder))
        create_surveys(env, args.replies // 2)
        warm, replies = signed_replies(args.replies // 2)
        os.environ.update(env)
        import uvloop

        from callkpi.api.main import create_app

        cpu_s, wall_s, statuses = uvloop.run(run(create_app(), warm, replies, args.concurrency, args.profile))
        failed = sum(status != 200 for status in statuses)
        print(f"{len(replies)} replies in process, {args.concurrency} in flight: "
              f"{cpu_s / len(replies) * 1000:.3f} ms CPU a reply ({wall_s:.2f} s wall, failed: {failed}, "
              f"load average {os.getloadavg()[0]:.1f})")
        answers, ingested, queued = recorded_answers(env)
        print(f"  answers recorded: {answers} of {len(replies)}; response events ingested: {ingested}; "
              f"still in the outbox: {queued}")
    return 0 if failed == 0 and answers == ingested == len(replies) else 1


if __name__ == "__main__":
    sys.exit(main())
