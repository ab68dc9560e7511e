"""What a connector is: a declared reader that turns a source into raw canonical events.

A connector yields :class:`RawEvent` payloads; validation, privacy and storage are the
core's job, so a connector never needs to know about the store. Input it cannot map is
yielded too, with an ``error`` instead of a valid payload, so the core quarantines it
with the reason and where it came from: nothing a source sent is silently lost.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from jsonschema import Draft202012Validator, SchemaError

from .events.envelope import NAME_PATTERN

if TYPE_CHECKING:
    from fastapi import APIRouter

    from .settings import Settings
    from .store.ingest import EventOutcome

CONNECTOR_ID = re.compile(r"^[a-z][a-z0-9-]{1,63}$")
EVENT_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True)
class RawEvent:
    """One event as a source produced it, with where it came from (``file.jsonl:12``).

    ``error``, when set, says why the source's input could not be mapped to an event;
    the core then quarantines ``payload`` (the input as read) with that reason.
    ``sequence``, when set, is the event's place in its source's own order
    (:func:`sequence`); ingest gives it to an event that carries none of its own, so a
    reader of raw lines need not parse each line to stamp it.
    """

    payload: bytes | str | dict[str, Any]
    origin: str
    error: str | None = None
    sequence: str | None = None


class Idle:
    """Yielded by a following reader before it waits for more input: the core stores
    what it has so far and saves the checkpoint, so a tail never sits on unsaved events."""

    def __repr__(self) -> str:
        return "IDLE"


IDLE = Idle()


@dataclass
class ConnectorRun:
    """One run of a resumable connector over one source.

    ``checkpoint`` holds, on entry, where the previous run stopped (``None`` the first
    time); the reader replaces it as it goes with JSON-able data that covers exactly the
    input whose events it has already yielded. ``notes`` counts what the run wants to
    report (unknown event kinds, calls cut off at the file's edges …). ``stop`` tells a
    following reader when to finish.
    """

    source: str
    checkpoint: dict[str, Any] | None = None
    follow: bool = False
    poll_interval_s: float = 1.0
    stop: Callable[[], bool] = lambda: False
    notes: Counter[str] = field(default_factory=Counter)


Reader = Callable[..., Iterator["RawEvent | Idle"]]


@dataclass(frozen=True)
class WebhookContext:
    """What a connector's webhook routes get from ``callkpi serve``.

    ``config`` is the connector's config, already validated against its schema;
    ``ingest(raw_events)`` stores one batch in one transaction into the config's centre and
    returns an outcome per event (it blocks: call it through ``run_in_threadpool``).
    """

    connector: Connector
    config: dict[str, Any]
    settings: Settings
    ingest: Callable[[Sequence[RawEvent]], list[EventOutcome]]


Webhook = Callable[[WebhookContext], "APIRouter"]


@dataclass(frozen=True)
class Connector:
    """A connector declaration.

    ``read(source, config)`` yields raw events from ``source`` (a path, ``-`` for stdin,
    or a URL). A ``resumable`` connector's reader takes a third argument, the
    :class:`ConnectorRun`, to continue from its checkpoint and to report notes.
    ``config_schema`` is a JSON Schema (Draft 2020-12) for the connector's TOML config;
    properties marked ``writeOnly: true`` are secrets, never shown or logged.
    ``webhook``, when set, builds the FastAPI router a source pushes events to;
    ``callkpi serve`` mounts it under ``/connectors/<id>`` for a connector with a config.
    """

    id: str
    title: str
    emits: tuple[str, ...]
    read: Reader
    config_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    plugin: str = ""
    resumable: bool = False
    webhook: Webhook | None = None

    def events(
        self, source: str, config: dict[str, Any], run: ConnectorRun | None = None
    ) -> Iterator[RawEvent | Idle]:
        """Read ``source``; a resumable connector continues from ``run``'s checkpoint."""
        if not self.resumable:
            return self.read(source, config)
        return self.read(source, config, run or ConnectorRun(source))


def load_schema(package: str, resource: str = "config.schema.json") -> dict[str, Any]:
    """Load a connector's config schema shipped as package data (``package/resource``)."""
    return orjson.loads((files(package) / resource).read_bytes())


@dataclass
class ConnectorRegistry:
    """Connectors by id. Registration checks the declaration and fails naming the plugin."""

    connectors: dict[str, Connector] = field(default_factory=dict)

    def register(self, connector: Connector, *, plugin: str) -> Connector:
        if not isinstance(connector, Connector):
            raise TypeError(
                f"plugin {plugin!r} registered {connector!r}; expected a "
                "callkpi.connectors.Connector"
            )
        problem = _declaration_problem(connector)
        if problem:
            raise ValueError(f"plugin {plugin!r} registers connector {connector.id!r}: {problem}")
        if connector.id in self.connectors:
            other = self.connectors[connector.id].plugin
            raise ValueError(
                f"plugin {plugin!r} registers connector {connector.id!r}, already registered "
                f"by plugin {other!r}; rename one"
            )
        registered = Connector(**{**connector.__dict__, "plugin": plugin})
        self.connectors[connector.id] = registered
        return registered

    def discard(self, plugin: str) -> None:
        self.connectors = {key: c for key, c in self.connectors.items() if c.plugin != plugin}

    def get(self, connector_id: str) -> Connector:
        if connector_id not in self.connectors:
            known = ", ".join(sorted(self.connectors)) or "none"
            raise KeyError(
                f"no connector {connector_id!r} is installed; installed: {known} (see "
                "`callkpi connectors`)"
            )
        return self.connectors[connector_id]


def _declaration_problem(connector: Connector) -> str | None:
    if not CONNECTOR_ID.match(connector.id):
        return (
            "expected an id of lower-case letters, digits and '-' (2–64 characters, "
            "starting with a letter)"
        )
    bad = [
        name
        for name in connector.emits
        if not isinstance(name, str) or not EVENT_TYPE_NAME.match(name)
    ]
    if not connector.emits or bad:
        return (
            f"emits = {list(connector.emits)!r}: expected a non-empty tuple of event type "
            "names such as 'contact.recorded'"
        )
    if connector.webhook is not None and not callable(connector.webhook):
        return (
            f"webhook = {connector.webhook!r}: expected a callable taking a WebhookContext "
            "and returning a fastapi.APIRouter"
        )
    try:
        Draft202012Validator.check_schema(connector.config_schema)
    except SchemaError as exc:
        where = "/" + "/".join(str(part) for part in exc.absolute_path)
        return f"config_schema is not a valid JSON Schema (Draft 2020-12) at {where}: {exc.message}"
    return None


# -- helpers for quirks every source has ------------------------------------------------

# Digits per position in a sequence: a byte offset up to a petabyte, a Unix time in ms.
SEQUENCE_DIGITS = 15


_SEQUENCE_LIMIT = 10**SEQUENCE_DIGITS
_SEQUENCE_FORMAT = f"0{SEQUENCE_DIGITS}d"


def sequence(*positions: int) -> str:
    """The CloudEvents ``sequence`` of an event at ``positions`` in its source's own order —
    e.g. a line's byte offset, then the event's index among that line's events. Each position
    is zero-padded to :data:`SEQUENCE_DIGITS` digits and joined by ``.``, so plain string
    order (what the projector compares) is the order of the positions."""
    # called for every event a reader yields: one pass, and type() (a bool is not an int here)
    if len(positions) == 1 and type(positions[0]) is int and 0 <= positions[0] < _SEQUENCE_LIMIT:
        return format(positions[0], _SEQUENCE_FORMAT)  # a line number: the common case
    if not positions or not all(type(p) is int and 0 <= p < _SEQUENCE_LIMIT for p in positions):
        raise ValueError(
            f"sequence positions = {positions!r}: expected one or more whole numbers from 0 to "
            f"{_SEQUENCE_LIMIT - 1}"
        )
    return ".".join([format(p, _SEQUENCE_FORMAT) for p in positions])


def sequenced(events: Iterable[dict[str, Any]], *positions: int) -> list[dict[str, Any]]:
    """``events`` — what one place of the source (``positions``, e.g. a line) yields, in the
    source's order — each stamped with ``sequence(*positions, index)``; an event that carries
    a sequence of its own keeps it. Derive ``positions`` from the input itself, so a re-read
    stamps the same value (an event with the same id must have the same content)."""
    return [
        event if "sequence" in event else {**event, "sequence": sequence(*positions, index)}
        for index, event in enumerate(events)
    ]

_NAME_OK = re.compile(NAME_PATTERN)
_NAME_BAD_CHARS = re.compile(r"[^A-Za-z0-9._:@/+-]+")


@lru_cache(maxsize=65536)  # sources repeat the same agent and queue names on every line
def name_id(text: str) -> str:
    """A valid ``agentid``/``contactid`` for a source's name: kept as is when already valid,
    else accents dropped and other characters replaced by ``_`` (``José García`` →
    ``Jose_Garcia``). Deterministic, so the same name always gives the same id."""
    text = text.strip()
    if _NAME_OK.match(text):
        return text
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = _NAME_BAD_CHARS.sub("_", ascii_text).strip("_.:@/+-")[:128]
    if cleaned and cleaned[0].isalnum():
        return cleaned
    return "x" + hashlib.sha256(text.encode()).hexdigest()[:16]


def localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """Attach ``zone`` to a naive local time. A time in the gap when clocks jump forward
    does not exist and raises ``ValueError``; an ambiguous time (clocks going back) is
    taken as the first of the two, as most sources that log local time cannot say which."""
    aware = naive.replace(tzinfo=zone)
    if aware.utcoffset() == naive.replace(tzinfo=zone, fold=1).utcoffset():
        return aware
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValueError(
            f"{naive:%Y-%m-%d %H:%M:%S} does not exist in {zone.key} (clocks jump forward then); "
            "expected a local time outside the daylight-saving gap"
        )
    return aware


def zone_named(name: str, field_path: str = "/timezone") -> ZoneInfo:
    """The IANA zone ``name``; a wrong name raises ``ValueError`` naming the config path."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{field_path}: {name!r} is not an IANA time zone; expected a name such as "
            "'Europe/Amsterdam'"
        ) from None


class LocalTimes:
    """:func:`localize` for many times in one zone, fast: hours with one steady UTC offset
    (all but the few around a daylight-saving change) are converted by arithmetic, to UTC."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self._offsets: dict[tuple[int, int, int, int], timedelta | None] = {}

    def aware(self, naive: datetime) -> datetime:
        hour = (naive.year, naive.month, naive.day, naive.hour)
        try:
            offset = self._offsets[hour]
        except KeyError:
            offset = self._offsets[hour] = self._steady_offset(datetime(*hour))
        if offset is None:
            return localize(naive, self.zone)
        return (naive - offset).replace(tzinfo=UTC)

    def _steady_offset(self, hour: datetime) -> timedelta | None:
        last = hour + timedelta(minutes=59, seconds=59, microseconds=999999)
        offsets = {
            moment.replace(tzinfo=self.zone, fold=fold).utcoffset()
            for moment in (hour, last)
            for fold in (0, 1)
        }
        return offsets.pop() if len(offsets) == 1 else None
