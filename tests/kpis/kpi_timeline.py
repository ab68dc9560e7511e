"""Contact timelines as canonical events, for the conformance tests of the standard KPIs.

Every contact starts at ``start`` seconds after 2026-01-05 09:00 UTC (a Monday) in the
UTC centre ``default``; waits, talk and holds are in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from callkpi.kpi.conformance import KpiTests

Make = Callable[..., dict[str, Any]]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class StandardKpiTests(KpiTests):
    """Runs each timeline on SQLite and PostgreSQL against the installed standard catalogue."""

    @pytest.fixture
    def kpi_ingestor(self, ingestor: Any) -> Any:
        return ingestor

    @pytest.fixture
    def kpi_registry(self, standard_kpis: Any) -> Any:
        return standard_kpis


def answered(
    make: Make,
    cid: str,
    wait: float,
    talk: float,
    *,
    start: float = 0,
    holds: tuple[tuple[float, float], ...] = (),
    acw: float | None = None,
    transfers: int = 0,
    agent: str = "a1",
    ended: bool = True,
    **extensions: Any,
) -> list[dict[str, Any]]:
    """An answered contact; ``holds`` are (seconds after the answer, length) episodes inside the talk;
    ``transfers`` transfer it out of the centre when the talk ends."""
    ext = {"contactid": cid, "queue": "sales", "channel": "voice", **extensions}
    answer = start + wait
    events = [
        make("contact.offered", at(start), **ext),
        make("contact.answered", at(answer), agentid=agent, **ext),
    ]
    for offset, length in holds:
        events += [
            make("contact.hold_started", at(answer + offset), agentid=agent, **ext),
            make("contact.hold_ended", at(answer + offset + length), agentid=agent, **ext),
        ]
    end = answer + talk + sum(length for _, length in holds)
    # a transfer out of the centre as the agent's talk ends: the agent's leg is the whole talk
    events += [
        make("contact.transferred", at(end), {"kind": "blind", "external": True}, agentid=agent, **ext)
        for _ in range(transfers)
    ]
    if ended:
        events.append(
            make("contact.ended", at(end), {"ended_by": "customer"}, agentid=agent, **ext)
        )
    if acw is not None:
        events.append(make("contact.wrapup_completed", at(end + acw), agentid=agent, **ext))
    return events


def abandoned(make: Make, cid: str, wait: float, *, start: float = 0) -> list[dict[str, Any]]:
    ext = {"contactid": cid, "queue": "sales", "channel": "voice"}
    return [
        make("contact.offered", at(start), **ext),
        make("contact.abandoned", at(start + wait), **ext),
    ]


def timed_out(make: Make, cid: str, wait: float, *, start: float = 0) -> list[dict[str, Any]]:
    ext = {"contactid": cid, "queue": "sales", "channel": "voice"}
    return [
        make("contact.offered", at(start), **ext),
        make("contact.ended", at(start + wait), {"ended_by": "system", "timed_out": True}, **ext),
    ]


def unqueued(make: Make, cid: str, kind: str, *, start: float = 0) -> list[dict[str, Any]]:
    """A contact that never reached a queue: ``kind`` is blocked, setup_failed or self_served."""
    return [make(f"contact.{kind}", at(start), contactid=cid, queue="sales", channel="voice")]


def staffed(make: Make, agent: str, start: float, end: float) -> list[dict[str, Any]]:
    """An agent available from ``start`` and logged out at ``end``."""
    return [
        make("agent.state_changed", at(start), {"state": "available"}, agentid=agent),
        make("agent.state_changed", at(end), {"state": "logged_out"}, agentid=agent),
    ]
