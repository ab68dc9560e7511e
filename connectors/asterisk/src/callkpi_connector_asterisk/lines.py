"""One queue_log line → its fields, for both layouts.

Flat file: ``epoch|callid|queue|agent|event|data1|data2|…``. Database table exported as
CSV: ``time,callid,queuename,agent,event,data1..data5`` (or one ``data`` column holding
``a|b|c``), time as ``YYYY-MM-DD HH:MM:SS[.ffffff]`` local time in a configured zone.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from callkpi.connectors import localize

DATABASE_COLUMNS = (
    "time",
    "callid",
    "queuename",
    "agent",
    "event",
    "data1",
    "data2",
    "data3",
    "data4",
    "data5",
)
# A jump back in time larger than this, inside the hour clocks go back, means the second pass.
DST_REPEAT_JUMP = timedelta(minutes=5)


class BadLine(ValueError):
    """A line that is not a queue_log record; the message names the field, value and expectation."""


@dataclass(frozen=True, slots=True)
class QueueLogLine:
    time: datetime
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    def number(self, index: int) -> float | None:
        """Data field ``index`` as a number, or ``None`` when absent or not numeric."""
        try:
            return float(self.data[index])
        except (IndexError, ValueError):
            return None


def parse_flat(text: str) -> QueueLogLine:
    fields = text.split("|")
    if len(fields) < 5:
        raise BadLine(
            f"line has {len(fields)} '|'-separated fields; expected at least 5 "
            "(time|callid|queue|agent|event|data…)"
        )
    epoch, callid, queue, agent, event, *data = fields
    try:
        when = datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, OverflowError, OSError):
        raise BadLine(
            f"time = {epoch!r}: expected a Unix time in whole seconds such as 1761465600"
        ) from None
    return QueueLogLine(when, callid, queue, agent, event.strip().upper(), tuple(data))


class LocalClock:
    """Turns the database layout's naive local times into aware ones. In the hour clocks go
    back every time appears twice; a jump back of more than a few minutes inside that hour
    marks the second pass, which lasts until the times leave the repeated hour."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self.last: datetime | None = None
        self.second_pass = False

    def aware(self, naive: datetime) -> datetime:
        first = naive.replace(tzinfo=self.zone)
        if first.utcoffset() == naive.replace(tzinfo=self.zone, fold=1).utcoffset():
            self.second_pass, self.last = False, naive
            return first
        first = localize(naive, self.zone)  # raises for a time in the spring-forward gap
        if self.last is not None and naive < self.last - DST_REPEAT_JUMP:
            self.second_pass = True
        self.last = naive
        return naive.replace(tzinfo=self.zone, fold=1) if self.second_pass else first


class DatabaseParser:
    """Parses the database layout; a header row (``time,callid,…``) sets the column order."""

    def __init__(self, zone: ZoneInfo, columns: list[str] | None = None):
        self.clock = LocalClock(zone)
        self.columns = columns or list(DATABASE_COLUMNS)
        self._index()

    def _index(self) -> None:
        where = {name.strip().lower(): i for i, name in enumerate(self.columns)}
        missing = [name for name in DATABASE_COLUMNS[:5] if name not in where]
        if missing:
            raise BadLine(
                f"header row lacks column(s) {', '.join(missing)}; expected "
                f"{','.join(DATABASE_COLUMNS)}"
            )
        self.core = [where[name] for name in DATABASE_COLUMNS[:5]]
        self.data = [where[name] for name in ("data", *DATABASE_COLUMNS[5:]) if name in where]

    def is_header(self, text: str) -> bool:
        return text.lstrip("\ufeff").split(",", 1)[0].strip().strip('"').lower() in {"time", "id"}

    def use_header(self, text: str) -> None:
        self.columns = next(csv.reader([text.lstrip("\ufeff")]))
        self._index()

    def parse(self, text: str) -> QueueLogLine:
        fields = next(csv.reader([text])) if '"' in text else text.split(",")
        if len(fields) < len(self.columns):
            fields += [""] * (len(self.columns) - len(fields))
        stamp, callid, queue, agent, event = (fields[i] for i in self.core)
        when = self._time(stamp)
        data = tuple(part for i in self.data for part in fields[i].split("|"))
        return QueueLogLine(when, callid, queue, agent, event.strip().upper(), _trim(data))

    def _time(self, stamp: str) -> datetime:
        try:
            parsed = datetime.fromisoformat(stamp.strip())
        except ValueError:
            raise BadLine(
                f"time = {stamp!r}: expected YYYY-MM-DD HH:MM:SS[.ffffff] local time"
            ) from None
        if parsed.tzinfo is not None:  # a timestamptz column exported with its offset
            return parsed
        try:
            return self.clock.aware(parsed)
        except ValueError as exc:
            raise BadLine(f"time = {stamp!r}: {exc}") from None


def _trim(data: tuple[str, ...]) -> tuple[str, ...]:
    """Drop the empty trailing data columns the table always has."""
    end = len(data)
    while end and not data[end - 1]:
        end -= 1
    return data[:end]
