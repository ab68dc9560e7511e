"""The asterisk connector end to end: its messy queue_log (file and database export) ingested
through the real Ingestor gives KPIs (answered, abandon rate, ASA, AHT, service level in
the default and Asterisk's own variants) that match numbers worked by hand, and ingesting
the same input again changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from kpi_checks import counts, values

from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.kpi.engine import run_report
from callkpi.kpi.report import KpiSelection, ReportRequest, ReportRow
from callkpi.store.centres import add_centre
from callkpi.store.ingest import Ingestor, IngestSummary

FIXTURES = Path(__file__).parent / "fixtures"
QUEUE_LOG = FIXTURES / "queue_log"
QUEUE_LOG_DB = FIXTURES / "queue_log_db.csv"
FILE_CONFIG = {"agents": {"Agent/4001": "karin"}}  # epoch times: the default (UTC) centre
# The database export holds naive Amsterdam times on the night clocks go back, so its
# contacts belong to an Amsterdam centre to land on their local day.
DB_CONFIG = {"layout": "database", "timezone": "Europe/Amsterdam", "centre": "ams"}
KPIS = (
    "answered",
    "abandon_rate",
    "asa",
    "aht",
    "service_level",
    KpiSelection("service_level", variant="asterisk_sl"),
    KpiSelection("service_level", variant="asterisk_sl2"),
)


@pytest.fixture
def asterisk(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("asterisk")


@pytest.fixture
def ams(ingestor: Ingestor) -> Ingestor:
    with ingestor.store.transaction() as connection:
        add_centre(connection, "ams", "Europe/Amsterdam")
    return ingestor


def ingest(ingestor: Ingestor, asterisk: Any, path: Path, config: dict[str, Any]) -> IngestSummary:
    """Read the whole input afresh (no checkpoint) and ingest what the connector yields."""
    run = ConnectorRun(str(path))
    events = [e for e in asterisk.events(str(path), config, run) if isinstance(e, RawEvent)]
    return ingestor.ingest(events)


def day_report(ingestor: Ingestor, day: date, centre: str) -> ReportRow:
    (row,) = run_report(ingestor.store, ReportRequest(KPIS, day, day, centre=centre)).rows
    return row


def test_queue_log_kpis_match_the_hand_worked_numbers(ingestor, asterisk) -> None:
    ingest(ingestor, asterisk, QUEUE_LOG, FILE_CONFIG)
    row = day_report(ingestor, date(2026, 1, 5), "default")
    # Calls of 5 Jan 2026 (times as seconds after 09:00Z; no hold events, so handle =
    # talk + wrap-up; nothing follows the transfers, so each ends the call):
    #   .1  answered  wait 25 (cut off: offer rebuilt from CONNECT's holdtime)  talk  60
    #   .2  answered  wait 18 (duplicated CONNECT counts once)                  talk 180
    #   .3  abandoned wait 45 (ABANDON)
    #   .4  answered  wait 10 (lines out of order)                talk 90, transferred
    #   .5  timed_out wait 300 (EXITWITHTIMEOUT)
    #   .6  timed_out wait 10 (EXITEMPTY)
    #   .7  abandoned wait 10 (EXITWITHKEY)
    #   .8–.11 blocked (FULL, JOINEMPTY, JOINUNAVAIL, CLOSED): never offered
    #   .12 answered  wait  5  talk  60 (blind transfer)
    #   .14 answered  wait  2  talk 100 (attended transfer)
    #   .16 answered  wait 10  talk 100, WRAPUPSTART 30 s → handle 130
    #   .18 still waiting at the end of the file: no outcome, not offered yet
    # Offered 6 + 2 + 2 = 10; answered 6; abandoned 2 → 20 %.
    # ASA (25 + 18 + 10 + 5 + 2 + 10) / 6 = 70 / 6 = 11.67 s.
    # AHT (60 + 180 + 90 + 60 + 100 + 130) / 6 = 620 / 6 = 103.33 s.
    # Answered within 20 s: .2 .4 .12 .14 .16 = 5 (.1 waited 25). Default SL 5 / 10 = 50 %;
    # asterisk_sl 5 / 6 answered = 83.3 %; asterisk_sl2 (5 + .7 abandoned in 10 s) /
    # (6 + 2) = 6 / 8 = 75 % (.3's 45 s abandon is over the threshold).
    assert row["answered"] == 6
    assert row["abandon_rate"] == pytest.approx(20.0)
    assert row["asa"] == pytest.approx(70 / 6)
    assert row["aht"] == pytest.approx(620 / 6)
    assert row["service_level"] == pytest.approx(50.0)
    assert row["service_level:asterisk_sl"] == pytest.approx(500 / 6)
    assert row["service_level:asterisk_sl2"] == pytest.approx(75.0)


def test_database_export_kpis_match_the_hand_worked_numbers(ams, asterisk) -> None:
    summary = ingest(ams, asterisk, QUEUE_LOG_DB, DB_CONFIG)
    assert summary.quarantined == 0
    row = day_report(ams, date(2025, 10, 26), "ams")
    # 26 Oct 2025, Amsterdam, clocks back at 03:00 CEST:
    # The PBX's logged durations count, not the times the database wrote:
    #   …800.1 answered  02:50:00.12 CEST, CONNECT holdtime 20 (written 02:50:20.5, which
    #          would say 20.38), COMPLETECALLER calltime 460 (the times would say 459.5)
    #   …700.2 abandoned 02:05 CET (second pass), ABANDON waittime 60
    #   …900.3 answered  03:15:00 CET, holdtime 30, calltime 300
    # Offered 3; answered 2; abandoned 1 → 33.3 %. ASA (20 + 30) / 2 = 25 s.
    # AHT (460 + 300) / 2 = 380 s. Within 20 s (inclusive): …800.1 → default SL 1 / 3 =
    # 33.3 %, asterisk_sl 1 / 2 answered = 50 %, asterisk_sl2 (1 + 0) / (2 + 1) = 33.3 %.
    assert row["answered"] == 2
    assert row["abandon_rate"] == pytest.approx(100 / 3)
    assert row["asa"] == pytest.approx(25.0)
    assert row["aht"] == pytest.approx(380.0)
    assert row["service_level"] == pytest.approx(100 / 3)
    assert row["service_level:asterisk_sl"] == pytest.approx(50.0)
    assert row["service_level:asterisk_sl2"] == pytest.approx(100 / 3)


def test_reingesting_the_queue_log_stores_nothing_and_keeps_the_kpis(ingestor, asterisk) -> None:
    first = ingest(ingestor, asterisk, QUEUE_LOG, FILE_CONFIG)
    stored, before = counts(ingestor), values(day_report(ingestor, date(2026, 1, 5), "default"))
    again = ingest(ingestor, asterisk, QUEUE_LOG, FILE_CONFIG)
    # Event ids come from the lines (and the rebuilt offer of .1 from its callid), so a
    # second read yields the same events: the first run's accepted events plus the
    # duplicated CONNECT line all come back as duplicates; the garbage line is quarantined again.
    assert (again.accepted, again.duplicates, again.quarantined) == (
        0,
        first.accepted + first.duplicates,
        first.quarantined,
    )
    assert counts(ingestor) == stored
    assert values(day_report(ingestor, date(2026, 1, 5), "default")) == before


def test_reingesting_the_database_export_stores_nothing_and_keeps_the_kpis(ams, asterisk) -> None:
    first = ingest(ams, asterisk, QUEUE_LOG_DB, DB_CONFIG)
    stored, before = counts(ams), values(day_report(ams, date(2025, 10, 26), "ams"))
    again = ingest(ams, asterisk, QUEUE_LOG_DB, DB_CONFIG)
    assert (again.accepted, again.duplicates) == (0, first.accepted)
    assert counts(ams) == stored
    assert values(day_report(ams, date(2025, 10, 26), "ams")) == before
