"""A CSV export with one row per leg (a contact id repeated) gives one contact with a leg per
row, hand-worked through the real ingest (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callkpi.kpi.engine import run_report
from callkpi.kpi.report import KpiSelection, ReportRequest
from callkpi.store.centres import add_centre
from callkpi.store.tables import ContactFact, ContactLegFact

DAY = date(2026, 1, 5)
CONFIG = {
    "centre": "ams",
    "timezone": "Europe/Amsterdam",
    "datetime_format": "%Y-%m-%d %H:%M:%S",
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
        "acw_s": "Wrap",
    },
}
# c-7 was answered in Sales by anna (wait 15 s, talk 180, wrap 20) and transferred to
# Support, answered there by bram (wait 30 s, talk 300, wrap 40); c-8 is another caller's.
EXPORT = """CallID,Queue,Agent,Caller,Start,Answered,End,Wait,Talk,Wrap
c-7,Support,bram,+31201112233,2026-01-05 10:03:15,2026-01-05 10:03:45,2026-01-05 10:08:45,30,300,40
c-8,Sales,anna,+31209998877,2026-01-05 11:00:00,2026-01-05 11:00:10,2026-01-05 11:02:10,10,120,0
c-7,Sales,anna,+31201112233,2026-01-05 10:00:00,2026-01-05 10:00:15,2026-01-05 10:03:15,15,180,20
"""  # the legs out of file order: the row order does not decide the leg order


@pytest.fixture
def csv_connector(callkpi_pm):
    return callkpi_pm.catalog.connectors.get("csv")


def rows(store, table) -> list[dict[str, Any]]:
    with store.transaction() as connection:
        return [dict(r) for r in connection.execute(select(table.__table__)).mappings()]


def test_a_repeated_contact_id_is_one_contact_with_a_leg_per_row(ingestor, csv_connector, tmp_path: Path) -> None:
    with ingestor.store.transaction() as connection:
        add_centre(connection, "ams", "Europe/Amsterdam")
    source = tmp_path / "export.csv"
    source.write_text(EXPORT, encoding="utf-8")
    events = list(csv_connector.events(str(source), CONFIG))
    assert [e.payload["data"].get("leg") for e in events] == [None, None, "2"]  # c-7's 2nd row
    assert ingestor.ingest(events).accepted == 3
    again = ingestor.ingest(list(csv_connector.events(str(source), CONFIG)))
    assert (again.accepted, again.duplicates) == (0, 3)  # the same ids: re-import stores nothing

    facts = {row["contactid"]: row for row in rows(ingestor.store, ContactFact)}
    assert sorted(facts) == ["c-7", "c-8"]
    c7 = facts["c-7"]
    # the first leg's Sales, wait 15 and anna; talk 180 + 300 = 480, ACW 20 + 40 = 60 →
    # handle 540; one transfer (two rows)
    assert (c7["queue"], c7["wait_s"], c7["agentid"], c7["talk_s"], c7["acw_s"], c7["handle_s"], c7["transfers"]) == (
        "Sales", 15.0, "anna", 480.0, 60.0, 540.0, 1,
    )  # fmt: skip
    legs = sorted((r for r in rows(ingestor.store, ContactLegFact) if r["contactid"] == "c-7"), key=lambda r: r["seq"])
    # anna: 180 + 0 hold + 20 = 200, passed on; bram: 300 + 40 = 340
    assert [(r["leg"], r["queue"], r["agentid"], r["outcome"], r["wait_s"], r["handle_s"]) for r in legs] == [
        ("queue", "Sales", "anna", "answered", 15.0, None),
        ("agent", "Sales", "anna", "transferred", None, 200.0),
        ("queue", "Support", "bram", "answered", 30.0, None),
        ("agent", "Support", "bram", "completed", None, 340.0),
    ]

    kpis = ("offered", KpiSelection("offered", "first_queue"), "aht", "transfer_rate")
    day = run_report(ingestor.store, ReportRequest(kpis, DAY, DAY, centre="ams")).rows[0]
    # queue legs Sales, Support, Sales = 3, contacts 2; AHT over agent legs (200 + 340 + 120) / 3
    # = 220; one of three agent legs transferred = 33.3 %
    assert (day["offered"], day["offered:first_queue"]) == (3, 2)
    assert day["aht"] == pytest.approx(220.0)
    assert day["transfer_rate"] == pytest.approx(100 / 3)
