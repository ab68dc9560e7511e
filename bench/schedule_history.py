"""Live ingest against a long schedule history: does a batch cost more as schedules pile up?

    uv run python bench/schedule_history.py                  # 0, 90 and 365 days of history
    uv run python bench/schedule_history.py --days 0 730

For each history length, a fresh SQLite store gets that many days of ``--agents`` agents'
working days — not timed: each day's plan (``schedule.published`` the evening before:
work 09:00–17:00 with a lunch) and the agent's four state changes living it. Then one more
day of state changes is ingested in batches of ``--batch`` events, as a live feed would
send them, and the CPU time a batch is reported. Each batch recomputes the interval rows of the agents it
touches, and with them their plan; with the plan read only near the batch's window
(``schedule_segment``), the cost should not grow with the history.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from callkpi.connectors import RawEvent
from callkpi.plugins import get_plugin_manager
from callkpi.settings import Settings
from callkpi.store.db import Store
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher

KEY = bytes(range(32))
# Two days ago: ingest refuses event times ahead of the clock.
LIVE_DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
STATES = (("09:00", "available"), ("12:00", "not_ready"), ("12:30", "available"), ("17:00", "logged_out"))


def event(kind: str, time: datetime, data: dict, agentid: str, serial: str) -> RawEvent:
    body = {"specversion": "1.0", "id": f"{kind}-{agentid}-{serial}", "source": "bench/schedule_history",
            "type": kind, "time": time.isoformat(), "agentid": agentid, "data": data}
    return RawEvent(json.dumps(body), "bench")


def at(day: datetime, clock: str) -> datetime:
    return day + timedelta(hours=int(clock[:2]), minutes=int(clock[3:]))


def plan(agentid: str, day: datetime) -> RawEvent:
    segments = [{"start": at(day, start).isoformat(), "end": at(day, end).isoformat(), "activity": activity}
                for start, end, activity in (("09:00", "12:00", "work"), ("12:00", "12:30", "lunch"),
                                             ("12:30", "17:00", "work"))]
    return event("schedule.published", day - timedelta(hours=6), {"segments": segments}, agentid, f"{day:%Y%m%d}")


def lived(agents: list[str], day: datetime) -> list[RawEvent]:
    """The agents' state changes on ``day``, in time order (one agent after another at each step)."""
    return [event("agent.state_changed", at(day, clock), {"state": state}, agentid, f"{day:%Y%m%d}{clock}")
            for clock, state in STATES for agentid in agents]


def worked(agents: list[str], day: datetime) -> list[RawEvent]:
    return [*(plan(agentid, day) for agentid in agents), *lived(agents, day)]


def measure(days: int, agents: list[str], batch: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'callkpi.db'}")
        ingestor = Ingestor(store, get_plugin_manager(Settings(_env_file=None)), CustomerHasher(KEY))
        history = [raw for back in range(days, 0, -1) for raw in worked(agents, LIVE_DAY - timedelta(days=back))]
        history += [plan(agentid, LIVE_DAY) for agentid in agents]
        stored = ingestor.ingest(history, batch_size=5000).accepted
        live = lived(agents, LIVE_DAY)
        started = time.process_time()
        for first in range(0, len(live), batch):
            stored += sum(outcome.status == "accepted" for outcome in ingestor.ingest_batch(live[first:first + batch]))
        spent = time.process_time() - started
        if stored != len(history) + len(live):
            raise SystemExit(f"stored {stored} of {len(history) + len(live)} events: see callkpi quarantine list")
        store.dispose()
    return spent / math.ceil(len(live) / batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[0, 90, 365], help="days of schedule history")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100, help="events a live batch")
    args = parser.parse_args()
    agents = [f"agent{number:03d}" for number in range(args.agents)]
    for days in args.days:
        per_batch = measure(days, agents, args.batch)
        print(f"{days:4d} days of schedules, {args.agents} agents: {per_batch * 1000:6.1f} ms CPU a live batch "
              f"of {args.batch} state events")


if __name__ == "__main__":
    main()
