"""Where simulated events go: a JSON Lines file, or straight into a store through the Ingestor."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from ..connectors import RawEvent
from ..store.ingest import Ingestor, IngestSummary

ORIGIN = "simulator"
LINES_PER_WRITE = 5000


def write_jsonl(events: Iterable[dict[str, Any]], path: Path) -> int:
    """Write ``events`` to ``path``, one JSON object per line; the number written."""
    written = 0
    with path.open("wb") as file:
        chunk: list[bytes] = []
        for event in events:
            chunk.append(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))
            if len(chunk) == LINES_PER_WRITE:
                file.write(b"".join(chunk))
                written += len(chunk)
                chunk.clear()
        file.write(b"".join(chunk))
        written += len(chunk)
    return written


def raw_events(events: Iterable[dict[str, Any]]) -> Iterator[RawEvent]:
    """The events as the Ingestor takes them, each named ``simulator:<event id>``."""
    for event in events:
        yield RawEvent(event, f"{ORIGIN}:{event['id']}")


def ingest_events(
    events: Iterable[dict[str, Any]],
    ingestor: Ingestor,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Ingest ``events`` in batches; ``progress`` hears how many each batch held."""
    return ingestor.ingest(raw_events(events), batch_size, progress)
