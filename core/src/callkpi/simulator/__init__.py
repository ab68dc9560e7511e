"""A seeded contact-centre simulator that writes canonical callkpi events.

``config`` describes the centre, ``profiles`` when contacts arrive, ``agents`` who works
when, ``planning`` what is published ahead (roster, schedules, forecasts), ``engine`` the
discrete-event loop, ``aftermath`` what follows a contact (repeats, surveys, sales, cases,
QA), ``events`` and ``writers`` the output.
"""

from __future__ import annotations

from .config import AftermathSpec, QueueSpec, SimulationConfig, demo_config
from .contacts import Outcome
from .engine import Simulation
from .writers import ingest_events, write_jsonl

__all__ = [
    "AftermathSpec",
    "Outcome",
    "QueueSpec",
    "Simulation",
    "SimulationConfig",
    "demo_config",
    "ingest_events",
    "write_jsonl",
]
