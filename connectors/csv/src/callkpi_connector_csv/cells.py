"""Parsers for one cell: timestamps, durations, value maps. Each raises :class:`BadCell`
saying what it expected, so a row's reason reads ``talk_s: column 'Talk' = '3:7x': expected …``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any, TypeVar

from callkpi.connectors import LocalTimes

T = TypeVar("T")
Parser = Callable[[str], Any]
UNIT_SECONDS = {"seconds": 1.0, "milliseconds": 0.001, "minutes": 60.0, "days": 86400.0}
DURATION_FORMS = "seconds (225), or a clock duration (3:45 or 0:03:45)"


class BadCell(ValueError):
    """A cell that does not hold what its mapping says; the message is the 'expected …' part."""


def formats_of(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def first_of(parsers: list[Callable[[str], T]], expected: str) -> Callable[[str], T]:
    """A parser trying ``parsers`` in order; :class:`BadCell` saying ``expected`` if none fits."""
    if len(parsers) == 1:
        (only,) = parsers

        def parse_one(text: str) -> T:
            try:
                return only(text)
            except ValueError:
                raise BadCell(expected) from None

        return parse_one

    def parse_any(text: str) -> T:
        for parser in parsers:
            try:
                return parser(text)
            except ValueError:
                continue
        raise BadCell(expected)

    return parse_any


def _expected(what: str, formats: list[str]) -> str:
    if formats == ["iso"]:
        return f"expected a {what} in ISO 8601 form (2026-01-05 09:00:00)"
    return f"expected a {what} in the format {' or '.join(repr(f) for f in formats)}"


# strptime is slow (~15 µs); the numeric directives exports use compile to one regex.
_DIRECTIVES = {
    "%Y": r"(?P<Y>\d{4})",
    "%y": r"(?P<y>\d{2})",
    "%m": r"(?P<m>\d{1,2})",
    "%d": r"(?P<d>\d{1,2})",
    "%H": r"(?P<H>\d{1,2})",
    "%M": r"(?P<M>\d{1,2})",
    "%S": r"(?P<S>\d{1,2})",
    "%f": r"(?P<f>\d{1,6})",
}


def compile_format(fmt: str) -> Callable[[str], datetime]:
    """A parser for one strptime format: a fast regex for numeric directives, else strptime."""
    if fmt == "iso":
        return datetime.fromisoformat
    parts = re.split(r"(%.)", fmt)
    directives = [part[1] for part in parts if part.startswith("%") and len(part) == 2]
    if any(f"%{d}" not in _DIRECTIVES for d in directives) or len(set(directives)) < len(
        directives
    ):
        return lambda text: datetime.strptime(text, fmt)
    pattern = re.compile("".join(_DIRECTIVES.get(part, re.escape(part)) for part in parts) + r"\Z")
    if set(directives) == set("YmdHMS"):  # the usual full timestamp: straight to datetime
        return _full_timestamp(pattern, [directives.index(d) for d in "YmdHMS"])
    return lambda text: _from_groups(pattern, text)


def _full_timestamp(pattern: re.Pattern[str], at: list[int]) -> Callable[[str], datetime]:
    year, month, day, hour, minute, second = at

    def parse(text: str) -> datetime:
        found = pattern.match(text)
        if found is None:
            raise ValueError(text)
        g = found.groups()
        return datetime(
            int(g[year]), int(g[month]), int(g[day]), int(g[hour]), int(g[minute]), int(g[second])
        )

    return parse


def _from_groups(pattern: re.Pattern[str], text: str) -> datetime:
    found = pattern.match(text)
    if found is None:
        raise ValueError(text)
    g = found.groupdict()
    year = int(g["Y"]) if "Y" in g else _century(int(g["y"])) if "y" in g else 1900
    fraction = int(g["f"].ljust(6, "0")) if "f" in g else 0
    return datetime(
        year,
        int(g.get("m", 1)),
        int(g.get("d", 1)),
        int(g.get("H", 0)),
        int(g.get("M", 0)),
        int(g.get("S", 0)),
        fraction,
    )


def _century(two_digits: int) -> int:
    return two_digits + (1900 if two_digits >= 69 else 2000)  # as strptime's %y does


def aware(value: datetime, local: LocalTimes) -> datetime:
    """``value`` as an aware time: a naive one is taken as local time in ``local``'s zone."""
    if value.tzinfo is not None:
        return value
    try:
        return local.aware(value)
    except ValueError as exc:
        raise BadCell(str(exc)) from None


