"""An Amazon Connect transfer chain is one contact with a leg per contact record, hand-worked
through the real ingest (SQLite and PostgreSQL).

Connect writes a contact record per leg of a transferred call, linked by InitialContactId
(the chain's first contact), PreviousContactId and NextContactId (Amazon Connect contact
record data model); the connector maps them to one contact (contactid = InitialContactId),
each record a leg with its own queue, agent, wait, talk, hold and ACW."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callkpi.connectors import ConnectorRun
from callkpi.kpi.engine import run_report
from callkpi.kpi.report import KpiSelection, ReportRequest
from callkpi.store.centres import add_centre
from callkpi.store.tables import ContactFact, ContactLegFact
from callkpi_connector_amazon_connect.reader import read

DAY = date(2026, 1, 5)


def record(contact: str, queue: str, enqueued: str, wait: int, agent: str | None, **more: Any) -> dict:
    """A voice contact record of 2026-01-05 (UTC clock times ``HH:MM:SS``); ``more`` adds
    the agent's durations (talk, hold, acw), the chain links and the update time."""
    stamp = "2026-01-05T{}Z".format
    body: dict[str, Any] = {
        "ContactId": contact,
        "Channel": "VOICE",
        "InitiationMethod": more.get("method", "INBOUND"),
        "InitiationTimestamp": stamp(enqueued),
        "LastUpdateTimestamp": stamp(more["updated"]),
        "DisconnectTimestamp": stamp(more["ended"]),
        "Queue": {"Name": queue, "EnqueueTimestamp": stamp(enqueued), "Duration": wait},
        "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": more.get("caller", "+31201112233")},
        "InitialContactId": more.get("initial"),
        "PreviousContactId": more.get("previous"),
        "NextContactId": more.get("next"),
    }
    if agent is not None:
        body["Agent"] = {
            "Username": agent,
            "ConnectedToAgentTimestamp": stamp(more["connected"]),
            "AgentInteractionDuration": more["talk"],
            "CustomerHoldDuration": more.get("hold", 0),
            "NumberOfHolds": 1 if more.get("hold") else 0,
            "AfterContactWorkDuration": more["acw"],
            "AfterContactWorkEndTimestamp": stamp(more["acw_end"]),
        }
    if more.get("next"):
        body["TransferCompletedTimestamp"] = stamp(more["ended"])
    return body


# Queue Sales answered by agent1 after 10 s (09:00:00 → 09:00:10): talk 100 + hold 20 → the
# transfer at 09:02:10, ACW 15 s. Queue Support answered by agent2 after 20 s (09:02:10 →
# 09:02:30): talk 200 → 09:05:50, ACW 30 s.
FIRST = record(
    "x-1", "Sales", "09:00:00", 10, "agent1", connected="09:00:10", talk=100, hold=20, acw=15,
    acw_end="09:02:25", ended="09:02:10", next="x-2", updated="09:03:00",
)  # fmt: skip
SECOND = record(
    "x-2", "Support", "09:02:10", 20, "agent2", connected="09:02:30", talk=200, acw=30,
    acw_end="09:06:20", ended="09:05:50", method="TRANSFER", initial="x-1", previous="x-1",
    updated="09:07:00",
)  # fmt: skip
# Another caller four days later: the chain is watched its whole 72 h FCR window.
LATER = record(
    "y-1", "Sales", "09:00:00", 5, "agent1", connected="09:00:05", talk=60, acw=0,
    acw_end="09:01:05", ended="09:01:05", caller="+31209998877", updated="09:02:00",
)  # fmt: skip
LATER = json.loads(json.dumps(LATER).replace("2026-01-05", "2026-01-09"))


@pytest.fixture
def ams(ingestor):
    with ingestor.store.transaction() as connection:
        add_centre(connection, "ams", "Europe/Amsterdam")
    return ingestor


def ingest(ingestor, tmp_path: Path, records: list[dict]) -> None:
    source = tmp_path / "connect-ctr.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    events = list(read(str(source), {"centre": "ams"}, ConnectorRun(str(source))))
    summary = ingestor.ingest(events)
    assert (summary.accepted, summary.quarantined) == (len(records), 0)


def rows(store, table) -> list[dict[str, Any]]:
    with store.transaction() as connection:
        return [dict(r) for r in connection.execute(select(table.__table__)).mappings()]


def legs_of(store, contactid: str) -> list[tuple]:
    found = sorted((r for r in rows(store, ContactLegFact) if r["contactid"] == contactid), key=lambda r: r["seq"])
    return [(r["leg"], r["queue"], r["agentid"], r["outcome"], r["wait_s"], r["handle_s"]) for r in found]


