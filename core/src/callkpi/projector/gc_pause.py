"""Pausing Python's cyclic garbage collector while a batch of short-lived objects is built.

Ingest batches, report evaluation and snapshot export each keep hundreds of thousands of
young objects (models, dicts, tuples, values) alive until they finish; the collector,
triggered by every 700 allocations, traverses them again and again without finding a
cycle to free. That cost ingest about a third of its CPU, report evaluation and snapshot
export about a sixth (``bench/ingest.py``, ``bench/report.py``). Reference counting still
frees everything at once when the batch ends, and the collector runs again after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block. Only the caller that paused it resumes
    it, so nested or concurrent blocks leave it as they found it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
