"""JSON records as Kinesis Data Firehose writes them to S3: one object per line, objects
concatenated with no separator at all, or JSON arrays of objects — in any mix, optionally
gzip-compressed (recognised by its magic bytes, whatever the file is called).

A stretch that is not JSON is reported with its line and the parser's reason, and reading
resumes at the next line, so one bad record never hides the records after it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GZIP_MAGIC = b"\x1f\x8b"
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


def read_text(path: Path) -> str:
    """The file's text, decompressed when it is gzip; a wrong encoding names the file."""
    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path.name}: not a readable gzip file ({exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path.name}: byte {data[exc.start : exc.start + 1]!r} at offset {exc.start} is not "
            "UTF-8; expected JSON as Amazon Connect writes it (UTF-8)"
        ) from None


def records(text: str) -> Iterator[Record]:
    """Every top-level JSON value of ``text``; an array yields its elements one by one."""
    at, line, end = 0, 1, len(text)
    while True:
        start = _skip_blank(text, at)
        line += text.count("\n", at, start)
        if start >= end:
            return
        try:
            value, after = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            stop = _next_line(text, start)
            yield Record(text[start:stop][:KEPT_CHARS], line, str(line), _reason(exc, start, stop))
            line += text.count("\n", start, stop)
            at = stop
            continue
        yield from _elements(value, line)
        line += text.count("\n", start, after)
        at = after


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


def _reason(exc: json.JSONDecodeError, start: int, stop: int) -> str:
    if stop >= len(exc.doc):  # the last record of the file: cut off, not malformed
        return (
            "truncated JSON record at the end of the file (cut off while being written?): "
            f"{exc.msg} at character {exc.pos - start + 1}; expected a complete JSON object"
        )
    return f"not JSON: {exc.msg} at character {exc.pos - start + 1}; expected a JSON object"
