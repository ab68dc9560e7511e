"""A connector for canonical callkpi events in JSON Lines: one CloudEvents object per line.

``read(source, config)`` streams a file (or stdin for ``-``) line by line and never
holds more than one line in memory. Gzip input (``events.jsonl.gz``, or gzip bytes
piped into stdin) is decompressed on the fly. A UTF-8 byte-order mark, Windows line
ends and blank lines are tolerated; everything else is left for ingest to validate,
so a broken line is quarantined with its ``file:line`` origin rather than lost.

Each line's number is passed on as its event's ``sequence`` (``RawEvent.sequence``): the
file's order decides among events of one source at the same time, e.g. a call connected and
ended within one second. Ingest gives it only to an event without one of its own, so the
producer's is kept, and the line itself is passed on as read (never parsed twice).
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from callkpi import hookimpl
from callkpi.connectors import Connector, RawEvent, sequence
from callkpi.events import V1_TYPES

STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"


def read(source: str, config: dict[str, Any]) -> Iterator[RawEvent]:
    """Yield one raw event per non-blank line of ``source``, with origin ``name:line``."""
    name = "stdin" if source == STDIN else source
    number = 0
    with _open(source) as stream:
        try:
            for number, line in enumerate(stream, start=1):
                payload = line.rstrip(b"\r\n")
                if number == 1 and payload.startswith(UTF8_BOM):
                    payload = payload[len(UTF8_BOM) :]
                if payload and not payload.isspace():  # as payload.strip(), without a copy
                    yield RawEvent(payload, f"{name}:{number}", sequence=sequence(number))
        except (EOFError, gzip.BadGzipFile) as exc:  # a gzip file cut short by its writer
            reason = f"{name} = gzip data: {exc}; expected a complete gzip file (the rest is lost)"
            yield RawEvent(b"", f"{name}:{number + 1}", error=reason)


@contextmanager
def _open(source: str) -> Iterator[IO[bytes]]:
    if source == STDIN:
        # stdin belongs to the process: read it, never close it.
        yield _maybe_gunzip(sys.stdin.buffer)
        return
    with open(source, "rb") as handle, _maybe_gunzip(handle) as stream:
        yield stream


def _maybe_gunzip(stream: IO[bytes]) -> IO[bytes]:
    """Gzip is recognised by its magic bytes, so a renamed or piped archive works too."""
    if stream.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)] == GZIP_MAGIC:  # type: ignore[attr-defined]
        return gzip.GzipFile(fileobj=stream, mode="rb")
    return stream


JSONL = Connector(
    id="jsonl",
    title="JSON Lines of canonical callkpi events (file, .gz or stdin)",
    emits=tuple(event_type.name for event_type in V1_TYPES),
    read=read,
    config_schema={"type": "object", "additionalProperties": False},
)


@hookimpl
def callkpi_register_connectors(register: Callable[..., Any]) -> None:
    register(JSONL)
