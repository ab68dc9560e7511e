"""The declarative column mapping, compiled once against the header row into per-field
extractors, then applied to each row."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from callkpi.connectors import LocalTimes

from . import cells

OUTCOMES = ("answered", "abandoned", "blocked", "setup_failed", "self_served", "timed_out")
CANONICAL = {
    "outcome": {name: name for name in OUTCOMES},
    "direction": {"inbound": "inbound", "outbound": "outbound", "in": "inbound", "out": "outbound"},
    "resolved": {
        "true": True,
        "false": False,
        "yes": True,
        "no": False,
        "y": True,
        "n": False,
        "1": True,
        "0": False,
    },
}
DATETIME_FIELDS = ("offered_at", "answered_at", "ended_at", "wrapup_ended_at")
DURATION_FIELDS = (
    "wait_s",
    "ring_s",
    "talk_s",
    "hold_s",
    "longest_hold_s",
    "acw_s",
    "first_response_s",
)
INTEGER_FIELDS = ("hold_count", "transfers")
PLAIN_FIELDS = ("contact_id", "customer", "language")


class ConfigProblem(ValueError):
    """The mapping does not fit the file (a column missing from the header)."""


class Extractor(NamedTuple):
    """Reads one canonical field from a row: its column (and, for a date plus a time, a
    second column, else -1) and how to parse them. A tuple, as it is unpacked per cell."""

    field: str
    columns: tuple[str, ...]
    first: int
    second: int
    parse: Callable[..., Any]


class Header:
    """The header row, for finding a mapped column's index or suggesting the closest name."""

    def __init__(self, names: Sequence[str]):
        self.names = [name.strip().lstrip("\ufeff") for name in names]
        self.index = {name: i for i, name in enumerate(self.names)}

    def locate(self, field: str, column: str) -> int:
        if column in self.index:
            return self.index[column]
        close = difflib.get_close_matches(column, self.names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigProblem(
            f"/mapping/{field}: column {column!r} is not in the header row "
            f"(columns: {', '.join(repr(n) for n in self.names)}){hint}"
        )


def compile_mapping(config: dict[str, Any], header: Header, local: LocalTimes) -> list[Extractor]:
    """One extractor per mapped field, each with its column indexes resolved."""
    extractors = []
    for field, spec in config["mapping"].items():
        columns, parse = _field_parser(field, spec, config, local)
        indexes = [header.locate(field, column) for column in columns]
        extractors.append(
            Extractor(field, columns, indexes[0], indexes[-1] if len(indexes) > 1 else -1, parse)
        )
    return extractors


def _field_parser(
    field: str, spec: str | dict[str, Any], config: dict[str, Any], local: LocalTimes
) -> tuple[tuple[str, ...], Callable[..., Any]]:
    spec = {"column": spec} if isinstance(spec, str) else spec
    if field in DATETIME_FIELDS:
        return _datetime_parser(spec, config, local)
    column = (spec["column"],)
    if field in DURATION_FIELDS:
        return column, cells.duration_parser(
            spec.get("unit", config.get("duration_unit", "seconds"))
        )
    if field in INTEGER_FIELDS:
        return column, cells.integer
    if field in CANONICAL:
        return column, cells.choice_parser(spec.get("values"), CANONICAL[field])
    if "values" in spec:  # renaming queues or agents: names not in the map pass through
        return column, cells.choice_parser(spec["values"], lenient=True)
    return column, str


def _datetime_parser(
    spec: dict[str, Any], config: dict[str, Any], local: LocalTimes
) -> tuple[tuple[str, ...], Callable[..., Any]]:
    if "column" in spec:
        formats = cells.formats_of(spec.get("format", config.get("datetime_format", "iso")))
        return (spec["column"],), cells.datetime_parser(formats, local)
    parse_date = cells.date_parser(
        cells.formats_of(spec.get("date_format", config.get("date_format", "iso")))
    )
    parse_time = cells.time_parser(
        cells.formats_of(spec.get("time_format", config.get("time_format", ["%H:%M:%S", "%H:%M"])))
    )

    def combine(date_text: str, time_text: str) -> datetime:
        return cells.aware(datetime.combine(parse_date(date_text), parse_time(time_text)), local)

    return (spec["date"], spec["time"]), combine


def extract(extractors: list[Extractor], row: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """The row's mapped values (blank cells left out) and a reason for every bad cell."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    width = len(row)
    for field, columns, first, second, parse in extractors:
        texts = (row[first].strip() if first < width else "",)
        if second >= 0:
            texts += (row[second].strip() if second < width else "",)
        if not all(texts):
            continue
        try:
            values[field] = parse(*texts)
        except cells.BadCell as exc:
            shown = " ".join(texts)
            problems.append(f"{field}: column {' + '.join(map(repr, columns))} = {shown!r}: {exc}")
    return values, problems
