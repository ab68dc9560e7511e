"""The genesys-cloud connector on the conversations that used to come out wrong, written from the
analytics conversation detail model (``AnalyticsConversationWithoutAttributes`` →
``AnalyticsParticipant`` (purpose) → ``AnalyticsSession`` (direction, outboundCampaignId) →
``AnalyticsConversationSegment`` (segmentType, disconnectType, wrapUpCode)), messy as records
come: segments out of order, participants in any order, an agent on two sessions, metrics the
connector does not read. Served over real HTTP on 127.0.0.1 and ingested for real (SQLite and
PostgreSQL), each case has its events, facts and KPIs worked out by hand.

Cases, all on Monday 3 November 2025 (UTC), ``conversationId`` …01NN:

* 0101 an internal call: Carl (purpose ``user``, a ``dialing`` segment) calls Support; Åsa
  (purpose ``agent``) answers. Carl is the caller, not the agent. No originatingDirection.
* 0102 a call that ends on hold: Bo holds from 10:01:10 and the customer hangs up on hold at
  10:03:10; wrap-up 30 s. ACW is the wrap-up only.
* 0103 an outbound preview (campaign set): Åsa accepts the preview, dials, talks, wraps up.
* 0104, 0105 skipped previews (wrap-up code / disconnect type ININ-OUTBOUND-PREVIEW-SKIPPED).
* 0106 an agent-dialled call without originatingDirection: outbound from the segments.
* 0107 a transfer: Åsa (Support) transfers to the Billing queue; Bo answers there.
* 0108 a transfer back to a queue after the last agent: Åsa → Billing, abandoned there.
* 0109 a bad originatingDirection ("sideways"): quarantined with the field named.
* 0110 Carl calls Åsa's extension: an internal call that reached no queue, no contact.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from kpi_checks import values
from test_genesys_cloud import BO, GenesysServer, config_for, connector_with, contact_facts

from callkpi.checkpoints import sync_source
from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.kpi.engine import run_report
from callkpi.kpi.report import ReportRequest
from callkpi_connector_genesys_cloud.mapping import INTERNAL, SKIPPED_PREVIEW

CASES = Path(__file__).parent / "fixtures" / "genesys" / "cases.json"
Q_OUTBOUND = "5f2b7c1e-7a1d-4c3e-9b8a-0d1e2f3a4b03"
DAY = date(2025, 11, 3)
KPIS = (
    "offered", "answered", "asa", "aht", "avg_talk_time", "avg_hold_time", "avg_acw", "transfer_rate",
    "avg_abandon_time",
)  # fmt: skip


def cid(n: int) -> str:
    return f"6a0c0000-0000-4000-8000-000000000{n}"


@pytest.fixture
def genesys(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("genesys-cloud")


@pytest.fixture
def cases():
    running = GenesysServer(json.loads(CASES.read_text(encoding="utf-8")))
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


def cases_config(server: GenesysServer) -> dict[str, Any]:
    config = config_for(server, start="2025-11-03", end="2025-11-04", page_size=100)
    config["queues"] = config["queues"] | {Q_OUTBOUND: "Outbound"}
    return config


def read_cases(genesys, server: GenesysServer) -> tuple[list[RawEvent], ConnectorRun]:
    run = ConnectorRun(server.url)
    items = connector_with(genesys, []).events(server.url, cases_config(server), run)
    return [item for item in items if isinstance(item, RawEvent)], run


def timeline(events: list[RawEvent], contact: str) -> list[tuple[Any, ...]]:
    """(type without ``contact.``, time of day, agentid, queue, data) of each event of ``contact``."""
    payloads = [raw.payload for raw in events if raw.error is None]
    return [
        (e["type"].removeprefix("contact."), f"{e['time']:%H:%M:%S}", e.get("agentid"), e.get("queue"), e["data"])
        for e in payloads
        if e["contactid"] == contact
    ]


def test_a_user_who_dialled_the_queue_is_the_caller_not_the_agent(genesys, cases) -> None:
    events, _ = read_cases(genesys, cases)
    # Carl dialled 09:00:00, reached Support at 09:00:02; Åsa rang 09:00:25–09:00:32 and took
    # it. The old mapping made Carl the answering agent at 09:00:02 (wait 0) and Åsa a transfer.
    assert timeline(events, cid(101)) == [
        ("offered", "09:00:02", None, "Support", {"direction": "inbound"}),
        ("answered", "09:00:32", "Asa_Oberg", "Support", {"ring_s": 7.0}),
        ("ended", "09:04:32", "Asa_Oberg", "Support", {"ended_by": "customer"}),
        ("wrapup_completed", "09:05:02", "Asa_Oberg", "Support", {"disposition": "Solved"}),
    ]


def test_an_internal_call_that_reached_no_queue_is_no_contact(genesys, cases) -> None:
    events, run = read_cases(genesys, cases)
    # Both are users; Carl dialled and no customer or external party takes part. Before, Åsa
    # and Carl both counted as agents of a direct call (offered 16:00:00, then a transfer).
    assert timeline(events, cid(110)) == []
    assert run.notes[INTERNAL] == 1


def test_a_call_ending_on_hold_ends_with_the_hold(genesys, cases) -> None:
    events, _ = read_cases(genesys, cases)
    # The customer hung up on hold (the hold segment's disconnectType peer) at 10:03:10: that is
    # the end of handling; the wrap-up 10:03:10–10:03:40 is all of the ACW.
    assert timeline(events, cid(102)) == [
        ("offered", "10:00:00", None, "Support", {"direction": "inbound", "customer": "+31201110102"}),
        ("answered", "10:00:10", BO, "Support", {"ring_s": 6.0}),
        ("hold_started", "10:01:10", BO, "Support", {}),
        ("hold_ended", "10:03:10", BO, "Support", {}),
        ("ended", "10:03:10", BO, "Support", {"ended_by": "customer"}),
        ("wrapup_completed", "10:03:40", BO, "Support", {"disposition": "Solved"}),
    ]


def test_previews_are_outbound_and_skipped_previews_are_no_contacts(genesys, cases) -> None:
    events, run = read_cases(genesys, cases)
    # The preview: offered to Åsa in the campaign's queue at 11:00:00, accepted 11:00:03 (rang
    # 2 s); she dialled the customer's number (dnis), talked until 11:03:32, wrapped up 20 s.
    assert timeline(events, cid(103)) == [
        ("offered", "11:00:00", None, "Outbound", {"direction": "outbound", "customer": "+31612345678"}),
        ("answered", "11:00:03", "Asa_Oberg", "Outbound", {"ring_s": 2.0}),
        ("ended", "11:03:32", "Asa_Oberg", "Outbound", {"ended_by": "agent"}),
        ("wrapup_completed", "11:03:52", "Asa_Oberg", "Outbound", {"disposition": "Solved"}),
    ]
    assert timeline(events, cid(104)) == timeline(events, cid(105)) == []
    assert run.notes[SKIPPED_PREVIEW] == 2


def test_direction_without_originating_direction_comes_from_the_segments(genesys, cases) -> None:
    events, _ = read_cases(genesys, cases)
    # Bo (purpose user) dialled an external number: no queue, so offered at conversationStart;
    # connected 12:00:15 after 15 s of dialling and contacting; no wrap-up code.
    assert timeline(events, cid(106)) == [
        ("offered", "12:00:00", None, None, {"direction": "outbound", "customer": "+4930999888"}),
        ("answered", "12:00:15", BO, None, {}),
        ("ended", "12:02:15", BO, None, {"ended_by": "agent"}),
        ("wrapup_completed", "12:02:25", BO, None, {}),
    ]


def test_a_transfer_through_a_queue_is_the_canonical_leg_sequence(genesys, cases) -> None:
    events, _ = read_cases(genesys, cases)
    customer = {"direction": "inbound", "customer": "+31207770107"}
    unmapped_code = {"disposition": "e1d2c3b4-0002-4f00-8a00-00000000aa02"}  # not in [wrapup_codes]
    # Åsa's last interact ends 13:03:40 with disconnectType transfer, when the Billing acd
    # segment begins: transferred, offered in Billing, then Bo's answer at 13:04:10 (rang 8 s).
    assert timeline(events, cid(107)) == [
        ("offered", "13:00:20", None, "Support", customer),
        ("answered", "13:00:40", "Asa_Oberg", "Support", {"ring_s": 5.0}),
        ("hold_started", "13:02:40", "Asa_Oberg", "Support", {}),
        ("hold_ended", "13:03:00", "Asa_Oberg", "Support", {}),
        ("transferred", "13:03:40", "Asa_Oberg", "Support", {"kind": "blind", "to_agent": BO, "to_queue": "Billing"}),
        ("offered", "13:03:40", None, "Billing", customer),
        ("wrapup_completed", "13:04:00", "Asa_Oberg", "Support", unmapped_code),
        ("answered", "13:04:10", BO, "Billing", {"ring_s": 8.0}),
        ("ended", "13:07:10", BO, "Billing", {"ended_by": "customer"}),
        ("wrapup_completed", "13:07:40", BO, "Billing", {"disposition": "Solved"}),
    ]  # fmt: skip
    # Åsa → Billing, where the customer hangs up at 14:02:15 before anyone answers.
    assert timeline(events, cid(108)) == [
        ("offered", "14:00:00", None, "Support", customer | {"customer": "+31207770108"}),
        ("answered", "14:00:15", "Asa_Oberg", "Support", {"ring_s": 5.0}),
        ("transferred", "14:01:15", "Asa_Oberg", "Support", {"kind": "blind", "to_queue": "Billing"}),
        ("offered", "14:01:15", None, "Billing", customer | {"customer": "+31207770108"}),
        ("ended", "14:01:15", "Asa_Oberg", "Support", {"ended_by": "unknown"}),
        ("wrapup_completed", "14:01:25", "Asa_Oberg", "Support", {}),
        ("abandoned", "14:02:15", None, "Billing", {"phase": "queue"}),
    ]  # fmt: skip


def test_a_bad_originating_direction_is_quarantined_with_the_field(genesys, cases) -> None:
    events, _ = read_cases(genesys, cases)
    (bad,) = [raw for raw in events if raw.error is not None]
    assert bad.error == (
        f"conversation {cid(109)}: originatingDirection = 'sideways': expected 'inbound' or 'outbound'"
    )


def test_facts_of_the_cases(genesys, cases, ingestor) -> None:
    result = sync_source(connector_with(genesys, []), cases.url, cases_config(cases), ingestor)
    # 4 + 6 + 4 + 0 + 0 + 4 + 10 + 7 events; 0109 quarantined.
    assert (result.ingest.accepted, result.ingest.quarantined) == (35, 1)
    facts = contact_facts(ingestor.store)
    assert set(facts) == {cid(n) for n in (101, 102, 103, 106, 107, 108)}
    columns = ("agentid", "wait_s", "ring_s", "talk_s", "hold_s", "hold_count", "acw_s", "handle_s", "transfers")
    table = {contact: tuple(fact[c] for c in columns) for contact, fact in facts.items()}
    assert table == {
        # answered 09:00:32 − offered 09:00:02; talk 09:00:32–09:04:32; ACW 09:04:32–09:05:02.
        cid(101): ("Asa_Oberg", 30.0, 7.0, 240.0, 0.0, 0, 30.0, 270.0, 0),
        # talk 10:00:10–10:01:10 = 60, hold 10:01:10–10:03:10 = 120, ACW 30: handle 210 (the old
        # mapping ended at 10:01:10: talk 0, ACW 150, handle 270).
        cid(102): (BO, 10.0, 6.0, 60.0, 120.0, 1, 30.0, 210.0, 0),
        # talk 11:00:03–11:03:32 = 209 (preview and dialling included), ACW 20.
        cid(103): ("Asa_Oberg", 3.0, 2.0, 209.0, 0.0, 0, 20.0, 229.0, 0),
        cid(106): (BO, 15.0, None, 120.0, 0.0, 0, 10.0, 130.0, 0),
        # 13:00:40 … 13:07:10 = 390 connected − 20 hold = 370 talk; Bo's wrap-up 30 s is the ACW.
        cid(107): ("Asa_Oberg", 20.0, 5.0, 370.0, 20.0, 1, 30.0, 420.0, 1),
        # talk 14:00:15–14:01:15 = 60; Åsa's wrap-up 14:01:15–14:01:25 = 10.
        cid(108): ("Asa_Oberg", 15.0, 5.0, 60.0, 0.0, 0, 10.0, 70.0, 1),
    }  # fmt: skip
    assert [facts[cid(n)]["outcome"] for n in (101, 102, 103, 106, 107, 108)] == ["answered"] * 6
    assert (facts[cid(107)]["queue"], facts[cid(107)]["disposition"]) == ("Support", "Solved")


def test_kpis_of_the_cases_by_direction(genesys, cases, ingestor) -> None:
    sync_source(connector_with(genesys, []), cases.url, cases_config(cases), ingestor)
    rows = run_report(ingestor.store, ReportRequest(KPIS, DAY, DAY, group_by=("direction",))).rows
    by_direction = {row.dimensions["direction"]: values(row) for row in rows}
    # Inbound 0101 0102 0107 0108. Queue legs (queue KPIs count them): 0101 30, 0102 10, 0107
    # Support 13:00:20→13:00:40 = 20 and Billing 13:03:40→13:04:10 = 30, 0108 Support 15, all
    # answered; 0108 Billing 14:01:15→14:02:15 abandoned after 60 s (Åsa's end at 14:01:15 ends
    # only her part). Offered 6, answered 5, ASA (30 + 10 + 20 + 30 + 15) / 5 = 21.
    # Agent legs (agent KPIs count them): 0101 talk 240 + ACW 30 = 270; 0102 60 + hold 120 + 30
    # = 210; 0107 Åsa 13:00:40→13:03:40 less hold 20 = talk 160, hold 20, ACW 13:04:00 − 13:03:40
    # = 20 → 200, Bo 13:04:10→13:07:10 = 180 + ACW 30 = 210; 0108 Åsa 60 + ACW 10 = 70.
    #   AHT (270 + 210 + 200 + 210 + 70) / 5 = 192; talk (240 + 60 + 160 + 180 + 60) / 5 = 140;
    #   hold (120 + 20) / 2 put on hold = 70; ACW (30 + 30 + 20 + 30 + 10) / 5 = 24;
    #   transferred: Åsa on 0107 and on 0108 = 2 of 5 = 40 %.
    assert by_direction["inbound"] == {
        "offered": 6, "answered": 5, "asa": 21.0, "aht": 192.0, "avg_talk_time": 140.0,
        "avg_hold_time": 70.0, "avg_acw": 24.0, "transfer_rate": 40.0, "avg_abandon_time": 60.0,
    }  # fmt: skip
    # Outbound 0103 0106 (the skipped previews are in neither): ASA (3 + 15) / 2 = 9;
    # AHT (229 + 130) / 2 = 179.5; talk (209 + 120) / 2 = 164.5; no holds; ACW (20 + 10) / 2 = 15.
    assert by_direction["outbound"] == {
        "offered": 2, "answered": 2, "asa": 9.0, "aht": 179.5, "avg_talk_time": 164.5,
        "avg_hold_time": None, "avg_acw": 15.0, "transfer_rate": 0.0, "avg_abandon_time": None,
    }  # fmt: skip
    (inbound,) = run_report(
        ingestor.store, ReportRequest(KPIS, DAY, DAY, filters={"direction": ("inbound",)})
    ).rows
    assert values(inbound) == by_direction["inbound"]
