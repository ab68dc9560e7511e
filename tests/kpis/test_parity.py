"""One KPI definition, every engine, identical numbers (DESIGN.md, "Storage and scale").

The example timeline (``docs/examples/events.jsonl``: every v1 event type) plus edge cases
in a second centre — Kathmandu, UTC+05:45, with contacts either side of its local
midnight, an in-progress contact and a recorded summary — is ingested into a SQLite file
and into PostgreSQL. The WHOLE registered catalogue (every KPI × every variant, whatever
plugins are installed when the test runs) is then reported on SQLite, PostgreSQL and
DuckDB over a snapshot of the SQLite store, grouped by several dimension sets, and every
value, sample size and verdict must agree: exactly, or to 1e-9 relative for floats.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from callkpi.kpi import KpiRegistry, run_report
from callkpi.kpi.facts import FACT_TABLES
from callkpi.kpi.report import KpiSelection, Report, ReportRequest
from callkpi.store.centres import add_centre
from callkpi.store.db import Store
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY, abandoned_contact, contact_timeline, raw_events

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "events.jsonl"
PERIOD = (date(2026, 2, 1), date(2026, 3, 31))
GROUPINGS: tuple[tuple[str, ...], ...] = (
    (),
    ("centre",),
    ("agent", "date"),
    ("queue", "interval15"),
    ("team", "week"),
    ("channel", "hour"),
    ("centre", "month", "weekday"),
    ("site", "interval60"),
)
KTM = "kathmandu"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def edge_cases(make: Any) -> list[dict[str, Any]]:
    """Kathmandu contacts: 18:14 and 18:16 UTC are 23:59 and 00:01 local, two local days."""
    centre = {"centre": KTM}
    return [
        *contact_timeline(make, "k1", utc("2026-03-02T18:14:00"), agentid="k-a1", **centre),
        *contact_timeline(
            make,
            "k2",
            utc("2026-03-02T18:16:00"),
            agentid="k-a1",
            resolved=False,
            customer="+442079460999",
            **centre,
        ),
        *abandoned_contact(make, "k3", utc("2026-03-02T18:20:00"), wait_s=4, **centre),
        make(
            "contact.offered", utc("2026-03-02T18:30:00"), contactid="k4", queue="sales", **centre
        ),
        make(
            "contact.recorded",
            utc("2026-03-03T03:00:00"),
            {
                "outcome": "answered",
                "offered_at": "2026-03-03T02:00:00Z",
                "answered_at": "2026-03-03T02:00:40Z",
                "ended_at": "2026-03-03T02:05:40Z",
                "talk_s": 280,
                "hold_s": 20,
                "hold_count": 1,
                "acw_s": 15,
                "transfers": 1,
            },
            contactid="k5",
            queue="support",
            channel="voice",
            agentid="k-a1",
            **centre,
        ),
        make(
            "agent.state_changed",
            utc("2026-03-02T18:00:00"),
            {"state": "available"},
            agentid="k-a1",
            **centre,
        ),
        make(
            "agent.state_changed",
            utc("2026-03-02T18:40:00"),
            {"state": "logged_out"},
            agentid="k-a1",
            **centre,
        ),
    ]


def loaded_store(url: str, pm: Any, make: Any) -> Store:
    store = Store.open(url)
    with store.transaction() as connection:
        add_centre(connection, KTM, "Asia/Kathmandu")
    events = [json.loads(line) for line in EXAMPLES.read_text().splitlines()] + edge_cases(make)
    summary = Ingestor(store, pm, CustomerHasher(TEST_HMAC_KEY)).ingest(raw_events(events))
    assert (summary.quarantined, summary.rejected) == (0, 0), summary
    return store


def catalogue(registry: KpiRegistry, group_by: tuple[str, ...]) -> tuple[KpiSelection, ...]:
    """Every KPI × variant whose fact tables can be grouped by ``group_by``."""
    return tuple(
        KpiSelection(registered.kpi.id, name)
        for registered in registry
        for name, spec in registered.variants.items()
        if all(set(group_by) <= set(FACT_TABLES[fact].dimensions) for fact in spec.facts)
    )


def flattened(report: Report) -> dict[tuple[Any, ...], dict[str, Any]]:
    """(dimension values…, KPI column) → what must agree across engines."""
    return {
        (*row.dimensions.values(), key): {
            "value": value.value,
            "n": value.n,
            "met": value.met,
            "enough_sample": value.enough_sample,
            **{f"details.{k}": v for k, v in (getattr(value, "details", None) or {}).items()},
        }
        for row in report.rows
        for key, value in row.values.items()
    }


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.fixture
def stores(tmp_path, postgres_url, callkpi_pm, make_event):
    opened = {
        "sqlite": loaded_store(f"sqlite:///{tmp_path / 'callkpi.db'}", callkpi_pm, make_event),
        "postgresql": loaded_store(postgres_url, callkpi_pm, make_event),
    }
    yield opened
    for store in opened.values():
        store.dispose()


@pytest.mark.postgres
def test_every_kpi_and_variant_agrees_on_sqlite_postgresql_and_duckdb(
    stores, standard_kpis, tmp_path
):
    compared: set[str] = set()
    for group_by in GROUPINGS:
        selections = catalogue(standard_kpis, group_by)
        request = ReportRequest(selections, *PERIOD, group_by)
        engines = {
            "sqlite": run_report(stores["sqlite"], request, registry=standard_kpis),
            "postgresql": run_report(stores["postgresql"], request, registry=standard_kpis),
            "duckdb": run_report(
                stores["sqlite"],
                ReportRequest(selections, *PERIOD, group_by, engine="duckdb"),
                registry=standard_kpis,
                snapshot_dir=tmp_path / "snapshot",
            ),
        }
        expected = flattened(engines["sqlite"])
        assert expected, f"no rows for group_by={group_by}"
        for engine in ("postgresql", "duckdb"):
            found = flattened(engines[engine])
            assert found.keys() == expected.keys(), (engine, group_by)
            wrong = [
                (key, field, value, found[key].get(field))
                for key, values in expected.items()
                for field, value in values.items()
                if not same(value, found[key].get(field))
            ]
            assert not wrong, f"{engine} differs from sqlite, group_by={group_by}: {wrong[:5]}"
        compared |= {column.key for column in engines["sqlite"].columns}
    # the ungrouped report holds the whole catalogue: every KPI × every variant
    assert len(compared) == sum(len(registered.variants) for registered in standard_kpis)


@pytest.mark.postgres
def test_the_edge_centre_counts_by_hand(stores, standard_kpis, tmp_path):
    request = ReportRequest(("offered", "answered"), *PERIOD, ("centre", "date"), KTM, "duckdb")
    report = run_report(
        stores["sqlite"], request, registry=standard_kpis, snapshot_dir=tmp_path / "snapshot"
    )
    # local 2026-03-02 (UTC+05:45): k1 offered 23:59 → offered 1, answered 1;
    # local 2026-03-03: k2 (00:01), k3 (abandoned), k5 (recorded, 07:45) → offered 3, answered
    # 2 (k2, k5); k4 is still in progress: no outcome yet, not counted as offered
    assert report.row(centre=KTM, date=date(2026, 3, 2))["offered"] == 1
    assert report.row(centre=KTM, date=date(2026, 3, 3))["offered"] == 3
    assert report.row(centre=KTM, date=date(2026, 3, 3))["answered"] == 2