def datetime_parser(formats: list[str], local: LocalTimes) -> Parser:
    """Parse one cell holding date and time; naive values are local time."""
    parse = first_of([compile_format(fmt) for fmt in formats], _expected("date and time", formats))
    return lambda text: aware(parse(text), local)


def date_parser(formats: list[str]) -> Callable[[str], date]:
    parsers = [_date_only(compile_format(fmt)) for fmt in formats]
    # Exports repeat the same few dates thousands of times: parse each once.
    return lru_cache(maxsize=4096)(first_of(parsers, _expected("date", formats)))


def time_parser(formats: list[str]) -> Callable[[str], time]:
    parsers = [
        time.fromisoformat if fmt == "iso" else _time_only(compile_format(fmt)) for fmt in formats
    ]
    return lru_cache(maxsize=100_000)(first_of(parsers, _expected("time of day", formats)))


def _date_only(parse: Callable[[str], datetime]) -> Callable[[str], date]:
    return lambda text: parse(text).date()


def _time_only(parse: Callable[[str], datetime]) -> Callable[[str], time]:
    return lambda text: parse(text).time()


def duration_parser(unit: str) -> Callable[[str], float]:
    """Seconds from ``225``, ``225,5`` (× ``unit``), ``3:45`` or ``0:03:45``; never negative."""
    factor = UNIT_SECONDS[unit]

    def parse(text: str) -> float:
        try:
            seconds = (
                _clock_seconds(text) if ":" in text else float(text.replace(",", ".")) * factor
            )
        except ValueError:
            raise BadCell(f"expected {DURATION_FORMS}") from None
        if seconds < 0 or seconds != seconds:  # NaN is not a duration either
            raise BadCell(f"expected a duration ≥ 0: {DURATION_FORMS}")
        return seconds

    return parse


def _clock_seconds(text: str) -> float:
    parts = text.split(":")
    if len(parts) > 3 or any(not part.strip() for part in parts):
        raise ValueError(text)
    *larger, last = parts
    numbers = [int(part) for part in larger] + [float(last)]
    if any(n >= 60 for n in numbers[1:]) or any(n < 0 for n in numbers):
        raise ValueError(text)
    seconds = 0.0
    for number in numbers:
        seconds = seconds * 60 + number
    return seconds


def choice_parser(
    values: Mapping[str, Any] | None,
    canonical: Mapping[str, Any] | None = None,
    *,
    lenient: bool = False,
) -> Parser:
    """Map a cell through ``values`` (matched ignoring case and surrounding blanks), falling
    back to ``canonical`` spellings; anything else is a :class:`BadCell` listing what is
    accepted, or, when ``lenient``, passes through unchanged."""
    table = {key.strip().casefold(): value for key, value in (canonical or {}).items()}
    table.update({key.strip().casefold(): value for key, value in (values or {}).items()})
    expected = "expected one of " + ", ".join(repr(key) for key in (values or canonical or {}))

    def parse(text: str) -> Any:
        try:
            return table[text.casefold()]
        except KeyError:
            if lenient:
                return text
            raise BadCell(expected) from None

    return parse


def integer(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise BadCell("expected a whole number ≥ 0") from None
    if value < 0:
        raise BadCell("expected a whole number ≥ 0")
    return value


def score(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise BadCell("expected a number on the survey's scale") from None