def test_a_transfer_chain_is_one_contact_with_a_leg_per_record(ams, tmp_path) -> None:
    ingest(ams, tmp_path, [SECOND, LATER, FIRST])  # the transferred-in record first
    facts = {row["contactid"]: row for row in rows(ams.store, ContactFact)}
    assert sorted(facts) == ["x-1", "y-1"]  # x-2 is a leg of x-1, not a contact
    chain = facts["x-1"]
    # first record's queue and wait, first answer's agent; talk 100 + 200 = 300, hold 20,
    # ACW 15 + 30 = 45 → handle 365; one transfer (x-1 → x-2)
    assert (chain["queue"], chain["wait_s"], chain["agentid"], chain["outcome"]) == (
        "Sales", 10.0, "agent1", "answered",
    )  # fmt: skip
    assert (chain["talk_s"], chain["hold_s"], chain["acw_s"], chain["handle_s"], chain["transfers"]) == (
        300.0, 20.0, 45.0, 365.0, 1,
    )  # fmt: skip
    # agent1: 100 + 20 + 15 = 135, transferred; agent2: 200 + 0 + 30 = 230, completed
    assert legs_of(ams.store, "x-1") == [
        ("queue", "Sales", "agent1", "answered", 10.0, None),
        ("agent", "Sales", "agent1", "transferred", None, 135.0),
        ("queue", "Support", "agent2", "answered", 20.0, None),
        ("agent", "Support", "agent2", "completed", None, 230.0),
    ]

    kpis = ("offered", KpiSelection("offered", "first_queue"), "aht", KpiSelection("aht", "per_contact"),
            "transfer_rate", "fcr", "repeat_contact_rate")  # fmt: skip
    day = run_report(ams.store, ReportRequest(kpis, DAY, DAY, centre="ams")).rows[0]
    # one contact, two queue legs; AHT over agent legs (135 + 230) / 2 = 182.5, per contact
    # 365; one of two agent legs transferred = 50 %; the contact is not its own repeat: FCR 100 %
    assert (day["offered"], day["offered:first_queue"]) == (2, 1)
    assert (day["aht"], day["aht:per_contact"]) == (pytest.approx(182.5), pytest.approx(365.0))
    assert day["transfer_rate"] == pytest.approx(50.0)
    assert (day["fcr"], day["repeat_contact_rate"]) == (pytest.approx(100.0), pytest.approx(0.0))

    by_queue = run_report(ams.store, ReportRequest(kpis[:2], DAY, DAY, ("queue",), centre="ams"))
    assert by_queue.row(queue="Sales")["offered"] == 1
    assert by_queue.row(queue="Support")["offered"] == 1
    assert by_queue.row(queue="Sales")["offered:first_queue"] == 1  # the contact's queue
    by_agent = run_report(ams.store, ReportRequest(("aht", "transfer_rate"), DAY, DAY, ("agent",), centre="ams"))
    assert (by_agent.row(agent="agent1")["aht"], by_agent.row(agent="agent1")["transfer_rate"]) == (
        pytest.approx(135.0), pytest.approx(100.0),
    )  # fmt: skip
    assert (by_agent.row(agent="agent2")["aht"], by_agent.row(agent="agent2")["transfer_rate"]) == (
        pytest.approx(230.0), pytest.approx(0.0),
    )  # fmt: skip


# A 3-record chain: x-2 (Support, agent2) transfers again to x-3: Billing, abandoned after
# 40 s in queue (09:05:50 → 09:06:30), no agent.
SECOND_ON = {**SECOND, "NextContactId": "x-3", "TransferCompletedTimestamp": "2026-01-05T09:05:50Z"}
THIRD = record(
    "x-3", "Billing", "09:05:50", 40, None, ended="09:06:30", method="TRANSFER", initial="x-1",
    previous="x-2", updated="09:07:30",
)  # fmt: skip


# An earlier version of x-2's record (updated 09:06:00, before its ACW was complete): the
# newer version of that leg replaces it, whichever arrives first.
SECOND_EARLIER = {
    **SECOND_ON,
    "LastUpdateTimestamp": "2026-01-05T09:06:00Z",
    "Agent": {**SECOND_ON["Agent"], "AfterContactWorkDuration": 5},
}


@pytest.mark.parametrize("order", [(2, 0, 3, 1), (1, 3, 2, 0)], ids=["last-first", "middle-first"])
def test_a_three_record_chain_out_of_order(ams, tmp_path, order) -> None:
    chain = [FIRST, SECOND_ON, THIRD, SECOND_EARLIER]
    ingest(ams, tmp_path, [chain[i] for i in order])
    (fact,) = rows(ams.store, ContactFact)
    # Sales, 10 s, agent1; answered (two legs were); ends with x-3 at 09:06:30; 2 transfers;
    # handle 135 + 230 = 365 (x-3 had no agent; x-2's newer version: ACW 30, not 5)
    assert (fact["contactid"], fact["queue"], fact["wait_s"], fact["outcome"], fact["transfers"]) == (
        "x-1", "Sales", 10.0, "answered", 2,
    )  # fmt: skip
    assert (fact["handle_s"], fact["ended_at"].strftime("%H:%M:%S")) == (365.0, "09:06:30")
    assert legs_of(ams.store, "x-1") == [
        ("queue", "Sales", "agent1", "answered", 10.0, None),
        ("agent", "Sales", "agent1", "transferred", None, 135.0),
        ("queue", "Support", "agent2", "answered", 20.0, None),
        ("agent", "Support", "agent2", "transferred", None, 230.0),
        ("queue", "Billing", None, "abandoned", 40.0, None),
    ]
