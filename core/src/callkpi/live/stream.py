"""The wallboard's Server-Sent Events stream.

The stream sends the board at once, then again whenever an event of the centre is recorded
in this process (:mod:`.hub`) and at least every :data:`TICK_S` seconds (events written by
other processes, waits growing). It ends by itself after :data:`LIFETIME_S`, telling the
browser to reconnect after :data:`RETRY_MS`: EventSource does so on its own, so no stream
outlives a server's graceful shutdown by more than that, and proxies never see an endless
response. A client that goes away ends its stream at once (Starlette cancels it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from .hub import HUB

TICK_S = 2.0
LIFETIME_S = 30.0
RETRY_MS = 1000


def sse(event: str, data: Any) -> bytes:
    """One SSE message: ``event:`` and a one-line JSON ``data:``."""
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def board_stream(centre: str, build: Callable[[], Any], lifetime_s: float = LIFETIME_S) -> AsyncIterator[bytes]:
    """Boards of ``centre`` as SSE messages (``build`` runs in a worker thread) until ``lifetime_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime_s
    yield f"retry: {RETRY_MS}\n\n".encode()
    with HUB.listen(frozenset({centre})) as waiter:
        while loop.time() < deadline:
            yield sse("board", await asyncio.to_thread(build))
            await waiter.wait(min(TICK_S, max(deadline - loop.time(), 0)))
