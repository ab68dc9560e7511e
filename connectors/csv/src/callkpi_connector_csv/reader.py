"""Reading a CSV export: one row per contact → one ``contact.recorded`` event (and a
``survey.response_received`` when a satisfaction column is mapped).

An export with one row per leg repeats the contact id: every row of that id is one
``contact.recorded`` of the same contact, the n-th (n ≥ 2, in file order) with
``data.leg`` = n and id ``csv-<key>-<n>``, so the projector folds them into one contact with
a leg per row (the first row keeps the id and data of a one-row contact).

Each event's ``sequence`` is its row's line in the file, then its index within the row:
the export's own order, for events that share a time."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from callkpi.connectors import LocalTimes, RawEvent, name_id, sequence, zone_named

from . import cells
from .mapping import Extractor, Header, compile_mapping, extract

TIME_FIELDS = ("wrapup_ended_at", "ended_at", "answered_at", "offered_at")
ENVELOPE_FIELDS = {"contact_id", "queue", "agent", "channel"}
UNKNOWN_CALLERS = {"", "anonymous", "unknown", "restricted", "private", "withheld"}


class RowMapper:
    """Turns rows into events according to a validated config and the file's header."""

    def __init__(self, config: dict[str, Any], header: Header, origin_name: str):
        self.config = config
        self.header = header
        self.origin_name = origin_name
        self.centre: str = config.get("centre", "default")
        self.extractors: list[Extractor] = compile_mapping(
            config, header, LocalTimes(zone_named(config["timezone"]))
        )
        self.rows_of: dict[str, int] = {}  # rows read so far per contact id: the leg number
        self.satisfaction = config.get("satisfaction")
        self.survey_index = (
            header.locate("satisfaction", self.satisfaction["column"])
            if self.satisfaction
            else None
        )

    def events(self, row: Sequence[str], line: int) -> Iterator[RawEvent]:
        origin = f"{self.origin_name}:{line}"
        values, problems = extract(self.extractors, row)
        if "offered_at" not in values and not problems:
            problems.append(
                f"offered_at: {self._blank('offered_at')}: expected the time the contact was "
                "offered"
            )
        if problems:
            yield RawEvent(self._raw(row), origin, f"row {line}: " + "; ".join(problems))
            return
        key = self._key(values, row) + self._leg_suffix(values)
        contact = {**self._contact_event(values, key), "sequence": sequence(line, 0)}
        yield RawEvent(contact, origin)
        if self.survey_index is not None:
            survey = self._survey_event(row, contact, key, origin, line)
            if survey is not None:
                yield survey

    def _leg_suffix(self, values: dict[str, Any]) -> str:
        """Counts the row for its contact id: '' for the first, '-<n>' for the n-th, whose data
        gets leg n."""
        if "contact_id" not in values:
            return ""
        rows = self.rows_of[values["contact_id"]] = self.rows_of.get(values["contact_id"], 0) + 1
        if rows > 1:
            values["leg"] = str(rows)
        return f"-{rows}" if rows > 1 else ""

    def _blank(self, field: str) -> str:
        columns = next(e.columns for e in self.extractors if e.field == field)
        return f"column {' + '.join(map(repr, columns))} is blank"

    def _raw(self, row: Sequence[str]) -> dict[str, Any]:
        names = self.header.names
        return {
            "csv_row": {
                names[i] if i < len(names) else f"column {i + 1}": cell
                for i, cell in enumerate(row)
            }
        }

    def _key(self, values: dict[str, Any], row: Sequence[str]) -> str:
        """What identifies the row: its contact id when mapped, else its whole content."""
        basis = values.get("contact_id") or "\x1f".join(cell.strip() for cell in row)
        return hashlib.blake2b(f"{self.centre}\x1f{basis}".encode(), digest_size=12).hexdigest()

    def _contact_event(self, values: dict[str, Any], key: str) -> dict[str, Any]:
        data = {name: value for name, value in values.items() if name not in ENVELOPE_FIELDS}
        customer = data.pop("customer", None)
        if customer and customer.strip().casefold() not in UNKNOWN_CALLERS:
            data["customer"] = customer.strip()
        data.setdefault("outcome", _derived_outcome(values))
        event = {
            "specversion": "1.0",
            "id": f"csv-{key}",
            "source": self.config.get("source_uri", "csv"),
            "type": "contact.recorded",
            "time": values["offered_at"],
            "centre": self.centre,
            "contactid": self._contactid(values, key),
            "channel": values.get("channel", self.config.get("channel", "voice")),
            "data": data,
        }
        if "queue" in values:
            event["queue"] = values["queue"]
        if "agent" in values:
            event["agentid"] = name_id(values["agent"])
        return event

    def _contactid(self, values: dict[str, Any], key: str) -> str:
        return name_id(values["contact_id"]) if "contact_id" in values else f"csv-{key}"

    def _survey_event(
        self, row: Sequence[str], contact: dict[str, Any], key: str, origin: str, line: int
    ) -> RawEvent | None:
        text = row[self.survey_index].strip() if self.survey_index < len(row) else ""
        if not text:
            return None
        try:
            score = cells.score(text)
        except cells.BadCell as exc:
            reason = (
                f"row {line}: satisfaction: column {self.satisfaction['column']!r} = "
                f"{text!r}: {exc}"
            )
            return RawEvent(self._raw(row), origin, reason)
        data = contact["data"]
        answered: datetime = next(data[name] for name in TIME_FIELDS if name in data)
        return RawEvent(
            {
                "specversion": "1.0",
                "id": f"csv-{key}-survey",
                "source": contact["source"],
                "type": "survey.response_received",
                "time": answered,
                "sequence": sequence(line, 1),
                "centre": self.centre,
                "contactid": contact["contactid"],
                "channel": contact["channel"],
                "data": {
                    "surveyid": f"csv-{key}",
                    "instrument": self.satisfaction["instrument"],
                    "scale": self.satisfaction["scale"],
                    "score": score,
                },
            },
            origin,
        )


def _derived_outcome(values: dict[str, Any]) -> str:
    """Without an outcome column: answered when someone answered or talked, else abandoned."""
    return "answered" if "answered_at" in values or values.get("talk_s", 0) > 0 else "abandoned"


def read(source: str, config: dict[str, Any]) -> Iterator[RawEvent]:
    """Yield the events of every non-blank row of the CSV file ``source``."""
    path = Path(source)
    encoding = config.get("encoding", "utf-8-sig")
    with path.open(encoding=encoding, newline="") as handle:
        try:
            yield from _rows(handle, config, path.name)
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{source}: byte {exc.object[exc.start : exc.start + 1]!r} at position "
                f"{exc.start} of a read block "
                f"is not {encoding}; expected a file in the configured /encoding "
                "(Windows exports are often 'cp1252')"
            ) from None


def _rows(handle: Any, config: dict[str, Any], name: str) -> Iterator[RawEvent]:
    for _ in range(config.get("header_row", 1) - 1):
        handle.readline()
    rows = csv.reader(handle, delimiter=config.get("delimiter", ","))
    header = next(rows, None)
    if header is None:
        raise ValueError(
            f"{name}: no header row at line {config.get('header_row', 1)}; expected the "
            "column names there"
        )
    mapper = RowMapper(config, Header(header), name)
    line_offset = config.get("header_row", 1) - 1
    for row in rows:
        if any(cell.strip() for cell in row):
            yield from mapper.events(row, rows.line_num + line_offset)
