"""Waking live views when events are recorded in this process.

``callkpi_event_recorded`` fires in whatever thread ingested the batch (the API's thread
pool, a connector); wallboard streams and the alert evaluator wait in the server's event
loop. A :class:`Waiter` bridges the two with ``loop.call_soon_threadsafe``. Other processes
writing the same store are not seen here: the waiters' periodic tick covers them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class Waiter:
    """One listener in an event loop: woken for events of its centres (``None``: every centre)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, centres: frozenset[str] | None) -> None:
        self.loop = loop
        self.centres = centres
        self._event = asyncio.Event()
        self._dirty: set[str] = set()

    def wants(self, centre: str) -> bool:
        return self.centres is None or centre in self.centres

    def wake(self, centre: str) -> None:
        """Called in the loop's thread: remember ``centre`` and wake the waiting coroutine."""
        self._dirty.add(centre)
        self._event.set()

    async def wait(self, timeout_s: float) -> set[str]:
        """Wait until woken or ``timeout_s`` passed; the centres with new events since the last call."""
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancel that arrives as
        # the event is set, and the alert task then never ends (the server's shutdown hangs)
        with suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._event.wait()
        self._event.clear()
        dirty, self._dirty = self._dirty, set()
        return dirty


class LiveHub:
    """The listeners of this process; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[Waiter] = set()

    @contextmanager
    def listen(self, centres: frozenset[str] | None = None) -> Iterator[Waiter]:
        """A waiter in the running loop for the block's duration."""
        waiter = Waiter(asyncio.get_running_loop(), centres)
        with self._lock:
            self._waiters.add(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def notify(self, centre: str) -> None:
        """Wake every waiter of ``centre``; safe from any thread."""
        with self._lock:
            waiters = [w for w in self._waiters if w.wants(centre)]
        for waiter in waiters:
            with suppress(RuntimeError):  # its loop has closed; the block's exit will drop it
                waiter.loop.call_soon_threadsafe(waiter.wake, centre)


HUB = LiveHub()
"""The process's hub: the plugin notifies it, streams and the alert evaluator listen."""
