"""API benchmark: ``POST /v1/reports`` and ``POST /v1/events`` over loopback under bounded
concurrent load, against a SQLite store holding ``--contacts`` contacts.

    uv run python bench/api.py --contacts 1000000 --requests 400 --concurrency 8

The store is filled with ``bench/report_facts.py``'s fact rows (eight weeks, 200 agents) in a
child process; ``callkpi.api.main:create_app`` is then served by uvicorn (one worker unless
``--workers`` says more) in a subprocess on 127.0.0.1, and this process drives it with httpx,
at most ``--concurrency`` requests in flight:

* reports: the one-day agent report (aht, service_level, fcr, asa, abandon_rate by agent,
  one local day; each request a different day of the eight weeks);
* events: batches of 100 simulator events (``callkpi simulate``'s demo centre), ingested;
* mixed: both at once, half the requests each.

Printed per phase: requests, failures, p50 / p99 / max latency, throughput, and the server's
CPU milliseconds per request (Linux ``/proc``, summed over uvicorn's worker processes).
Target: p99 < 1 s for the one-day agent report on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from report_facts import DAYS, FIRST_DAY, insert_facts

from callkpi.simulator.config import demo_config
from callkpi.simulator.engine import Simulation
from callkpi.store.apikeys import create_api_key
from callkpi.store.db import Store

REPORT_KPIS = ["aht", "service_level", "fcr", "asa", "abandon_rate"]
BATCH = 100
STARTUP_TIMEOUT_S = 60.0


@dataclass
class Phase:
    """One phase's measured requests: latencies in seconds, failures, wall time."""

    name: str
    latencies: list[float]
    failures: list[str]
    seconds: float
    events: int = 0
    server_cpu_s: float = 0.0

    def row(self) -> str:
        ordered = sorted(self.latencies)
        if not ordered:
            return f"{self.name:<22} {0:>8} {len(self.failures):>8}  (every request failed)"
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        rate = len(ordered) / self.seconds
        cpu_ms = self.server_cpu_s / len(ordered) * 1000
        extra = f"  ({self.events / self.seconds:,.0f} events/s)" if self.events else ""
        return (
            f"{self.name:<22} {len(ordered):>8} {len(self.failures):>8} {p50:>8.0f} {p99:>8.0f} "
            f"{ordered[-1] * 1000:>8.0f} {rate:>9.1f} {cpu_ms:>8.0f}{extra}"
        )


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process and its children have used: on a shared machine
    it shows the work per request, where wall time also counts waiting for a core."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in children(pid))


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (uvicorn's workers when it runs more than one)."""
    listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in listed.split()]


def build(url: str, contacts: int) -> None:
    store = Store.open(url)
    with store.transaction() as connection:
        print("  rows:", insert_facts(connection, contacts), flush=True)
    store.dispose()


def api_keys(url: str) -> tuple[str, str]:
    """A read key and an ingest key of centre ``default`` (the facts' centre)."""
    store = Store.open(url)
    with store.transaction() as connection:
        read, _ = create_api_key(connection, "read", "default", "bench")
        ingest, _ = create_api_key(connection, "ingest", "default", "bench")
    store.dispose()
    return read, ingest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hmac_key(workdir: Path) -> str:
    """The store's customer-hashing key, kept beside it: a reused store must get the same one."""
    path = workdir / "hmac.hex"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text()


