"""The amazon-connect connector on messy Firehose files: JSON lines, arrays and concatenated
objects, duplicated and updated contact records, a truncated last record, gzip, the day
clocks go back in Amsterdam, non-ASCII user names, a transfer chain, agent events."""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callkpi.connector_conformance import ConnectorTests
from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.kpi.engine import run_report
from callkpi.kpi.report import ReportRequest
from callkpi.store.centres import add_centre
from callkpi.store.quarantine import list_quarantined
from callkpi.store.tables import AgentIntervalFact, ContactFact
from callkpi_connector_amazon_connect.reader import read

FIXTURES = Path(__file__).parent / "fixtures" / "amazon_connect"
CTR = FIXTURES / "ctr_firehose.jsonl"
AGENTS = FIXTURES / "agent_events.jsonl"
AMS = {"centre": "ams"}
C = "c1a1e0d2-000{}-4000-8000-00000000000{}".format


def events_of(path: Path, config: dict[str, Any] | None = None) -> tuple[list[RawEvent], Any]:
    run = ConnectorRun(str(path))
    return list(read(str(path), config or {}, run)), run.notes


@pytest.fixture
def ams(ingestor):
    with ingestor.store.transaction() as connection:
        add_centre(connection, "ams", "Europe/Amsterdam")
    return ingestor


def rows(store, table) -> list[dict[str, Any]]:
    with store.transaction() as connection:
        return [dict(r) for r in connection.execute(select(table.__table__)).mappings()]


class TestAmazonConnectConformance(ConnectorTests):
    connector_id = "amazon-connect"

    def sample(self, tmp_path: Path) -> tuple[str, dict[str, Any]]:
        target = tmp_path / "connect-ctr-1-2025-10-26-00-31-00"
        shutil.copy(CTR, target)
        return str(target), {"centre": "default", "agent_id": "username"}


def test_a_firehose_mix_yields_every_version_as_read_and_quarantines_the_cut_record() -> None:
    events, notes = events_of(CTR)
    good = [e.payload for e in events if e.error is None]
    # 9 records in file order: C1 v1, C2, C1 v2, C3 C4 (concatenated on line 4), C5 C6 (an
    # array), C1 v1 again, C7; C8 is cut off. Nothing is held back to deduplicate. C3 and C4
    # were transferred from C2 (InitialContactId C2): legs of C2's contact.
    assert [e["data"]["leg"] for e in good] == [C(n, n) for n in (1, 2, 1, 3, 4, 5, 6, 1, 7)]
    assert [e["contactid"] for e in good] == [C(n, n) for n in (1, 2, 1, 2, 2, 5, 6, 1, 7)]
    # C1's versions: updated 00:26:10, 00:31:00, and 00:26:10 again → the repeat's id is
    # the first one's, so it is a duplicate at ingest.
    assert [e["id"][-20:] for e in good if e["contactid"] == C(1, 1)] == [
        "20251026T002610.000Z", "20251026T003100.000Z", "20251026T002610.000Z",
    ]  # fmt: skip
    assert not notes
    (cut,) = [e for e in events if e.error is not None]
    assert cut.origin == "ctr_firehose.jsonl:77"
    assert cut.error.startswith("line 77: truncated JSON record at the end of the file")
    first = good[2]
    assert first["id"] == f"aws-connect-{C(1, 1)}-20251026T003100.000Z"  # v2: updated 00:31
    assert first["time"] == datetime(2025, 10, 26, 0, 31, tzinfo=UTC)
    assert (first["agentid"], first["queue"], first["channel"]) == (
        "zoe.ozturk",
        "Support",
        "voice",
    )
    assert first["data"] | {"offered_at": None} == {
        "offered_at": None, "answered_at": datetime(2025, 10, 26, 0, 20, 45, tzinfo=UTC),
        "ended_at": datetime(2025, 10, 26, 0, 25, 45, tzinfo=UTC),
        "wrapup_ended_at": datetime(2025, 10, 26, 0, 26, 15, tzinfo=UTC),
        "outcome": "answered", "direction": "inbound", "wait_s": 15.0, "talk_s": 240.0,
        "hold_s": 60.0, "hold_count": 2, "longest_hold_s": 40.0, "acw_s": 30.0,
        "transfers": 0, "customer": "+31201234567", "leg": C(1, 1),
    }  # fmt: skip


def test_gzip_files_read_the_same(tmp_path: Path) -> None:
    packed = tmp_path / "connect-ctr.gz"
    packed.write_bytes(gzip.compress(CTR.read_bytes()))
    plain = [(e.payload, e.error) for e in events_of(CTR)[0]]
    assert [(e.payload, e.error) for e in events_of(packed)[0]] == plain


