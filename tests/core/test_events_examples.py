"""docs/examples/events.jsonl: exactly what its generator writes, every v1 type, and clean
through the real ingest."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from callkpi.events import V1_TYPES
from callkpi_connector_jsonl import read

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
SAMPLE = EXAMPLES / "events.jsonl"
REGENERATE = "uv run python docs/examples/generate_events.py > docs/examples/events.jsonl"


def test_committed_sample_equals_the_generators_output():
    generated = subprocess.run(
        [sys.executable, str(EXAMPLES / "generate_events.py")], capture_output=True, check=True
    ).stdout
    assert generated == SAMPLE.read_bytes(), (
        f"the sample is stale; regenerate it with `{REGENERATE}`"
    )


def test_sample_covers_every_v1_type_over_two_days_and_two_queues():
    events = [json.loads(text) for text in SAMPLE.read_text(encoding="utf-8").splitlines()]
    types = Counter(event["type"] for event in events)
    assert set(types) == {t.name for t in V1_TYPES}
    offered = [e for e in events if e["type"] == "contact.offered"]
    assert {e["time"][:10] for e in offered} == {"2026-03-02", "2026-03-03"}
    assert {e["queue"] for e in offered} == {"sales", "support"}
    assert {e["channel"] for e in offered} == {"voice", "chat"}
    assert len({e["agentid"] for e in events if e["type"] == "agent.joined"}) == 10
    customers = Counter(e["data"]["customer"] for e in offered)
    assert customers.most_common(1)[0][1] > 1, "expected repeat callers"
    assert 200 <= types["contact.offered"] <= 500


def test_sample_ingests_with_nothing_quarantined(store, ingestor):
    lines = sum(1 for text in SAMPLE.read_bytes().splitlines() if text.strip())
    summary = ingestor.ingest(read(str(SAMPLE), {}))
    assert (summary.accepted, summary.duplicates, summary.quarantined, summary.rejected) == (
        lines,
        0,
        0,
        0,
    )
    # A second run of the same file stores nothing new: every event is a duplicate.
    again = ingestor.ingest(read(str(SAMPLE), {}))
    assert (again.accepted, again.duplicates) == (0, lines)
