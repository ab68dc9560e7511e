"""JSON records as Kinesis Data Firehose writes them to S3: one object per line, objects
concatenated with no separator at all, or JSON arrays of objects — in any mix, optionally
gzip-compressed (recognised by its magic bytes, whatever the file is called).

The file is read in chunks, so memory stays flat however long it is: only the value being
decoded (an array counts as one value) and one chunk are held. A stretch that is not JSON is
reported with its line and the parser's reason, and reading resumes at the next line, so
one bad record never hides the records after it.
"""

from __future__ import annotations

import codecs
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

GZIP_MAGIC = b"\x1f\x8b"
CHUNK_BYTES = 1 << 20
# A value still undecodable with this much text after its start is malformed, not merely
# cut by a chunk boundary; bounds memory on a bad line. Far above any contact record.
MAX_VALUE_CHARS = 32 << 20
# How much of an unparsable stretch is kept in quarantine: enough to recognise it.
KEPT_CHARS = 2000
_DECODER = json.JSONDecoder()
_BLANK = " \t\r\n"


@dataclass(frozen=True)
class Record:
    """One JSON value read from the file, or the text that could not be parsed and why."""

    value: Any
    line: int
    position: str
    error: str | None = None


def read_chunks(path: Path) -> Iterator[str]:
    """The file's text in chunks, decompressed when it is gzip; a wrong encoding or a broken
    gzip stream names the file (raised when reading reaches it)."""
    with path.open("rb") as raw:
        packed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        with gzip.GzipFile(fileobj=raw) if packed else raw as data:
            yield from _decoded(path.name, data)


def _decoded(name: str, data: IO[bytes]) -> Iterator[str]:
    decoder, offset = codecs.getincrementaldecoder("utf-8-sig")(), 0
    while True:
        try:
            block = data.read(CHUNK_BYTES)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{name}: not a readable gzip file ({exc})") from None
        try:
            yield decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            at = offset + exc.start - len(decoder.getstate()[0])
            raise ValueError(
                f"{name}: byte {exc.object[exc.start : exc.start + 1]!r} at offset {at} is not "
                "UTF-8; expected JSON as Amazon Connect writes it (UTF-8)"
            ) from None
        if not block:
            return
        offset += len(block)


class _Window:
    """The undecoded text: refilled from the chunks, trimmed of what was decoded."""

    def __init__(self, chunks: Iterator[str]):
        self.chunks, self.text, self.at, self.ended = chunks, "", 0, False

    def grow(self) -> None:
        """Double the text after ``at`` (at least one chunk), or note the end of the file."""
        wanted, parts = max(len(self.text) - self.at, 1), [self.text[self.at :]]
        while not self.ended and sum(map(len, parts)) < 2 * wanted:
            chunk = next(self.chunks, None)
            self.ended = chunk is None
            parts.append(chunk or "")
        self.text, self.at = "".join(parts), 0

    def can_grow(self) -> bool:
        return not self.ended and len(self.text) - self.at < MAX_VALUE_CHARS


def records(chunks: Iterator[str]) -> Iterator[Record]:
    """Every top-level JSON value of the text; an array yields its elements one by one."""
    window, line = _Window(chunks), 1
    while True:
        start = _skip_blank(window.text, window.at)
        line += window.text.count("\n", window.at, start)
        window.at = start
        if start >= len(window.text):
            if window.ended:
                return
            window.grow()
            continue
        decoded = _decode(window)
        if decoded is None:
            continue  # the window grew: decode again from the same place
        value, after = decoded
        if isinstance(value, json.JSONDecodeError):
            yield _unparsable(window, value, line, after)
        else:
            yield from _elements(value, line)
        line += window.text.count("\n", window.at, after)
        window.at = after


def _decode(window: _Window) -> tuple[Any, int] | None:
    """The value at ``window.at`` and where it ends, the error and where the bad stretch
    ends, or ``None`` after growing a window that may have cut the value short."""
    text, start = window.text, window.at
    try:
        value, after = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        if window.can_grow():
            window.grow()
            return None
        return exc, _next_line(text, start)
    if after >= len(text) and window.can_grow():  # a number may go on in the next chunk
        window.grow()
        return None
    return value, after


def _unparsable(window: _Window, exc: json.JSONDecodeError, line: int, stop: int) -> Record:
    start = window.at
    kept = window.text[start:stop][:KEPT_CHARS]
    return Record(kept, line, str(line), _reason(exc, start, stop, window.ended))


def _elements(value: Any, line: int) -> Iterator[Record]:
    if isinstance(value, list):
        for index, element in enumerate(value):
            yield Record(element, line, f"{line}[{index}]")
    else:
        yield Record(value, line, str(line))


def _skip_blank(text: str, at: int) -> int:
    while at < len(text) and text[at] in _BLANK:
        at += 1
    return at


def _next_line(text: str, start: int) -> int:
    newline = text.find("\n", start)
    return len(text) if newline < 0 else newline + 1


def _reason(exc: json.JSONDecodeError, start: int, stop: int, ended: bool) -> str:
    if ended and stop >= len(exc.doc):  # the last record of the file: cut off, not malformed
        return (
            "truncated JSON record at the end of the file (cut off while being written?): "
            f"{exc.msg} at character {exc.pos - start + 1}; expected a complete JSON object"
        )
    return f"not JSON: {exc.msg} at character {exc.pos - start + 1}; expected a JSON object"