def test_the_transfer_chain_and_outcomes() -> None:
    good = [e.payload for e in events_of(CTR)[0] if e.error is None]
    recorded = {e["data"]["leg"]: e for e in good}  # C1 twice in a row: v1 last, irrelevant here
    chain = [recorded[C(n, n)] for n in (2, 3, 4)]
    # C2 → C3 → C4: one contact (InitialContactId C2), a leg per record; the first two were
    # transferred on (NextContactId); the transferred-in records carry no customer.
    assert [c["contactid"] for c in chain] == [C(2, 2)] * 3
    assert [c["data"]["transfers"] for c in chain] == [1, 1, 0]
    assert [c["data"].get("customer") for c in chain] == ["+31 20 555 0101", None, None]
    assert [c["data"]["outcome"] for c in chain] == ["answered", "answered", "abandoned"]
    assert recorded[C(5, 5)]["data"]["outcome"] == "abandoned"  # queued 45 s, hung up
    assert "customer" not in recorded[C(5, 5)]["data"]  # 'anonymous' is nobody
    assert recorded[C(6, 6)]["data"]["outcome"] == "self_served"  # no queue, no agent
    assert recorded[C(7, 7)]["channel"] == "chat"
    assert recorded[C(2, 2)]["agentid"] == "jurgen.muller"  # 'jürgen.müller'


def test_facts_and_kpis_on_the_day_clocks_go_back(ams) -> None:
    summary = ams.ingest(events_of(CTR, AMS)[0])
    # 9 versions read: C1 v1 repeated is a duplicate, the cut C8 is quarantined → 8 stored.
    assert (summary.accepted, summary.duplicates, summary.quarantined) == (8, 1, 1)
    # one fact per contact: C1, C2 (with its transfer legs C3, C4), C5, C6, C7
    assert len(rows(ams.store, ContactFact)) == 5
    facts = {row["contactid"]: row for row in rows(ams.store, ContactFact)}
    # C2's chain: Support, 25 s wait (C2's); answered by jurgen.muller; ends with C4's end
    # 01:26:31; talk 180 + 120 = 300, ACW 20 + 10 = 30 → handle 330; 2 transfers.
    chain = facts[C(2, 2)]
    assert (chain["queue"], chain["wait_s"], chain["agentid"], chain["outcome"]) == (
        "Support", 25.0, "jurgen.muller", "answered",
    )  # fmt: skip
    assert (chain["talk_s"], chain["acw_s"], chain["handle_s"], chain["transfers"]) == (
        300.0, 30.0, 330.0, 2,
    )  # fmt: skip
    assert chain["ended_at"] == datetime(2025, 10, 26, 1, 26, 31, tzinfo=UTC)
    # C1 queued 00:20:30Z = 02:20:30 CEST, C2 01:20:00Z = 02:20:00 CET: both in the local
    # 02:15 interval (135 min after midnight) of 26 October, one hour apart in UTC.
    assert [(facts[C(n, n)]["local_date"], facts[C(n, n)]["local_interval"]) for n in (1, 2)] == [
        (date(2025, 10, 26), 135), (date(2025, 10, 26), 135),
    ]  # fmt: skip
    assert facts[C(1, 1)]["handle_s"] == 330.0  # 240 talk + 60 hold + 30 ACW (the update's)
    report = run_report(
        ams.store,
        ReportRequest(
            ("answered", "abandon_rate", "asa", "aht", "service_level"),
            date(2025, 10, 26),
            date(2025, 10, 26),
            centre="ams",
        ),
    )
    row = report.rows[0]
    # Over legs (one per record, so as before the chain was one contact): offered (queued)
    # C1 C2 C3 C4 C5 C7 = 6 (C6 self-served); answered C1 C2 C3 C7 = 4;
    # abandoned C4 C5 = 2 → 33.3 %. ASA (15 + 25 + 4 + 40) / 4 = 21. AHT (330 + 200 + 130
    # + 600) / 4 = 315. Service level: waits ≤ 20 s among answered: C1 15, C3 4 → 2/6 = 33.3 %.
    assert row["answered"] == 4
    assert row["abandon_rate"] == pytest.approx(100 * 2 / 6)
    assert row["asa"] == pytest.approx(21.0)
    assert row["aht"] == pytest.approx(315.0)
    assert row["service_level"] == pytest.approx(100 * 2 / 6)


