"""A contact on its way through the simulated centre, and the record of its first wait."""

from __future__ import annotations

from dataclasses import dataclass

from .agents import Agent
from .config import QueueSpec

WAITING, ANSWERED, GONE = 0, 1, 2


@dataclass(slots=True, eq=False)
class Contact:
    """One contact in the system; ``leg`` counts its waits (a transfer starts a new one)."""

    id: str
    queue: QueueSpec
    customer: str
    offered: float
    waited_from: float
    state: int = WAITING
    leg: int = 0
    wait: float = 0.0
    agent: Agent | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The first wait of one queued contact: how long, and whether an agent answered."""

    queue: str
    wait_s: float
    answered: bool
