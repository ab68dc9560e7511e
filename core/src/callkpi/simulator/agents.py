"""The simulated agents: who serves which queue, and each day's shift with its breaks.

A shift is planned (``schedule.published`` carries the plan) and then lived with a little
human noise: agents log in a minute or two off the plan, and a break or the end of the
shift waits until the contact in hand is finished.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .config import QueueSpec, SimulationConfig
from .profiles import intraday_shares, weekday_factor

BREAKS = (("break", 2.0, 15), ("lunch", 4.0, 30), ("break", 6.25, 15))
"""(activity, hours after the shift starts, minutes) of a full shift's pauses."""
SECOND_SKILL_SHARE = 0.6
START_WEIGHT_HOURS = 3
BREAK_STAGGER_S = (-1800, -900, 0, 900, 1800)


@dataclass(slots=True, eq=False)
class Agent:
    """One agent: the queues it serves, its quality (survey and QA scores follow it) and
    what it is doing now."""

    id: str
    name: str
    team: str
    skills: tuple[str, ...]
    quality: float
    state: str = "logged_out"
    busy: bool = False
    pending: tuple[str, float] | None = None


@dataclass(frozen=True)
class Pause:
    """A planned pause: its activity (break, lunch), start and length in seconds."""

    activity: str
    start: float
    length: float


@dataclass(frozen=True)
class Shift:
    """One agent's planned day: log in at ``start``, out at ``end`` (Unix seconds)."""

    agent: Agent
    start: float
    end: float
    pauses: tuple[Pause, ...]

    def segments(self) -> list[tuple[float, float, str]]:
        """The plan as (start, end, activity) pieces covering the shift."""
        pieces, cursor = [], self.start
        for pause in self.pauses:
            pieces.append((cursor, pause.start, "work"))
            pieces.append((pause.start, pause.start + pause.length, pause.activity))
            cursor = pause.start + pause.length
        pieces.append((cursor, self.end, "work"))
        return pieces


def make_agents(rng: random.Random, config: SimulationConfig) -> list[Agent]:
    """``config.agents`` agents; each serves a primary queue (in proportion to the queues'
    workloads) and, more often than not, a second one."""
    queues = config.queues
    return [_agent(rng, index, queues) for index in range(config.agents)]


def _agent(rng: random.Random, index: int, queues: tuple[QueueSpec, ...]) -> Agent:
    load = [q.share * (1 - q.self_service_share) * q.mean_handle_s for q in queues]
    primary = rng.choices(queues, weights=load)[0].name
    skills = {primary}
    if len(queues) > 1 and rng.random() < SECOND_SKILL_SHARE:
        skills.add(rng.choice([q.name for q in queues if q.name != primary]))
    return Agent(
        id=f"a{index + 1:03d}",
        name=f"Agent {index + 1}",
        team=f"team-{index // 10 + 1}",
        skills=tuple(sorted(skills)),
        quality=min(1.0, max(0.3, rng.gauss(0.8, 0.08))),
    )


def plan_day(
    rng: random.Random,
    config: SimulationConfig,
    agents: list[Agent],
    day_start: float,
    weekday: int,
) -> list[Shift]:
    """The shifts of one local day: on busy weekdays everybody works, at weekends a share
    that follows the weekday's volume; someone opens and someone closes, and the other
    starts are spread so the peak is best covered."""
    if not config.breaks:
        return [Shift(agent, day_start, day_start + 86400, ()) for agent in agents]
    share = weekday_factor(weekday) / max(weekday_factor(d) for d in range(7))
    opening, closing = config.open_hours
    latest_start = max(opening, closing - config.shift_hours)
    starts = range(opening, latest_start + 1)
    shares = intraday_shares(config.open_hours)
    # a shift is wanted most where its first hours meet the most contacts
    weights = [sum(shares[h * 4 : (h + START_WEIGHT_HOURS) * 4]) for h in starts]
    working = [agent for agent in agents if rng.random() < share]
    # the first two open and close the centre, however few work that day
    hours = [opening, latest_start][: len(working)]
    hours += rng.choices(starts, weights, k=len(working) - len(hours))
    return [
        _shift(rng, agent, day_start + 3600 * hour, config.shift_hours)
        for agent, hour in zip(working, hours, strict=True)
    ]


def _shift(rng: random.Random, agent: Agent, start: float, hours: int) -> Shift:
    length = hours * 3600
    # planners stagger pauses so a whole start cohort is never away at once
    stagger = rng.choice(BREAK_STAGGER_S)
    pauses = tuple(
        Pause(activity, start + after * 3600 + stagger, minutes * 60)
        for activity, after, minutes in BREAKS
        if after * 3600 + stagger + minutes * 60 < length
    )
    return Shift(agent, start, start + length, pauses)
