"""The cyclic collector pause used by ingest, report evaluation and snapshot export."""

from __future__ import annotations

import gc

import pytest

from callkpi.projector.gc_pause import cyclic_gc_paused


@pytest.fixture
def collector_enabled():
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


def test_pauses_and_resumes(collector_enabled):
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pause_resumes_only_at_the_outer_end(collector_enabled):
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            pass
        # the inner block did not pause it, so it must not have resumed it
        assert not gc.isenabled()
    assert gc.isenabled()


def test_resumes_when_the_block_raises(collector_enabled):
    with pytest.raises(ValueError, match="boom"), cyclic_gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_leaves_a_disabled_collector_disabled(collector_enabled):
    gc.disable()
    with cyclic_gc_paused():
        pass
    assert not gc.isenabled()
    gc.enable()
