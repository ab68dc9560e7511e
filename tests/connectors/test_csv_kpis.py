"""The csv connector end to end: its messy fixtures ingested through the real Ingestor give
KPIs (answered, abandon rate, ASA, AHT, service level) that match numbers worked by hand,
and ingesting the same file again changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from kpi_checks import counts, values
from test_csv import PBX, SHEET  # the fixtures' configs, one source of truth

from callkpi.kpi.engine import run_report
from callkpi.kpi.report import KpiSelection, ReportRequest, ReportRow
from callkpi.store.centres import add_centre
from callkpi.store.ingest import Ingestor

FIXTURES = Path(__file__).parent / "fixtures"
# Both fixtures hold Amsterdam wall-clock times on a daylight-saving day, so the centre
# must be Amsterdam for every contact to land on the fixture's local day.
AMS = "ams"
KPIS = (
    "answered",
    "abandon_rate",
    "asa",
    "aht",
    "service_level",
    KpiSelection("service_level", parameters={"threshold_s": 30}),
)
SL_30 = "service_level(threshold_s=30)"  # the report's column key for the override


@pytest.fixture
def ams(ingestor: Ingestor) -> Ingestor:
    with ingestor.store.transaction() as connection:
        add_centre(connection, AMS, "Europe/Amsterdam")
    return ingestor


@pytest.fixture
def csv_connector(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("csv")


def ingest(ingestor: Ingestor, connector: Any, name: str, config: dict[str, Any]) -> Any:
    events = list(connector.events(str(FIXTURES / name), {**config, "centre": AMS}))
    return ingestor.ingest(events)


def day_report(ingestor: Ingestor, day: date) -> ReportRow:
    report = run_report(ingestor.store, ReportRequest(KPIS, day, day, centre=AMS))
    (row,) = report.rows
    return row


def test_pbx_export_kpis_match_the_hand_worked_numbers(ams, csv_connector) -> None:
    summary = ingest(ams, csv_connector, "pbx_export_cp1252.csv", PBX)
    assert (summary.accepted, summary.quarantined) == (6, 3)  # rows 5, 6 and 7's CSAT out
    row = day_report(ams, date(2025, 10, 26))
    # Contacts kept (26 Oct 2025 Amsterdam; 1001 at 01:50 CEST is 23:50Z on the 25th but
    # the 26th locally). No ACW column, so handle = talk + hold:
    #   1001 answered  wait 30  talk 270  hold  0 → handle 270
    #   1002 abandoned wait 45
    #   1003 answered  wait 60  talk 480  hold 60 → handle 540
    #   1006 answered  wait  5  talk 600  hold  0 → handle 600  ('answered', lower case)
    # 1004 (Talk '2:5x') and 1005 (Status 'Busy') are quarantined, so never offered.
    # Offered 4, answered 3, abandoned 1 → 25 %. ASA (30 + 60 + 5) / 3 = 31.67 s.
    # AHT (270 + 540 + 600) / 3 = 470 s. SL ≤ 20 s: 1006 only → 1/4 = 25 %;
    # SL ≤ 30 s (inclusive): 1001 and 1006 → 2/4 = 50 %.
    assert row["answered"] == 3
    assert row["abandon_rate"] == pytest.approx(25.0)
    assert row["asa"] == pytest.approx(95 / 3)
    assert row["aht"] == pytest.approx(470.0)
    assert row["service_level"] == pytest.approx(25.0)
    assert row[SL_30] == pytest.approx(50.0)


def test_spreadsheet_kpis_match_the_hand_worked_numbers(ams, csv_connector) -> None:
    summary = ingest(ams, csv_connector, "spreadsheet_bom.csv", SHEET)
    assert (summary.accepted, summary.quarantined) == (3, 1)  # 02:30 does not exist that day
    row = day_report(ams, date(2025, 3, 30))
    # Rows of 30 Mar 2025 (no hold column, so handle = talk + wrap):
    #   01:55    answered  wait 0:25 = 25  talk 3:45 = 225  wrap 0:30 = 30 → handle 255
    #   03:05    abandoned wait 1:15 = 75
    #   10:00:30 answered  wait 40         talk 0:12:10 = 730  wrap 60   → handle 790
    # The 02:30 row falls in the spring-forward gap and is quarantined.
    # Offered 3, answered 2, abandoned 1 → 33.3 %. ASA (25 + 40) / 2 = 32.5 s.
    # AHT (255 + 790) / 2 = 522.5 s. SL ≤ 20 s: none → 0 %; ≤ 30 s: the 01:55 row → 1/3.
    assert row["answered"] == 2
    assert row["abandon_rate"] == pytest.approx(100 / 3)
    assert row["asa"] == pytest.approx(32.5)
    assert row["aht"] == pytest.approx(522.5)
    assert row["service_level"] == pytest.approx(0.0)
    assert row[SL_30] == pytest.approx(100 / 3)


@pytest.mark.parametrize(
    ("name", "config", "day"),
    [
        ("pbx_export_cp1252.csv", PBX, date(2025, 10, 26)),
        ("spreadsheet_bom.csv", SHEET, date(2025, 3, 30)),
    ],
)
def test_reingesting_a_fixture_stores_nothing_and_keeps_the_kpis(
    ams, csv_connector, name: str, config: dict[str, Any], day: date
) -> None:
    first = ingest(ams, csv_connector, name, config)
    stored, before = counts(ams), values(day_report(ams, day))
    again = ingest(ams, csv_connector, name, config)
    # Every good row comes back with the same id (CallID, or a hash of the row's content),
    # so all are duplicates; the bad rows are quarantined again, as they were the first time.
    assert (again.accepted, again.duplicates, again.quarantined) == (
        0,
        first.accepted,
        first.quarantined,
    )
    assert counts(ams) == stored
    assert values(day_report(ams, day)) == before