def test_the_newest_version_wins_whatever_order_the_files_come_in(ingestor, tmp_path) -> None:
    lines = CTR.read_text(encoding="utf-8").splitlines()
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(lines[0], encoding="utf-8")  # C1 v1: ACW 20 s, updated 00:26:10
    new.write_text(lines[2], encoding="utf-8")  # C1 v2: ACW 30 s, updated 00:31:00
    for first, second in ((new, old), (old, new)):
        for path in (first, second):
            summary = ingestor.ingest(events_of(path)[0])
        assert summary.quarantined == 0
        (fact,) = rows(ingestor.store, ContactFact)
        assert (fact["acw_s"], fact["handle_s"]) == (30.0, 330.0)  # v2's, both orders


def test_the_newest_version_wins_within_a_file_and_reingest_stores_nothing(
    ingestor, tmp_path
) -> None:
    lines = CTR.read_text(encoding="utf-8").splitlines()
    # In one file: C1 v2 (ACW 30 s, updated 00:31:00), then v1 (ACW 20 s, 00:26:10), then v2
    # again — the newest by LastUpdateTimestamp must win, not the last one read.
    source = tmp_path / "connect-ctr.jsonl"
    source.write_text("\n".join((lines[2], lines[0], lines[2])), encoding="utf-8")
    first = ingestor.ingest(events_of(source)[0])
    assert (first.accepted, first.duplicates, first.quarantined) == (2, 1, 0)
    (fact,) = rows(ingestor.store, ContactFact)
    assert (fact["acw_s"], fact["handle_s"]) == (30.0, 330.0)  # 240 talk + 60 hold + 30 ACW
    again = ingestor.ingest(events_of(source)[0])
    assert (again.accepted, again.duplicates) == (0, 3)
    assert (rows(ingestor.store, ContactFact)[0]["acw_s"]) == 30.0


def test_agent_events_become_state_changes_without_repeats(ams) -> None:
    events, notes = events_of(AGENTS, AMS)
    states = [
        (e.payload["time"].strftime("%H:%M:%S"), e.payload["data"]["state"],
         e.payload["data"].get("reason"))
        for e in events if e.error is None
    ]  # fmt: skip
    assert states == [
        ("08:00:00", "available", None), ("08:03:10", "on_contact", None),
        ("08:06:00", "after_contact_work", None), ("08:06:30", "available", None),
        ("08:15:00", "not_ready", "Pause café"), ("08:30:00", "available", None),
        ("08:40:00", "not_ready", "missed"), ("08:45:00", "logged_out", None),
    ]  # fmt: skip
    # Dropped: heartbeats 08:02 and 08:17, ringing 08:03, hold 08:05, profile edit 08:10.
    assert notes["agent events without a state change (dropped)"] == 5
    assert notes["HEART_BEAT events of an agent not yet seen in this input (dropped)"] == 1
    (bad,) = [e for e in events if e.error is not None]
    assert "EventType = 'STATE_CHANGED'" in bad.error
    ams.ingest(events)
    intervals = {
        row["interval_start"].strftime("%H:%M"): row for row in rows(ams.store, AgentIntervalFact)
    }
    # 08:00–08:15: available 190 s + 510 s, on contact 170 s, ACW 30 s; 08:15–08:30 not
    # ready 900 s; 08:30–08:45: available 600 s, not ready (missed) 300 s.
    first = intervals["08:00"]
    assert (first["available_s"], first["on_contact_s"], first["acw_s"]) == (700.0, 170.0, 30.0)
    assert intervals["08:15"]["not_ready_s"] == 900.0
    assert (intervals["08:30"]["available_s"], intervals["08:30"]["not_ready_s"]) == (600.0, 300.0)


def test_records_that_cannot_be_mapped_are_quarantined_with_the_field(ingestor, tmp_path) -> None:
    source = tmp_path / "bad.json"
    source.write_text(
        '{"ContactId": "x-1", "InitiationTimestamp": "2025-10-26T09:00:00Z"}\n'
        '{"ContactId": "x-2", "InitiationTimestamp": "2025-10-26T09:00:00Z",'
        ' "LastUpdateTimestamp": "2025-10-26T09:05:00Z", "Channel": "FAX"}\n'
        "[1, 2]\n",
        encoding="utf-8",
    )
    summary = ingestor.ingest(events_of(source)[0])
    assert summary.quarantined == 4  # line 1, line 2, and both elements of the array
    with ingestor.store.reading() as connection:
        quarantined = list_quarantined(connection, ingestor.quarantine_seal)
    reasons = sorted(row.reasons[0] for row in quarantined)
    assert reasons[0].startswith("line 1: contact record: LastUpdateTimestamp missing")
    assert "line 2: contact record: Channel = 'FAX': expected one of VOICE" in reasons[1]
    assert reasons[2].startswith("line 3: expected an Amazon Connect contact record")
