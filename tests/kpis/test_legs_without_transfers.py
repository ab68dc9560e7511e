"""Without transfers, counting legs changes no number: every queue and agent KPI (each variant)
by queue, agent, date and 15-minute interval equals what the contact facts gave before legs.

``legs_without_transfers.json`` holds the numbers of the release before the leg fact
(commit 233c1ad), computed from the same seeded timelines; regenerate it there with

    uv run python tests/kpis/test_legs_without_transfers.py > tests/kpis/legs_without_transfers.json

The timelines (seed 16, 400 contacts over two days, queues sales and support, agents a1–a6)
hold what the contact fold has rules for: waits across interval boundaries, holds (one left
open at the end), wrap-ups with and without an agent, contacts still talking or waiting,
abandons, time-outs, ends without an answer, repeated offers in the same queue, blocked and
self-served contacts, and contact.recorded summaries. No contact.transferred.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from callkpi.kpi import run_report
from callkpi.kpi.report import KpiSelection, ReportRequest

EXPECTED = Path(__file__).with_name("legs_without_transfers.json")
PERIOD = (date(2026, 1, 5), date(2026, 1, 6))
GROUPINGS = (("queue",), ("agent",), ("date",), ("interval15",))
KPIS = (
    "offered", "answered", "answer_rate", "service_level", "asa", "avg_queue_time", "longest_wait",
    "abandon_rate", "abandoned_within", "avg_abandon_time",
    "aht", "avg_talk_time", "avg_call_length", "avg_hold_time", "hold_rate", "longest_hold", "avg_acw",
    "transfer_rate", "contacts_per_hour", "case_volume",
)  # fmt: skip
CONTACT_VIEWS = ("first_queue", "per_contact")
"""Variants added with the legs: the contact view, absent before."""
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def contact(make: Any, rng: random.Random, number: int) -> list[dict[str, Any]]:
    """One contact of a random kind, offered somewhere in 08:00–18:00 of either day."""
    start = rng.randrange(2) * 86400 + rng.uniform(0, 36000)
    ext = {"contactid": f"n{number}", "queue": rng.choice(("sales", "support")), "channel": "voice"}
    agent = rng.choice(("a1", "a2", "a3", "a4", "a5", "a6"))
    kind = rng.choices(
        ("answered", "abandoned", "timed_out", "unanswered_end", "waiting", "blocked", "self_served",
         "recorded"),
        weights=(60, 10, 4, 3, 2, 2, 2, 6),
    )[0]  # fmt: skip
    at = T0 + timedelta(seconds=start)

    def when(seconds: float) -> datetime:
        return at + timedelta(seconds=round(seconds, 3))

    if kind in ("blocked", "self_served"):
        return [make(f"contact.{kind}", when(0), **ext)]
    if kind == "recorded":
        return [recorded(make, rng, ext, agent, start)]
    wait = rng.expovariate(1 / 25)
    events = [make("contact.offered", when(0), {"direction": "inbound"}, **ext)]
    if rng.random() < 0.05:  # the source offered it twice to the same queue
        events.append(make("contact.offered", when(wait / 2), **ext))
    if kind == "abandoned":
        return [*events, make("contact.abandoned", when(wait), **ext)]
    if kind == "timed_out":
        return [*events, make("contact.ended", when(wait), {"ended_by": "system", "timed_out": True}, **ext)]
    if kind == "unanswered_end":
        return [*events, make("contact.ended", when(wait), {"ended_by": "customer"}, **ext)]
    if kind == "waiting":
        return events
    return events + answered(make, rng, ext, agent, when, wait)


def answered(make, rng, ext, agent, when, wait):
    events = [make("contact.answered", when(wait), {"ring_s": round(rng.uniform(1, 6), 1)}, agentid=agent, **ext)]
    talk = rng.lognormvariate(5, 0.5)
    clock = wait
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
        clock += rng.uniform(5, talk / 3)
        length = rng.expovariate(1 / 30)
        events.append(make("contact.hold_started", when(clock), agentid=agent, **ext))
        events.append(make("contact.hold_ended", when(clock + length), **ext))
        clock += length
    end = clock + talk
    if rng.random() < 0.03:  # a hold nobody ended: it lasts until the contact ends
        events.append(make("contact.hold_started", when(end - 10), **ext))
    if rng.random() < 0.04:  # still talking
        return events
    events.append(make("contact.ended", when(end), {"ended_by": "customer"}, agentid=agent, **ext))
    wrapup = rng.random()
    if wrapup < 0.7:
        events.append(make("contact.wrapup_completed", when(end + rng.expovariate(1 / 20)), agentid=agent, **ext))
    elif wrapup < 0.8:  # a wrap-up that names no agent
        events.append(make("contact.wrapup_completed", when(end + rng.expovariate(1 / 20)), **ext))
    return events


def recorded(make, rng, ext, agent, start):
    outcome = rng.choice(("answered", "answered", "abandoned"))
    wait = round(rng.expovariate(1 / 25), 1)
    data: dict[str, Any] = {"outcome": outcome, "offered_at": iso(start), "wait_s": wait}
    if outcome == "answered":
        talk, hold = round(rng.lognormvariate(5, 0.5), 1), rng.choice((0, 0, 15.5))
        data.update(
            answered_at=iso(start + wait),
            ended_at=iso(start + wait + talk + hold),
            talk_s=talk,
            hold_s=hold,
            hold_count=1 if hold else 0,
            acw_s=round(rng.uniform(0, 40), 1),
        )
    else:
        data["ended_at"] = iso(start + wait)
    extensions = {**ext, "agentid": agent} if outcome == "answered" else ext
    return make("contact.recorded", T0 + timedelta(seconds=start + 3600), data, **extensions)


def staffing(make: Any) -> list[dict[str, Any]]:
    """Every agent logged in 07:45–18:15 each day, for contacts_per_hour and case_volume."""
    return [
        make("agent.state_changed", T0 + timedelta(days=day, seconds=second), {"state": state}, agentid=agent)
        for day in (0, 1)
        for agent in ("a1", "a2", "a3", "a4", "a5", "a6")
        for second, state in ((-900, "available"), (36900, "logged_out"))
    ]


def timelines(make: Any) -> list[dict[str, Any]]:
    rng = random.Random(16)
    return [e for number in range(400) for e in contact(make, rng, number)] + staffing(make)


def selections(registry: Any, group_by: tuple[str, ...], names: tuple[str, ...]) -> list[KpiSelection]:
    """Every variant of the KPIs that can be grouped by ``group_by``, as it was before legs."""
    from callkpi.kpi.facts import FACT_TABLES

    chosen = []
    for kpi in KPIS:
        registered = registry.get(kpi)
        for name, spec in registered.variants.items():
            grouped = not set(group_by) & set(registered.kpi.not_by)
            readable = all(set(group_by) <= set(FACT_TABLES[f].dimensions) for f in spec.facts)
            if name not in names and grouped and readable:
                chosen.append(KpiSelection(kpi, name))
    return chosen


def numbers(store: Any, registry: Any, skip: tuple[str, ...] = ()) -> dict[str, list]:
    """``"group_by" → [[dimension values…, column, value, n], …]``, JSON-ready."""
    found: dict[str, list] = {}
    for group_by in GROUPINGS:
        request = ReportRequest(tuple(selections(registry, group_by, skip)), *PERIOD, group_by)
        report = run_report(store, request, registry=registry)
        found[",".join(group_by)] = sorted(
            [*(str(v) for v in row.dimensions.values()), key, value.value, value.n]
            for row in report.rows
            for key, value in row.values.items()
        )
    return found


def test_every_queue_and_agent_number_is_the_contact_facts_number(ingestor, make_event, standard_kpis):
    from callkpi.connectors import RawEvent

    outcomes = ingestor.ingest_batch([RawEvent(e, f"event {i}") for i, e in enumerate(timelines(make_event))])
    assert all(o.status == "accepted" for o in outcomes), [o.reasons for o in outcomes if o.reasons][:3]
    before = json.loads(EXPECTED.read_text())
    # queue KPIs counting unanswered legs are not available by agent any more (Kpi.not_by):
    # their by-agent numbers of before legs are left out, every other number must stay
    for grouping, rows in before.items():
        lacking = {kpi for kpi in KPIS if set(grouping.split(",")) & set(standard_kpis.get(kpi).kpi.not_by)}
        before[grouping] = [row for row in rows if row[-3].split(":")[0].split("(")[0] not in lacking]
    now = numbers(ingestor.store, standard_kpis, CONTACT_VIEWS)
    assert now.keys() == before.keys()
    for grouping, rows in before.items():
        assert len(now[grouping]) == len(rows), grouping
        for old, new in zip(rows, now[grouping], strict=True):
            assert new[:-2] == old[:-2], (grouping, old, new)
            assert new[-2:] == [None if v is None else pytest.approx(v, rel=1e-9, abs=1e-9) for v in old[-2:]], (
                grouping,
                old,
                new,
            )
    # and the numbers are not trivially empty: 400 contacts, most of them answered
    (total,) = [row for row in now["date"] if row[1] == "offered" and row[0] == "2026-01-05"]
    assert total[2] > 100


def main() -> None:
    """Print the expected numbers of this checkout (run it on the release before legs)."""
    import tempfile

    from callkpi.connectors import RawEvent
    from callkpi.plugins import get_plugin_manager
    from callkpi.settings import Settings
    from callkpi.store.db import Store
    from callkpi.store.ingest import Ingestor
    from callkpi.store.privacy import CustomerHasher
    from callkpi.testing import TEST_HMAC_KEY, event_factory

    pm = get_plugin_manager(Settings(_env_file=None))
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{folder}/callkpi.db")
        ingestor = Ingestor(store, pm, CustomerHasher(TEST_HMAC_KEY))
        events = timelines(event_factory())
        ingestor.ingest_batch([RawEvent(e, f"event {i}") for i, e in enumerate(events)])
        json.dump(numbers(store, pm.catalog.kpis, CONTACT_VIEWS), sys.stdout, indent=0)
        store.dispose()


if __name__ == "__main__":
    main()
