"""Reading a queue_log file from its checkpoint, once or following it as it grows.

Every event of a line carries the line's place in the file as its ``sequence`` (the byte
offset where the line starts, then the event's index within the line): queue_log times are
whole seconds, and a call connected and completed within one second must fold in the file's
order, not by event id. The offset is the input's own, so a re-read stamps the same value.
Its limit: a rotated file starts again at offset 0, so two events in the same second on
either side of a rotation compare the wrong way round.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from callkpi.checkpoints import file_head, resume_offset
from callkpi.connectors import IDLE, ConnectorRun, Idle, RawEvent, sequenced, zone_named

from .lines import BadLine, DatabaseParser, QueueLogLine, parse_flat
from .mapping import EventMapper

INCOMPLETE = "incomplete last line (no newline yet): left for the next run"
UNREADABLE = "lines that could not be read (quarantined)"


def read(
    source: str, config: dict[str, Any], run: ConnectorRun | None = None
) -> Iterator[RawEvent | Idle]:
    """Yield the events of the queue_log at ``source`` from ``run``'s checkpoint on (the
    whole file without one); with ``run.follow``, keep reading what is appended until
    ``run.stop()`` says so."""
    yield from QueueLogReader(config, run or ConnectorRun(source), Path(source).name).read(
        Path(source)
    )


class QueueLogReader:
    """One run over one queue_log; its checkpoint covers exactly the lines whose events
    were handed out, plus the mapper's state."""

    def __init__(self, config: dict[str, Any], run: ConnectorRun, name: str):
        saved = run.checkpoint or {}
        self.run = run
        self.name = name
        self.mapper = EventMapper(config, run.notes, saved.get("state"))
        self.database = None
        if config.get("layout", "file") == "database":
            self.database = DatabaseParser(zone_named(config["timezone"]), saved.get("columns"))
        self.position: dict[str, Any] | None = saved.get("position")
        self.line: int = saved.get("line", 0)

    def read(self, path: Path) -> Iterator[RawEvent | Idle]:
        while True:
            yield from self._pass(path)
            for event in self.mapper.finish():
                yield RawEvent(event, f"{self.name}:end (reconstructed)")
            self._checkpoint()
            if not self.run.follow or self.run.stop():
                return
            yield IDLE
            time.sleep(self.run.poll_interval_s)

    def _pass(self, path: Path) -> Iterator[RawEvent]:
        self.run.notes.pop(INCOMPLETE, None)
        with path.open("rb") as handle:
            offset = self._start(handle)
            head, head_len = file_head(handle)
            handle.seek(offset)
            for raw in handle:
                if not raw.endswith(b"\n"):
                    self.run.notes[INCOMPLETE] = 1
                    break
                yield from self._line(raw, self.line + 1, offset)
                offset += len(raw)
                self.line += 1
                self.position = {"offset": offset, "head_sha256": head, "head_len": head_len}
                self._checkpoint()

    def _start(self, handle: BinaryIO) -> int:
        offset, why = resume_offset(handle, os.fstat(handle.fileno()).st_size, self.position)
        if why:
            self.run.notes[why] += 1
            self.line = 0
        return offset

    def _checkpoint(self) -> None:
        self.run.checkpoint = {
            "position": self.position,
            "line": self.line,
            "state": self.mapper.state(),
            "columns": self.database.columns if self.database else None,
        }

    def _line(self, raw: bytes, number: int, offset: int) -> Iterator[RawEvent]:
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not text.strip():
            return
        origin = f"{self.name}:{number}"
        try:
            if self.database and number == 1 and self.database.is_header(text):
                self.database.use_header(text)
                return
            events = self.mapper.events(self._parse(text), text)
        except BadLine as exc:
            self.run.notes[UNREADABLE] += 1
            yield RawEvent(text, origin, f"line {number}: {exc}")
            return
        for event in sequenced(events, offset):
            yield RawEvent(event, origin)

    def _parse(self, text: str) -> QueueLogLine:
        return self.database.parse(text) if self.database else parse_flat(text)
