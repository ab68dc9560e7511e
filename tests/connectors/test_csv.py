"""The csv connector on messy real-world exports: encodings, delimiters, DST days, bad cells."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from callkpi.connector_config import InvalidConfig, validate_config
from callkpi.connector_conformance import ConnectorTests
from callkpi.connectors import RawEvent
from callkpi.store.quarantine import list_quarantined
from callkpi.store.tables import QuarantinedInput, StoredEvent

FIXTURES = Path(__file__).parent / "fixtures"
UTC = UTC

# A PBX export: Windows-1252, ';', CRLF, one row per call, times in Amsterdam local time.
PBX = {
    "timezone": "Europe/Amsterdam",
    "delimiter": ";",
    "encoding": "cp1252",
    "datetime_format": "%d-%m-%Y %H:%M:%S",
    "mapping": {
        "contact_id": "CallID",
        "queue": "Queue",
        "agent": "Agent",
        "customer": "Caller",
        "offered_at": "Start",
        "answered_at": "Answered",
        "ended_at": "End",
        "wait_s": "Wait",
        "talk_s": "Talk",
        "hold_s": "Hold",
        "outcome": {
            "column": "Status",
            "values": {"Answered": "answered", "Abandoned": "abandoned"},
        },
    },
    "satisfaction": {"column": "CSAT", "instrument": "csat", "scale": "1-5"},
}
# A spreadsheet: UTF-8 with BOM, a title line above the header, separate date and time.
SHEET = {
    "timezone": "Europe/Amsterdam",
    "header_row": 2,
    "date_format": "%d/%m/%Y",
    "mapping": {
        "offered_at": {"date": "Date", "time": "Time"},
        "queue": "Queue",
        "agent": "Agent",
        "wait_s": "Wait",
        "talk_s": "Talk",
        "acw_s": "Wrap",
        "outcome": {"column": "Answered?", "values": {"Y": "answered", "N": "abandoned"}},
        "resolved": {"column": "Resolved", "values": {"Y": True, "N": False}},
    },
}


def read(connector, name: str, config: dict) -> list[RawEvent]:
    return list(connector.events(str(FIXTURES / name), config))


class TestCsvConformance(ConnectorTests):
    connector_id = "csv"

    def sample(self, tmp_path: Path) -> tuple[str, dict]:
        target = tmp_path / "export.csv"
        shutil.copy(FIXTURES / "pbx_export_cp1252.csv", target)
        return str(target), PBX


@pytest.fixture
def csv_connector(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("csv")


def test_pbx_export_rows_map_to_contacts_and_surveys(csv_connector):
    events = read(csv_connector, "pbx_export_cp1252.csv", PBX)
    good = [e.payload for e in events if e.error is None]
    # 6 data rows, 2 of them bad (rows 5, 6) → 4 contacts; CSAT on 1001 and 1003 → 2
    # surveys (1006's 'good' is not a score); the blank ';;;' and empty lines add nothing.
    assert [(e["type"], e["contactid"]) for e in good] == [
        ("contact.recorded", "1001"),
        ("survey.response_received", "1001"),
        ("contact.recorded", "1002"),
        ("contact.recorded", "1003"),
        ("survey.response_received", "1003"),
        ("contact.recorded", "1006"),
    ]
    first = good[0]
    assert first["agentid"] == "Muller_Jurgen"  # 'Müller, Jürgen' in Windows-1252
    assert first["data"]["customer"] == "+31 20 123 4567"
    assert (first["data"]["wait_s"], first["data"]["talk_s"], first["data"]["outcome"]) == (
        30.0,
        270.0,
        "answered",
    )
    assert good[1]["data"] == {
        "surveyid": good[1]["data"]["surveyid"],
        "instrument": "csat",
        "scale": "1-5",
        "score": 4.0,
    }
    assert "customer" not in good[3]["data"]  # 'anonymous' is nobody, not one frequent caller
    assert good[5]["queue"] == "Sales; Premium"  # a quoted cell holding the delimiter


def test_naive_times_on_the_day_clocks_go_back_use_the_configured_zone(csv_connector):
    recorded = {
        e.payload["contactid"]: e.payload["data"]
        for e in read(csv_connector, "pbx_export_cp1252.csv", PBX)
        if e.error is None and e.payload["type"] == "contact.recorded"
    }
    # 26 Oct 2025, Amsterdam: 01:50 is still CEST (+2) → 23:50Z the day before; 02:30
    # happens twice and is taken as the first (CEST) → 00:30Z; 03:10 is CET (+1) → 02:10Z.
    assert recorded["1001"]["offered_at"].astimezone(UTC) == datetime(
        2025, 10, 25, 23, 50, tzinfo=UTC
    )
    assert recorded["1002"]["offered_at"].astimezone(UTC) == datetime(
        2025, 10, 26, 0, 30, tzinfo=UTC
    )
    assert recorded["1003"]["offered_at"].astimezone(UTC) == datetime(
        2025, 10, 26, 2, 10, tzinfo=UTC
    )


def test_bad_rows_carry_row_number_field_value_and_expectation(csv_connector):
    errors = {
        e.origin: e.error for e in read(csv_connector, "pbx_export_cp1252.csv", PBX) if e.error
    }
    assert errors == {
        "pbx_export_cp1252.csv:5": "row 5: talk_s: column 'Talk' = '2:5x': expected seconds (225), "
        "or a clock duration (3:45 or 0:03:45)",
        "pbx_export_cp1252.csv:6": "row 6: outcome: column 'Status' = 'Busy': expected one "
        "of 'Answered', 'Abandoned'",
        "pbx_export_cp1252.csv:7": "row 7: satisfaction: column 'CSAT' = 'good': expected a "
        "number on the survey's scale",
    }


def test_spreadsheet_with_bom_title_line_and_separate_date_and_time(csv_connector):
    events = read(csv_connector, "spreadsheet_bom.csv", SHEET)
    good = [e.payload for e in events if e.error is None]
    # 30 Mar 2025, Amsterdam: 01:55 CET → 00:55Z; 03:05 CEST → 01:05Z; 10:00:30 CEST → 08:00:30Z.
    assert [e["data"]["offered_at"].astimezone(UTC) for e in good] == [
        datetime(2025, 3, 30, 0, 55, tzinfo=UTC),
        datetime(2025, 3, 30, 1, 5, tzinfo=UTC),
        datetime(2025, 3, 30, 8, 0, 30, tzinfo=UTC),
    ]
    # 0:25 → 25 s, 3:45 → 225 s, 0:30 → 30 s; 0:00:40 → 40 s, 0:12:10 → 730 s, 0:01:00 → 60 s.
    assert [
        (e["data"]["wait_s"], e["data"].get("talk_s"), e["data"].get("acw_s")) for e in good
    ] == [(25.0, 225.0, 30.0), (75.0, None, None), (40.0, 730.0, 60.0)]
    assert [(e["data"]["outcome"], e["data"].get("resolved")) for e in good] == [
        ("answered", True),
        ("abandoned", None),
        ("answered", True),
    ]
    assert good[0]["agentid"] == "Zoe_Ozturk"
    (gap,) = [e for e in events if e.error]
    assert gap.origin == "spreadsheet_bom.csv:4"
    assert "'30/03/2025 02:30'" in gap.error and "does not exist in Europe/Amsterdam" in gap.error


def test_rows_without_contact_id_get_ids_from_their_content(csv_connector, tmp_path):
    first = [
        e.payload["id"]
        for e in read(csv_connector, "spreadsheet_bom.csv", SHEET)
        if e.error is None
    ]
    edited = tmp_path / "sheet.csv"
    text = (
        (FIXTURES / "spreadsheet_bom.csv").read_text(encoding="utf-8-sig").replace("1:15", "1:16")
    )
    edited.write_text(text, encoding="utf-8")
    again = [e.payload["id"] for e in csv_connector.events(str(edited), SHEET) if e.error is None]
    # Only the edited row (the second good one) gets a new id.
    assert (
        len(set(first)) == 3
        and again[0] == first[0]
        and again[2] == first[2]
        and again[1] != first[1]
    )


def test_a_mapped_column_missing_from_the_header_fails_before_any_row(csv_connector):
    config = {**SHEET, "mapping": {**SHEET["mapping"], "wait_s": "Waiting"}}
    with pytest.raises(
        ValueError,
        match=r"/mapping/wait_s: column 'Waiting' is not in the header row .*did you mean 'Wait'",
    ):
        read(csv_connector, "spreadsheet_bom.csv", config)


def test_wrong_encoding_says_which_option_to_set(csv_connector):
    with pytest.raises(ValueError, match="expected a file in the configured /encoding"):
        read(csv_connector, "pbx_export_cp1252.csv", {**PBX, "encoding": "utf-8"})


def test_ingest_stores_good_rows_and_quarantines_bad_ones_with_origin(
    store, ingestor, csv_connector
):
    summary = ingestor.ingest(read(csv_connector, "pbx_export_cp1252.csv", PBX))
    # 4 contacts + 2 surveys accepted; rows 5 and 6 and row 7's survey quarantined.
    assert (summary.accepted, summary.quarantined) == (6, 3)
    with store.transaction() as connection:
        rows = list_quarantined(connection, ingestor.quarantine_seal)
        bodies = connection.execute(select(StoredEvent.body)).scalars().all()
        at_rest = connection.execute(select(QuarantinedInput.raw, QuarantinedInput.reasons)).all()
    assert [row.origin for row in rows] == [f"pbx_export_cp1252.csv:{n}" for n in (5, 6, 7)]
    assert json.loads(rows[0].raw)["csv_row"]["Talk"] == "2:5x"
    assert rows[1].reasons == (
        "row 6: outcome: column 'Status' = 'Busy': expected one of 'Answered', 'Abandoned'",
    )
    assert not any("123 4567" in body for body in bodies)  # the caller's number only as an HMAC
    # Quarantine keeps the input whole, numbers included, to fix and replay; sealed at rest
    callers = {json.loads(row.raw)["csv_row"]["Caller"] for row in rows}
    assert "+31 6 1234 5678" in callers
    assert not any(number in cell for number in callers for row in at_rest for cell in row)


def test_config_errors_point_into_the_mapping_and_name_the_closest_form(csv_connector):
    config = {
        "timezone": "Europe/Amsterdam",
        "mapping": {
            "offered_at": {"colum": "Start"},
            "talk_s": {"column": "Talk", "unit": "hours"},
        },
    }
    with pytest.raises(InvalidConfig) as caught:
        validate_config(csv_connector, config)
    assert caught.value.errors == [
        "/mapping/offered_at: {'colum': 'Start'} is not valid under any of the given schemas; "
        "closest: /mapping/offered_at: Additional properties are not allowed "
        "('colum' was unexpected)",
        "/mapping/talk_s: {'column': 'Talk', 'unit': 'hours'} is not valid under any of the given "
        "schemas; closest: /mapping/talk_s/unit: 'hours' is not one of "
        "['seconds', 'milliseconds', 'minutes', 'days']",
    ]