def serve(url: str, workdir: Path, port: int, workers: int) -> subprocess.Popen:
    """uvicorn serving ``create_app`` on 127.0.0.1:``port``, configured through the environment."""
    env = {
        **os.environ,
        "CALLKPI_DATABASE_URL": url,
        "CALLKPI_HMAC_KEY": hmac_key(workdir),
        "CALLKPI_SNAPSHOT_DIR": str(workdir / "snapshot"),
    }
    command = [sys.executable, "-m", "uvicorn", "callkpi.api.main:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    command += ["--workers", str(workers)]
    return subprocess.Popen(command, env=env, cwd=workdir)


def wait_until_up(base_url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{base_url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server at {base_url} did not answer within {STARTUP_TIMEOUT_S:.0f} s")


def report_bodies() -> Iterator[dict[str, Any]]:
    """One-day agent reports, each on the next day of the facts' eight weeks."""
    for number in itertools.count():
        day = (FIRST_DAY + timedelta(days=number % DAYS)).isoformat()
        yield {"kpis": REPORT_KPIS, "group_by": ["agent"], "date_from": day, "date_to": day}


def event_batches(start: date, seed: int) -> Iterator[list[dict[str, Any]]]:
    """Batches of ``BATCH`` simulator events, after the facts' weeks so they add new days."""
    events = Simulation(demo_config(start, days=60, seed=seed)).events()
    while batch := list(itertools.islice(events, BATCH)):
        yield batch


async def timed_post(client: httpx.AsyncClient, path: str, body: Any, key: str, phase: Phase) -> None:
    start = time.perf_counter()
    try:
        response = await client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
    except httpx.TransportError as exc:
        phase.failures.append(f"{path} {type(exc).__name__}: {exc}")
        return
    phase.latencies.append(time.perf_counter() - start)
    if response.status_code != 200:
        phase.failures.append(f"{path} {response.status_code}: {response.text[:200]}")


async def drive(base_url: str, name: str, requests: list[tuple[str, Any, str]], concurrency: int) -> Phase:
    """Send ``requests`` (path, body, key) with at most ``concurrency`` in flight."""
    phase = Phase(name, [], [], 0.0, sum(len(b) for p, b, _ in requests if p == "/v1/events"))
    queue = iter(requests)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:

        async def worker() -> None:
            for path, body, key in queue:
                await timed_post(client, path, body, key, phase)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        phase.seconds = time.perf_counter() - start
    return phase


def phases(args: argparse.Namespace, read: str, ingest: str) -> Iterator[tuple[str, list]]:
    reports, batches = report_bodies(), event_batches(FIRST_DAY + timedelta(days=DAYS), args.seed)
    n = args.requests
    if "reports" in args.phases:
        yield "reports", [("/v1/reports", next(reports), read) for _ in range(n)]
    if "events" in args.phases:
        yield "events (100/batch)", [("/v1/events", next(batches), ingest) for _ in range(n)]
    if "mixed" in args.phases:
        yield "mixed", [("/v1/reports", next(reports), read) if i % 2 else ("/v1/events", next(batches), ingest)
                        for i in range(n)]  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts in the store")
    parser.add_argument("--requests", type=int, default=400, help="requests per phase")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight at most")
    parser.add_argument("--workdir", type=Path, help="reuse the store in this folder (default: a new one)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (change it when reusing a store)")
    parser.add_argument("--phases", default="reports,events,mixed", help="which phases to run, in this order")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="callkpi-bench-api-"))
    url = f"sqlite:///{workdir / 'callkpi.db'}"
    if not (workdir / "callkpi.db").exists():
        print(f"generating {args.contacts:,} contacts in {workdir} …", flush=True)
        child = multiprocessing.get_context("spawn").Process(target=build, args=(url, args.contacts))
        child.start()
        child.join()
    read, ingest = api_keys(url)
    port = free_port()
    server = serve(url, workdir, port, args.workers)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url, server)
        results = []
        for name, requests in phases(args, read, ingest):
            before = cpu_seconds(server.pid)
            results.append(asyncio.run(drive(base_url, name, requests, args.concurrency)))
            results[-1].server_cpu_s = cpu_seconds(server.pid) - before
    finally:
        server.terminate()
        server.wait(timeout=30)
    workers = "one uvicorn worker" if args.workers == 1 else f"{args.workers} uvicorn workers"
    print(f"\n{args.contacts:,} contacts, SQLite, concurrency {args.concurrency}, {workers}")
    print(f"{'phase':<22} {'requests':>8} {'failed':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>9} "
          f"{'CPU ms':>8}")  # fmt: skip
    for phase in results:
        print(phase.row())
        for failure in phase.failures[:3]:
            print(f"  e.g. {failure}")


if __name__ == "__main__":
    main()
