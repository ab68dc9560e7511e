"""Reading the Example PBX call log: one line per call → one ``contact.recorded`` event.

TODO(vendor): describe your format. This one is UTF-8 text, one call per line, fields
separated by ``|``::

    call_id|start|answered|end|queue|agent|outcome|caller
    1001|2026-01-05 09:00:00|2026-01-05 09:00:20|2026-01-05 09:05:20|SALES|Ann|ANSWERED|+3120…

Times are the PBX's local time (``source_timezone``); ``answered``, ``agent`` and
``caller`` may be blank; blank lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from callkpi.connectors import LocalTimes, RawEvent, name_id, sequence, zone_named

FIELDS = ("call_id", "start", "answered", "end", "queue", "agent", "outcome", "caller")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# TODO(vendor): your outcome codes → callkpi's (answered, abandoned, blocked, setup_failed,
# self_served, timed_out).
OUTCOMES = {"ANSWERED": "answered", "ABANDONED": "abandoned", "BUSY": "blocked"}
# Placeholders a PBX logs for a withheld number: no caller, not one very frequent customer.
UNKNOWN_CALLERS = {"", "anonymous", "unknown", "private"}


class Unmappable(ValueError):
    """A line that cannot become an event; the message names the field, value and expectation."""


def read(source: str, config: dict[str, Any]) -> Iterator[RawEvent]:
    """Yield one event per call line of the log ``source``, reading it line by line."""
    mapper = LineMapper(config)  # a bad config fails here, before the first event
    path = Path(source)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            text = line.rstrip("\r\n")
            if not text.strip() or text.startswith("#"):
                continue
            origin = f"{path.name}:{number}"
            try:
                # The line number is the log's own order: it decides among events at the same
                # time (a one-second clock), where the id — a hash — would decide by chance.
                yield RawEvent({**mapper.event(text), "sequence": sequence(number)}, origin)
            except Unmappable as exc:  # the core quarantines the line as read, with why
                yield RawEvent(text, origin, f"line {number}: {exc}")


class LineMapper:
    """Turns call lines into ``contact.recorded`` payloads according to a validated config."""

    def __init__(self, config: dict[str, Any]):
        self.centre: str = config.get("centre", "default")
        self.source_uri: str = config.get("source_uri", "example")
        self.queue_map: dict[str, str] = config.get("queue_map", {})
        self.times = LocalTimes(zone_named(config["source_timezone"], "/source_timezone"))

    def event(self, text: str) -> dict[str, Any]:
        call = split(text)
        if not call["call_id"]:
            raise Unmappable("call_id is blank: expected the PBX's call id")
        data = self.data(call)
        event = {
            "specversion": "1.0",
            "id": self.event_id(call["call_id"]),
            "source": self.source_uri,
            "type": "contact.recorded",
            "time": data["offered_at"],
            "centre": self.centre,
            "contactid": name_id(call["call_id"]),
            "channel": "voice",
            "data": data,
        }
        if call["queue"]:
            event["queue"] = self.queue_map.get(call["queue"], call["queue"])
        if call["agent"]:
            event["agentid"] = name_id(call["agent"])
        return event

    def event_id(self, call_id: str) -> str:
        """Stable: the same call in the same centre always gets the same id, so a re-read
        or an overlapping log stores nothing twice. Hashed to keep any call id short."""
        key = f"{self.centre}\x1f{call_id}".encode()
        return f"example-{hashlib.blake2b(key, digest_size=12).hexdigest()}"

    def data(self, call: dict[str, str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "outcome": outcome_of(call["outcome"]),
            "offered_at": self.time(call, "start"),
        }
        if call["answered"]:
            data["answered_at"] = self.time(call, "answered")
        data["ended_at"] = self.time(call, "end")
        if call["caller"].casefold() not in UNKNOWN_CALLERS:
            data["customer"] = call["caller"]  # in clear: ingest replaces it by an HMAC
        return data

    def time(self, call: dict[str, str], field: str) -> datetime:
        text = call[field]
        try:
            naive = datetime.strptime(text, TIME_FORMAT)
        except ValueError:
            raise Unmappable(
                f"{field} = {text!r}: expected a local time such as 2026-01-05 09:00:00"
            ) from None
        try:
            return self.times.aware(naive)
        except ValueError as exc:  # in a daylight-saving gap: a time that never happened
            raise Unmappable(f"{field} = {text!r}: {exc}") from None


def split(text: str) -> dict[str, str]:
    """The line's fields by name, stripped; the wrong number of fields is unmappable."""
    cells = [cell.strip() for cell in text.split("|")]
    if len(cells) != len(FIELDS):
        raise Unmappable(
            f"line has {len(cells)} fields: expected {len(FIELDS)} ({'|'.join(FIELDS)})"
        )
    return dict(zip(FIELDS, cells, strict=True))


def outcome_of(code: str) -> str:
    """callkpi's outcome for the PBX's outcome code (case ignored)."""
    try:
        return OUTCOMES[code.upper()]
    except KeyError:
        raise Unmappable(f"outcome = {code!r}: expected one of {', '.join(OUTCOMES)}") from None
