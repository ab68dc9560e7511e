"""The wallboard's tiles: a snapshot's numbers as text, each coloured against its target.

A tile is ``bad`` when its value misses the target — the centre's ``kpi_targets`` (for
``waiting``, a number of contacts, and ``longest_wait``, seconds, the centre sets them; service
level and abandon rate fall back to the KPIs' defaults) — or when an alert rule on its
metric for the whole centre is firing; ``good`` when a target exists and is met; else ``plain``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..store.centres import CentreConfig
from .realtime import QueueNow, Snapshot

# tile id → (label, QueueNow attribute, unit, whether higher is better)
TILES: dict[str, tuple[str, str, str, bool | None]] = {
    "waiting": ("Waiting", "waiting", "n", False),
    "longest_wait": ("Longest wait", "longest_wait_s", "s", False),
    "service_level": ("Service level today", "service_level", "%", True),
    "abandon_rate": ("Abandon rate today", "abandon_rate", "%", False),
    "agents_available": ("Available", "agents_available", "n", None),
    "agents_on_contact": ("On contact", "agents_on_contact", "n", None),
    "agents_acw": ("After-contact work", "agents_acw", "n", None),
    "agents_not_ready": ("Not ready", "agents_not_ready", "n", None),
    "offered": ("Offered today", "offered", "n", None),
    "answered": ("Answered today", "answered", "n", None),
    "abandoned": ("Abandoned today", "abandoned", "n", None),
    "staffed": ("Staffed today", "staffed_s", "h", None),
    "occupancy": ("Occupancy today", "occupancy", "%", None),
}
# tiles whose value includes agents' still-open episodes: they say how much, in their note
_AGENT_TIME_TILES = ("staffed", "occupancy")
QUEUE_COLUMNS = ("waiting", "longest_wait", "service_level", "agents_available", "offered")


@dataclass(frozen=True)
class Tile:
    id: str
    label: str
    text: str
    status: str
    note: str = ""


def board(snapshot: Snapshot, config: CentreConfig, firing: set[str]) -> dict[str, Any]:
    """Everything the wallboard shows, JSON-ready: tiles, queue rows and the snapshot time."""
    return {
        "centre": snapshot.centre,
        "at": snapshot.at.astimezone(config.zone).strftime("%H:%M:%S"),
        "tiles": [asdict(tile(key, snapshot.total, config, firing)) for key in TILES],
        "queues": [
            {"queue": q.queue, "cells": [asdict(tile(key, q, config, set())) for key in QUEUE_COLUMNS]}
            for q in snapshot.queues
        ],
    }


def tile(key: str, numbers: QueueNow, config: CentreConfig, firing: set[str]) -> Tile:
    """One metric of ``numbers`` as a tile, coloured against its target and the firing alerts."""
    label, attribute, unit, higher_is_better = TILES[key]
    value = getattr(numbers, attribute)
    target = _target(key, numbers, config)
    status = "bad" if key in firing else _status(value, target, higher_is_better)
    note = (numbers.agent_note or "") if key in _AGENT_TIME_TILES else ""
    return Tile(key, label, format_value(value, unit), status, note)


def _target(key: str, numbers: QueueNow, config: CentreConfig) -> float | None:
    target = config.settings.kpi_targets.get(key)
    found = target.for_queue(numbers.queue) if target is not None else None
    return found if found is not None else numbers.targets.get(key)


def _status(value: float | None, target: float | None, higher_is_better: bool | None) -> str:
    if value is None or target is None or higher_is_better is None:
        return "plain"
    met = value >= target if higher_is_better else value <= target
    return "good" if met else "bad"


def format_value(value: float | None, unit: str) -> str:
    """``value`` as the wall shows it: ``–`` for no data, ``85 %``, ``2:05`` (m:ss), ``1.3 h``, ``12``."""
    if value is None:
        return "–"
    if unit == "%":
        return f"{value:.0f} %"
    if unit == "h":
        return f"{value / 3600:.1f} h"
    if unit == "s":
        minutes, seconds = divmod(round(value), 60)
        return f"{minutes}:{seconds:02d}"
    return f"{value:.0f}"
