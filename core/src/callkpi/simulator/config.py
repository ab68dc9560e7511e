"""What a simulated centre looks like: its queues, its agents and the days simulated.

Every number here is a plain parameter of the model, so a test can strip the centre down
to a textbook queue (one queue, Poisson arrivals, exponential handling, no breaks) and
compare it with Erlang C or A.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

Distribution = Literal["exponential", "lognormal"]


@dataclass(frozen=True)
class QueueSpec:
    """One queue: its share of the arrivals and how its contacts behave.

    Times are means in seconds; ``patience_s`` is the mean of the callers' exponential
    patience (``math.inf``: nobody hangs up); ``max_queue`` the waiting contacts beyond
    which a new one is blocked (``None``: no limit). ``transfer_share`` of the answered
    contacts are blind-transferred to queue ``transfer_to`` when their talk ends;
    ``consult_share`` are handed to another idle agent of the queue after a consultation of
    mean ``consult_s`` with the customer on hold (an attended or consult transfer)."""

    name: str
    channel: Literal["voice", "chat"] = "voice"
    share: float = 1.0
    talk_s: float = 240.0
    handle: Distribution = "lognormal"
    acw_s: float = 30.0
    hold_share: float = 0.0
    hold_s: float = 45.0
    transfer_share: float = 0.0
    transfer_to: str | None = None
    consult_share: float = 0.0
    consult_s: float = 40.0
    patience_s: float = math.inf
    max_queue: int | None = None
    self_service_share: float = 0.0
    unresolved_share: float = 0.0
    sale_share: float = 0.0
    case_share: float = 0.0

    @property
    def mean_handle_s(self) -> float:
        """Expected handle time (talk + hold + after-contact work) of one answered contact."""
        return self.talk_s + self.hold_share * self.hold_s + self.acw_s


@dataclass(frozen=True)
class AftermathSpec:
    """What may follow a contact: repeat calls, surveys, QA, and the customers' retries."""

    repeat_if_unresolved: float = 0.6
    repeat_if_resolved: float = 0.04
    retry_after_abandon: float = 0.3
    survey_share: float = 0.0
    survey_response_share: float = 0.35
    qa_share: float = 0.0


@dataclass(frozen=True)
class SimulationConfig:
    """A whole simulated centre over ``days`` local days starting on ``start``.

    ``contacts_per_day`` is the mean of a Monday-to-Friday day (weekends are quieter);
    ``open_hours`` the local hours arrivals come in. With ``breaks`` off every agent is
    logged in all day without pauses, and with ``flat_profile`` the arrival rate is the
    same in every interval: the textbook queue of Erlang's formulas."""

    start: date
    days: int = 7
    agents: int = 50
    contacts_per_day: float = 3000.0
    seed: int = 1
    timezone: str = "UTC"
    centre: str = "default"
    queues: tuple[QueueSpec, ...] = (QueueSpec("general"),)
    aftermath: AftermathSpec = field(default_factory=AftermathSpec)
    open_hours: tuple[int, int] = (8, 20)
    shift_hours: int = 8
    breaks: bool = True
    flat_profile: bool = False
    forecasts: bool = True
    record_events: bool = True

    def with_(self, **changes: object) -> SimulationConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


DEMO_QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        "support",
        "voice",
        0.5,
        talk_s=260,
        acw_s=35,
        hold_share=0.3,
        transfer_share=0.05,
        transfer_to="sales",
        patience_s=240,
        max_queue=40,
        self_service_share=0.12,
        unresolved_share=0.2,
        case_share=0.1,
    ),
    QueueSpec(
        "sales",
        "voice",
        0.2,
        talk_s=300,
        acw_s=40,
        hold_share=0.2,
        consult_share=0.04,
        patience_s=180,
        max_queue=25,
        unresolved_share=0.1,
        sale_share=0.3,
    ),
    QueueSpec(
        "chat",
        "chat",
        0.3,
        talk_s=420,
        acw_s=20,
        patience_s=480,
        max_queue=60,
        unresolved_share=0.25,
        case_share=0.05,
    ),
)
DEMO_AFTERMATH = AftermathSpec(survey_share=0.5, qa_share=0.03)


def demo_config(start: date, **changes: object) -> SimulationConfig:
    """The mid-size centre of ``callkpi demo``: 50 agents, three queues, voice and chat."""
    base = SimulationConfig(
        start, contacts_per_day=1600, queues=DEMO_QUEUES, aftermath=DEMO_AFTERMATH
    )
    return base.with_(**changes)
