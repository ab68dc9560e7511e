"""Turns on SQLite's writer lock for this process's writers (group commits and event flushes)."""

from __future__ import annotations

import threading
import weakref
from contextlib import AbstractContextManager, nullcontext

from callkpi.store.db import Store

_writer_locks: weakref.WeakKeyDictionary[Store, threading.Lock] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def writer_turn(store: Store) -> AbstractContextManager[object]:
    """On SQLite, this process's writers take turns on a lock before BEGIN IMMEDIATE. SQLite
    lets one writer in at a time anyway, but a writer it turns away sleeps in its busy
    handler (up to 100 ms a try) even after the lock is free — which made p99 latencies of
    seconds under load; a Python lock hands over at once. PostgreSQL needs no turns."""
    if store.dialect != "sqlite":
        return nullcontext()
    with _registry_lock:
        return _writer_locks.setdefault(store, threading.Lock())
