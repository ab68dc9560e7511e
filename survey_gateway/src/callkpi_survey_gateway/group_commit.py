"""Group commit on SQLite: the inbound replies waiting for the writer commit in one transaction.

SQLite lets one writer in at a time, so one transaction per reply made each reply pay for a
thread hand-off, BEGIN IMMEDIATE, COMMIT and a turn on the writer lock, and 32 threads taking
turns queued behind each other. Here one writer thread takes every reply queued while it
committed the previous group, applies them in arrival order in one transaction and only after
COMMIT answers their requests: a reply's answer is never ahead of what is durable. Replies in
one group see each other's writes, so a ``MessageSid`` delivered twice into one group still
changes the survey once. When one reply fails, the group rolls back and each reply is applied
again in a transaction of its own, so the failure answers only its own request.

Under a steady stream most groups were one reply, each paying a whole transaction, because
the writer was free when it came. So a reply that follows the one before within
``GATHER_S`` waits until ``GATHER_S`` after its arrival for the next few to join its
commit (PostgreSQL's ``commit_delay`` with ``commit_siblings``): at 500 replies/s the mean
group grew from 1.3 to 3.5 replies and the server's CPU a reply fell by a fifth
(``bench/survey.py``). A lone reply, or one that already waited behind a commit, goes in
at once.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Generic, TypeVar

from sqlalchemy import Connection

from callkpi.store.db import Store

Work = TypeVar("Work")
Result = TypeVar("Result")
IDLE_S = 5.0
MAX_GROUP = 256  # bounds one transaction's length, and so the wait of the replies behind it
GATHER_S = 0.004
# (work, its request's loop and future, its arrival time when it followed another closely)
_Waiter = tuple[object, asyncio.AbstractEventLoop, asyncio.Future, float | None]
Outcome = tuple[object, Exception | None]


class GroupCommitter(Generic[Work, Result]):
    """Applies ``apply(connection, work)`` for each submitted ``work`` in group transactions on
    ``store``. The thread ends after a quiet spell and starts again on the next submit."""

    def __init__(self, store: Store, apply: Callable[[Connection, Work], Result], *,
                 gather_s: float = GATHER_S) -> None:
        self.store = store
        self.apply = apply
        self.gather_s = gather_s
        self._last_arrival = float("-inf")
        self._queue: queue.SimpleQueue[_Waiter] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    async def submit(self, work: Work) -> Result:
        """``apply``'s result for ``work`` once its group committed (or its exception)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        arrival = time.monotonic()
        follows_closely = arrival - self._last_arrival < self.gather_s
        self._last_arrival = arrival
        self._queue.put((work, loop, future, arrival if follows_closely else None))
        self._ensure_thread()
        return await future

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="survey-group-commit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while (group := self._next_group()) is not None:
            _deliver(group, commit_group(self.store, self.apply, [waiter[0] for waiter in group]))

    def _next_group(self) -> list[_Waiter] | None:
        try:
            group = [self._queue.get(timeout=IDLE_S)]
        except queue.Empty:
            with self._lock:  # decided under the lock, so a submit arriving now is never lost
                if self._queue.empty():
                    self._thread = None
                    return None
            group = []
        if group and (arrival := group[0][3]) is not None:
            time.sleep(max(0.0, arrival + self.gather_s - time.monotonic()))
        while len(group) < MAX_GROUP and not self._queue.empty():
            group.append(self._queue.get_nowait())
        return group



def commit_group(store: Store, apply: Callable[[Connection, Work], object], works: list[Work]) -> list[Outcome]:
    """Apply every one of ``works`` in order in one transaction on ``store``; each one's outcome is
    ``(result, None)`` or ``(None, exception)``. One failing rolls the group back, and then each
    is applied in a transaction of its own, so only the failing one fails."""
    try:
        with store.transaction() as connection:
            return [(apply(connection, work), None) for work in works]
    except Exception:
        return [_commit_alone(store, apply, work) for work in works]


def _commit_alone(store: Store, apply: Callable[[Connection, Work], object], work: Work) -> Outcome:
    try:
        with store.transaction() as connection:
            return apply(connection, work), None
    except Exception as exc:
        return None, exc


def _deliver(group: list[_Waiter], outcomes: list[Outcome]) -> None:
    """Answer the group's requests, one hand-off per event loop rather than one per reply."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, object, Exception | None]]] = {}
    for (_, loop, future, _), (result, error) in zip(group, outcomes, strict=True):
        by_loop.setdefault(loop, []).append((future, result, error))
    for loop, answers in by_loop.items():
        with suppress(RuntimeError):  # that loop has closed: nobody waits for these answers any more
            loop.call_soon_threadsafe(_resolve, answers)


def _resolve(answers: list[tuple[asyncio.Future, object, Exception | None]]) -> None:
    for future, result, error in answers:
        if future.done():  # the request was cancelled (the client went away) while it waited
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
