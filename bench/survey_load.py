"""The load generator of ``bench/survey.py``: a lean HTTP/1.1 keep-alive client over loopback.

The machine has two cores, one for the server and one for this client; httpx spent about
as much CPU a request as the server, so on a shared machine the client starved the server
it measured. Here every request is a ready-made byte string (signature included) written
to one of a few keep-alive connections, and the answer is read just far enough to know its
status and where it ends.

Two ways to drive the server:

* **closed loop** (:func:`closed_loop`): ``connections`` requests in flight, the next one
  sent when one is answered — the most the server can do, and its latency at that load;
* **open loop** (:func:`open_loop`): requests *scheduled* at a fixed rate, sent whether or
  not earlier ones were answered, and each latency counted from its scheduled time, so a
  server falling behind shows as latency instead of slowing the client down with it (no
  coordinated omission). A request waiting for a free connection is waiting on the server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class Load:
    """What the server answered: latencies (seconds) of the 200s, and why the rest failed."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    client_cpu_s: float = 0.0


def request_bytes(host: str, path: str, form: dict[str, str], headers: dict[str, str]) -> bytes:
    """One form POST, whole, as it goes on the wire."""
    body = urlencode(form).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight; answers its status."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, request: bytes) -> asyncio.Future[int]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).decode("latin-1").lower()
        if len(self.buffer) - end - 4 < _content_length(head):
            return
        del self.buffer[:]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"the server closed the connection: {exc}"))


def _content_length(head: str) -> int:
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name == "content-length":
            return int(value)
    return 0


async def _connect(host: str, port: int, count: int) -> asyncio.Queue[_Connection]:
    loop = asyncio.get_running_loop()
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(count):
        _, connection = await loop.create_connection(_Connection, host, port)
        pool.put_nowait(connection)
    return pool


def _close(pool: asyncio.Queue[_Connection]) -> None:
    while not pool.empty():
        pool.get_nowait().transport.close()


async def _post(pool: asyncio.Queue[_Connection], request: bytes, since: float, load: Load) -> None:
    """Send ``request`` on the next free connection; its latency counts from ``since``."""
    connection = await pool.get()
    try:
        status = await connection.send(request)
    except ConnectionError as exc:
        load.failures.append(str(exc))
        return
    load.latencies.append(time.perf_counter() - since)
    pool.put_nowait(connection)
    if status != 200:
        load.failures.append(f"HTTP {status}")


async def closed_loop(host: str, port: int, requests: list[bytes], connections: int) -> Load:
    """Every request, ``connections`` at a time, each sent when one before it is answered."""
    pool, load = await _connect(host, port, connections), Load()
    pending = iter(requests)

    async def worker() -> None:
        for request in pending:
            await _post(pool, request, time.perf_counter(), load)

    await _timed(load, asyncio.gather(*(worker() for _ in range(connections))))
    _close(pool)
    return load


async def open_loop(host: str, port: int, requests: list[bytes], connections: int, rate: float) -> Load:
    """Every request at its scheduled time (``rate`` a second), answered or not."""
    pool, load = await _connect(host, port, connections), Load()
    await _timed(load, _scheduled(pool, requests, rate, load))
    _close(pool)
    return load


async def _scheduled(pool: asyncio.Queue[_Connection], requests: Iterable[bytes], rate: float, load: Load) -> None:
    start, sent = time.perf_counter(), []
    for index, request in enumerate(requests):
        due = start + index / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        sent.append(asyncio.ensure_future(_post(pool, request, due, load)))
    await asyncio.gather(*sent)


async def _timed(load: Load, work: asyncio.Future | object) -> None:
    cpu, wall = time.process_time(), time.perf_counter()
    await work  # type: ignore[misc]
    load.seconds, load.client_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
