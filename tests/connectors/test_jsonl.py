"""The jsonl connector on messy real-world files: blank lines, CRLF, a BOM, a cut-off last
line, gzip, stdin — and through the real ingest, where a broken line lands in quarantine."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from callkpi.connector_conformance import ConnectorTests
from callkpi.connectors import RawEvent, sequence
from callkpi.events import V1_TYPES
from callkpi.store.quarantine import list_quarantined
from callkpi.store.tables import AgentIntervalFact
from callkpi_connector_jsonl import read


def line(n: int) -> bytes:
    event = {
        "specversion": "1.0",
        "id": f"e{n}",
        "source": "urn:test",
        "type": "contact.offered",
        "time": "2026-03-02T09:00:00Z",
        "contactid": f"c{n}",
        "data": {},
    }
    return json.dumps(event).encode()


def read_lines(source: str) -> list[tuple[bytes, str | None]]:
    """Each line as the connector passes it on, as read, with its line number as sequence."""
    return [(raw.payload, raw.sequence) for raw in read(source, {})]


def write(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    return str(path)


def test_the_connector_is_registered_through_its_entry_point(callkpi_pm):
    connector = callkpi_pm.catalog.connectors.get("jsonl")
    assert connector.plugin == "jsonl"
    assert connector.read is read
    assert set(connector.emits) == {t.name for t in V1_TYPES}


def test_blank_lines_are_skipped_but_counted_in_the_origin(tmp_path):
    source = write(tmp_path / "events.jsonl", line(1) + b"\n\n   \n" + line(2) + b"\n\n")
    # Lines: 1 event, 2 empty, 3 spaces, 4 event, 5 empty.
    assert list(read(source, {})) == [
        RawEvent(line(1), f"{source}:1", sequence=sequence(1)),
        RawEvent(line(2), f"{source}:4", sequence=sequence(4)),
    ]


def test_crlf_line_ends_and_a_byte_order_mark_are_stripped(tmp_path):
    source = write(
        tmp_path / "windows.jsonl", b"\xef\xbb\xbf" + line(1) + b"\r\n" + line(2) + b"\r\n"
    )
    assert read_lines(source) == [(line(1), sequence(1)), (line(2), sequence(2))]


def test_a_last_line_without_line_end_is_read(tmp_path):
    source = write(tmp_path / "events.jsonl", line(1) + b"\n" + line(2))
    assert read_lines(source) == [(line(1), sequence(1)), (line(2), sequence(2))]


def test_a_truncated_last_line_is_passed_on_for_ingest_to_judge(tmp_path):
    source = write(tmp_path / "crashed.jsonl", line(1) + b"\n" + line(2)[:25])
    assert read_lines(source) == [(line(1), sequence(1)), (line(2)[:25], sequence(2))]


def test_gzip_is_read_transparently_whatever_the_name(tmp_path):
    content = line(1) + b"\r\n\n" + line(2) + b"\n"
    for name in ("events.jsonl.gz", "renamed.jsonl"):
        source = write(tmp_path / name, gzip.compress(content))
        assert [(raw.payload, raw.origin) for raw in read(source, {})] == [
            (line(1), f"{source}:1"),
            (line(2), f"{source}:3"),
        ]


def test_dash_reads_stdin_as_bytes(tmp_path):
    # A real child process with a real stdin pipe: stdin is a process-level resource.
    script = (
        "import sys; from callkpi_connector_jsonl import read\n"
        "for raw in read('-', {}): sys.stdout.write(f'{raw.origin} {len(raw.payload)}\\n')"
    )
    content = "\ufeff".encode() + line(1) + b"\r\n\n" + '{"name": "Zoë"}'.encode() + b"\n"
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=gzip.compress(content),
        capture_output=True,
        check=True,
    )
    # Line 1: the event without BOM and CRLF; line 3: 16 bytes, as 'ë' is two bytes in UTF-8.
    assert result.stdout.decode().splitlines() == [f"stdin:1 {len(line(1))}", "stdin:3 16"]


def test_the_file_is_streamed_not_loaded(tmp_path):
    source = write(tmp_path / "events.jsonl", line(1) + b"\n" + line(2) + b"\n")
    events = read(source, {})
    assert next(events).payload == line(1)
    # The first event arrived before the file was read to its end: append a line now.
    with open(source, "ab") as handle:
        handle.write(line(3) + b"\n")
    assert [(raw.payload, raw.sequence) for raw in events] == [(line(2), sequence(2)), (line(3), sequence(3))]


def test_messy_file_through_ingest_stores_the_good_and_quarantines_the_cut_line(
    store, ingestor, tmp_path
):
    content = b"\xef\xbb\xbf" + line(1) + b"\r\n\r\n" + line(2) + b"\r\n" + line(3)[:40]
    source = write(tmp_path / "export.jsonl.gz", gzip.compress(content))
    summary = ingestor.ingest(read(source, {}))
    # Lines 1 and 3 are whole events; line 4 was cut off after 40 bytes.
    assert (summary.accepted, summary.quarantined) == (2, 1)
    with store.reading() as connection:
        (row,) = list_quarantined(connection, ingestor.quarantine_seal)
    assert row.origin == f"{source}:4"
    assert "not valid JSON" in row.reasons[0]


def test_a_gzip_file_cut_short_ends_with_an_error_event_for_quarantine(tmp_path):
    whole = gzip.compress(b"\n".join(line(n) for n in range(1, 201)) + b"\n")
    source = write(tmp_path / "crashed.jsonl.gz", whole[: len(whole) - 40])
    events = list(read(source, {}))
    *good, last = events
    assert 0 < len(good) < 200, "the cut should lose the last lines, not all of them"
    # Every event before the cut arrives whole, numbered in order from line 1.
    assert [raw.origin for raw in good] == [f"{source}:{n}" for n in range(1, len(good) + 1)]
    assert all(
        raw.error is None and (raw.payload, raw.sequence) == (line(n), sequence(n))
        for n, raw in enumerate(good, start=1)
    )
    assert last.origin == f"{source}:{len(good) + 1}"
    assert "expected a complete gzip file" in last.error


def back_to_back(path: Path) -> str:
    """a1 is free at 09:00:00 and again at 09:10:00, and the next contact connects within
    that second (line 3 after line 2); free 09:13:00, logged out 09:14:00. No event carries a
    sequence: the connector stamps the line numbers."""
    states = [
        ("j-0", "09:00:00", "available"),
        ("j-b", "09:10:00", "available"),
        ("j-a", "09:10:00", "on_contact"),
        ("j-c", "09:13:00", "available"),
        ("j-d", "09:14:00", "logged_out"),
    ]
    events = [
        {"specversion": "1.0", "id": event_id, "source": "pbx", "type": "agent.state_changed",
         "time": f"2026-03-02T{clock}Z", "agentid": "a1", "data": {"state": name}}
        for event_id, clock, name in states
    ]
    return write(path, b"".join(json.dumps(event).encode() + b"\n" for event in events))


def test_the_line_order_decides_a_tie_in_time(store, ingestor, tmp_path):
    ingestor.ingest(read(back_to_back(tmp_path / "states.jsonl"), {}))
    with store.reading() as connection:
        (row,) = connection.execute(select(AgentIntervalFact.__table__)).mappings().all()
    # 09:00–09:15: on contact 09:10–09:13 = 180 s; available 09:00–09:10 + 09:13–09:14 =
    # 660 s. By id ("j-a" < "j-b") or by meaning alone (on_contact before available) the
    # contact would come first at 09:10 and a1 would be free until 09:13: 0 s on contact.
    assert (row["on_contact_s"], row["available_s"], row["staffed_s"]) == (180.0, 660.0, 840.0)


class TestJsonlConformance(ConnectorTests):
    connector_id = "jsonl"

    def sample(self, tmp_path: Path) -> tuple[str, dict]:
        return back_to_back(tmp_path / "states.jsonl"), {}
