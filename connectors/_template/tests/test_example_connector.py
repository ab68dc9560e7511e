"""Tests of the example connector: callkpi's conformance suite plus one hand-worked log.

TODO(vendor): replace calls.log by a real (anonymised) export of your product, and add
tests for its quirks — encodings, daylight-saving days, truncated lines, duplicates —
with every expected number worked out by hand in a comment.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callkpi.connector_conformance import ConnectorTests
from callkpi.plugins import CallkpiPluginManager
from callkpi.store.ingest import Ingestor

SAMPLE = Path(__file__).parent / "calls.log"
CONFIG = {
    "source_timezone": "Europe/Amsterdam",
    "queue_map": {"SALES": "sales", "SUPPORT": "support"},
}


class TestExampleConformance(ConnectorTests):
    connector_id = "example"

    def sample(self, tmp_path: Path) -> tuple[str, dict[str, Any]]:
        target = tmp_path / "calls.log"
        shutil.copy(SAMPLE, target)
        return str(target), CONFIG


def test_sample_log_maps_calls_and_quarantines_bad_lines(
    callkpi_pm: CallkpiPluginManager, callkpi_ingestor: Ingestor
) -> None:
    events = list(callkpi_pm.catalog.connectors.get("example").events(str(SAMPLE), CONFIG))
    # Lines 1-2 are comments and 5 is blank; 3, 4 and 8 map; 6 (outcome), 7 (start) and 9 do
    # not: 02:30 on 29 March 2026 never happened in Amsterdam (clocks jump from 02:00 to 03:00).
    good = {event.origin: event.payload for event in events if event.error is None}
    assert list(good) == ["calls.log:3", "calls.log:4", "calls.log:8"]
    first = good["calls.log:3"]
    # 'José García' is not a valid agent id; name_id makes one. SALES is renamed by queue_map.
    ids = {key: first[key] for key in ("contactid", "agentid", "queue")}
    assert ids == {"contactid": "1001", "agentid": "Jose_Garcia", "queue": "sales"}
    # 09:00:00 in Amsterdam in January (CET, UTC+1) is 08:00:00 UTC.
    assert first["data"] == {
        "outcome": "answered",
        "offered_at": datetime(2026, 1, 5, 8, 0, 0, tzinfo=UTC),
        "answered_at": datetime(2026, 1, 5, 8, 0, 20, tzinfo=UTC),
        "ended_at": datetime(2026, 1, 5, 8, 5, 20, tzinfo=UTC),
        "customer": "+31 20 123 4567",
    }
    # 1002's caller is 'anonymous': no customer. 1005's BILLING is not in queue_map: kept.
    assert "customer" not in good["calls.log:4"]["data"]
    assert good["calls.log:8"]["queue"] == "BILLING"
    assert [(event.origin, event.error) for event in events if event.error] == [
        ("calls.log:6", "line 6: outcome = 'ANSWERD': expected one of ANSWERED, ABANDONED, BUSY"),
        ("calls.log:7", "line 7: start = '2026-01-05 9h03': expected a local time such as "
                        "2026-01-05 09:00:00"),
        ("calls.log:9", "line 9: start = '2026-03-29 02:30:00': 2026-03-29 02:30:00 does not "
                        "exist in Europe/Amsterdam (clocks jump forward then); expected a local "
                        "time outside the daylight-saving gap"),
    ]  # fmt: skip
    # Through the real ingest: the 3 calls stored, the 3 bad lines quarantined.
    summary = callkpi_ingestor.ingest(events)
    assert (summary.accepted, summary.quarantined) == (3, 3)
