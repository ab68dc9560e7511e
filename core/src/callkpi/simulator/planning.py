"""What is known before the days are lived: the roster, the arrivals, the shifts with their
published schedules, and the forecasts the planners published for each queue."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from .agents import Shift, plan_day
from .events import iso
from .profiles import INTERVAL_S, arrivals, intraday_shares, weekday_factor

if TYPE_CHECKING:
    from .engine import Simulation

PUBLISHED_AHEAD_S = 2 * 86400
FORECAST_NOISE = 0.08
LOGIN_NOISE_S = 90.0


class Planner:
    """Puts every day's arrivals and shifts on the simulation's calendar."""

    def __init__(self, simulation: Simulation):
        self.sim = simulation
        config = simulation.config
        self.shares = intraday_shares(config.open_hours, config.flat_profile)

    def plan(self) -> None:
        """Plan the whole run: roster first, then day by day."""
        sim = self.sim
        first = sim.day_starts[0]
        for agent in sim.agents:
            data = {"name": agent.name, "team": agent.team, "site": "main"}
            sim.emit(first - PUBLISHED_AHEAD_S, "agent.joined", data, agentid=agent.id)
        if not sim.config.breaks:
            for agent in sim.agents:
                sim.start_shift(Shift(agent, first, sim.horizon, ()), first)
        for day in range(sim.config.days):
            self._plan_day(day)

    def _plan_day(self, day: int) -> None:
        sim, config = self.sim, self.sim.config
        start = sim.day_starts[day]
        weekday = (config.start + timedelta(days=day)).weekday()
        per_day = config.contacts_per_day * weekday_factor(weekday, config.flat_profile)
        for t in arrivals(sim.rng, start, per_day, self.shares):
            sim.at(t, sim.arrive, None)
        if config.breaks:
            for shift in plan_day(sim.rng, config, sim.agents, start, weekday):
                self._publish_schedule(shift)
                login = max(start, shift.start + sim.rng.gauss(0, LOGIN_NOISE_S))
                sim.start_shift(shift, login)
        if config.forecasts:
            self._publish_forecasts(start, per_day)

    def _publish_schedule(self, shift: Shift) -> None:
        segments = [
            {"start": iso(begin), "end": iso(end), "activity": activity}
            for begin, end, activity in shift.segments()
        ]
        self.sim.emit(
            shift.start - PUBLISHED_AHEAD_S,
            "schedule.published",
            {"segments": segments},
            agentid=shift.agent.id,
        )

    def _publish_forecasts(self, day_start: float, per_day: float) -> None:
        sim = self.sim
        for queue in sim.config.queues:
            expected = per_day * queue.share * (1 - queue.self_service_share)
            intervals = [
                {
                    "start": iso(day_start + i * INTERVAL_S),
                    "offered": round(
                        max(0.0, expected * share * sim.rng.gauss(1, FORECAST_NOISE)), 2
                    ),
                    "aht_s": round(queue.mean_handle_s, 1),
                }
                for i, share in enumerate(self.shares)
                if share > 0
            ]
            sim.emit(
                day_start - PUBLISHED_AHEAD_S,
                "forecast.published",
                {"interval_minutes": 15, "intervals": intervals},
                queue=queue.name,
                channel=queue.channel,
            )
