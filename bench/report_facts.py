"""Fact rows for ``bench/report.py``: contacts, agent intervals, survey responses and agents,
generated with a fixed seed and inserted straight into a store with bulk Core inserts.

Centre ``default`` (UTC) over eight weeks from Monday 2026-01-05 (three local months), eight
queues, three channels, 200 agents in ten teams on two sites working 8-hour shifts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert

from callkpi.projector.buckets import EMPTY_BUCKETS, local_buckets
from callkpi.projector.legs import summary_legs
from callkpi.store.tables import (
    AgentDimension,
    AgentIntervalFact,
    ContactFact,
    ContactLegFact,
    SurveyResponseFact,
)

FIRST_DAY = date(2026, 1, 5)
DAYS = 56
AGENTS = [f"a{i:03d}" for i in range(200)]
QUEUES = [f"q{i}" for i in range(8)]
CHANNELS = ("voice", "voice", "voice", "chat", "email")
CHUNK = 20_000
PERIOD = (FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1))


UTC_ZONE = ZoneInfo("UTC")


def buckets(at: datetime) -> dict[str, Any]:
    """The projector's own local bucket columns, for the UTC centre these rows belong to."""
    return local_buckets(at, UTC_ZONE)


def contact(rng: random.Random, number: int, contacts: int) -> dict[str, Any]:
    day = FIRST_DAY + timedelta(days=number * DAYS // contacts)
    offered = datetime(day.year, day.month, day.day, 7, tzinfo=UTC) + timedelta(
        seconds=rng.randrange(12 * 3600)
    )
    draw = rng.random()
    outcome = "answered" if draw < 0.88 else "abandoned" if draw < 0.97 else "timed_out"
    wait = round(rng.expovariate(1 / 25), 1)
    row = {
        "centre": "default",
        "contactid": f"c{number}",
        "queue": rng.choice(QUEUES),
        "channel": rng.choice(CHANNELS),
        "direction": "inbound",
        "agentid": None,
        "customer_hmac": f"{rng.randrange(contacts // 3):064x}",
        "language": None,
        "offered_at": offered,
        "answered_at": None,
        "ended_at": None,
        "wrapup_ended_at": None,
        "outcome": outcome,
        "wait_s": wait,
        "ring_s": None,
        "talk_s": None,
        "hold_s": None,
        "hold_count": 0,
        "longest_hold_s": None,
        "acw_s": None,
        "handle_s": None,
        "transfers": 0,
        "first_response_s": None,
        "disposition": None,
        "resolved": None,
        "revenue": 0.0,
        "sales": 0,
        "next_contact_gap_s": None,
        **buckets(offered),
    }
    if outcome == "answered":
        row.update(_handled(rng, offered, wait))
    return row


def _handled(rng: random.Random, offered: datetime, wait: float) -> dict[str, Any]:
    holds = min(int(rng.expovariate(2.5)), 4)
    hold = round(sum(rng.expovariate(1 / 40) for _ in range(holds)), 1)
    talk, acw = round(rng.lognormvariate(5.3, 0.6), 1), round(rng.expovariate(1 / 30), 1)
    answered = offered + timedelta(seconds=wait)
    ended = answered + timedelta(seconds=talk + hold)
    finished = rng.random() > 0.01  # 1 % still in wrap-up: no handle time yet
    return {
        "agentid": rng.choice(AGENTS),
        "answered_at": answered,
        "ended_at": ended,
        "ring_s": round(rng.uniform(1, 8), 1),
        "talk_s": talk,
        "hold_s": hold,
        "hold_count": holds,
        "longest_hold_s": hold if holds else None,
        "acw_s": acw if finished else None,
        "handle_s": talk + hold + acw if finished else None,
        "wrapup_ended_at": ended + timedelta(seconds=acw) if finished else None,
        "transfers": 1 if rng.random() < 0.05 else 0,
        "resolved": rng.random() < 0.8,
        "disposition": rng.choice(("sale", "info", "fixed")),
    }


def legs(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The contact's legs as the projector writes a summarised contact's: its queue leg and,
    answered, its agent leg (a transfer counted on the agent leg), in the contact's buckets."""
    shared = {name: row[name] for name in ("centre", "contactid", "channel", "direction", "language")}
    leg_columns = ContactLegFact.__table__.columns.keys()
    blank = {**dict.fromkeys(leg_columns), "hold_count": 0}
    buckets = {name: row[name] for name in EMPTY_BUCKETS}
    return [
        {**blank, **leg, **shared, **buckets, "seq": seq} for seq, leg in enumerate(summary_legs(row))
    ]


def agent_intervals(rng: random.Random) -> Iterator[dict[str, Any]]:
    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        for number, agentid in enumerate(AGENTS):
            start = datetime(day.year, day.month, day.day, 7 + number % 4, tzinfo=UTC)
            for quarter in range(32):
                yield _interval(rng, agentid, start + timedelta(minutes=15 * quarter))


def _interval(rng: random.Random, agentid: str, start: datetime) -> dict[str, Any]:
    on_contact = round(rng.uniform(300, 700), 1)
    acw = round(rng.uniform(0, 900 - on_contact) / 2, 1)
    available = round(rng.uniform(0, 900 - on_contact - acw), 1)
    return {
        "centre": "default",
        "agentid": agentid,
        "interval_start": start,
        "staffed_s": 900.0,
        "available_s": available,
        "on_contact_s": on_contact,
        "acw_s": acw,
        "not_ready_s": round(900 - on_contact - acw - available, 1),
        "breaks_started": 0,
        "scheduled_s": 900.0,
        "adherent_s": 900.0 if rng.random() < 0.9 else 600.0,
        **buckets(start),
    }


def survey_response(rng: random.Random, row: dict[str, Any]) -> dict[str, Any]:
    nps = rng.random() < 0.5
    responded = row["ended_at"] + timedelta(minutes=rng.randrange(5, 600))
    return {
        "centre": "default",
        "surveyid": f"s-{row['contactid']}",
        "instrument": "nps" if nps else "csat",
        "contactid": row["contactid"],
        "agentid": row["agentid"],
        "queue": row["queue"],
        "channel": "sms",
        "language": "en",
        "scale": "0-10" if nps else "1-5",
        "score": float(rng.randrange(11) if nps else rng.randrange(1, 6)),
        "comment": None,
        "responded_at": responded,
        "followed_up_at": None,
        **buckets(responded),
    }


def insert_facts(connection: Connection, contacts: int, seed: int = 20260105) -> dict[str, int]:
    """Write the bench's facts; returns rows per table."""
    rng = random.Random(seed)
    counts = {"fact_contact": 0, "fact_contact_leg": 0, "fact_survey_response": 0}
    contact_rows, leg_rows, survey_rows = [], [], []
    for number in range(contacts):
        row = contact(rng, number, contacts)
        contact_rows.append(row)
        leg_rows += legs(row)
        if row["ended_at"] is not None and rng.random() < 0.1:
            survey_rows.append(survey_response(rng, row))
        if len(contact_rows) == CHUNK or number == contacts - 1:
            _flush(connection, ContactFact, contact_rows, counts, "fact_contact")
            _flush(connection, ContactLegFact, leg_rows, counts, "fact_contact_leg")
            _flush(connection, SurveyResponseFact, survey_rows, counts, "fact_survey_response")
    intervals: list[dict[str, Any]] = []
    counts["fact_agent_interval"] = 0
    for row in agent_intervals(rng):
        intervals.append(row)
        if len(intervals) == CHUNK:
            _flush(connection, AgentIntervalFact, intervals, counts, "fact_agent_interval")
    _flush(connection, AgentIntervalFact, intervals, counts, "fact_agent_interval")
    agents = [
        {
            "centre": "default",
            "agentid": a,
            "name": a,
            "team": f"team{i % 10}",
            "site": "north" if i % 2 else "south",
            "joined_at": None,
            "left_at": None,
        }
        for i, a in enumerate(AGENTS)
    ]
    _flush(connection, AgentDimension, agents, counts, "dim_agent")
    return counts


def _flush(
    connection: Connection,
    model: Any,
    rows: list[dict[str, Any]],
    counts: dict[str, int],
    name: str,
) -> None:
    if rows:
        connection.execute(insert(model.__table__), rows)
        counts[name] = counts.get(name, 0) + len(rows)
        rows.clear()
