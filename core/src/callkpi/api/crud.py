"""What the routes do to the store: find a key, ingest a batch, check health."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from alembic.runtime.migration import MigrationContext

from ..connectors import RawEvent
from ..store.apikeys import ApiKeyRecord, find_api_key
from ..store.db import Store
from ..store.ingest import EventOutcome, Ingestor
from .models import BatchResult, EventResult, Problem
from .problems import problem_type, reason_items


def authenticate(store: Store, key: str) -> ApiKeyRecord | None:
    with store.transaction() as connection:
        return find_api_key(connection, key)


def schema_revision(store: Store) -> str | None:
    with store.transaction() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def raw_events(items: Sequence[Any], centre: str, origin: str) -> list[RawEvent]:
    """The batch as raw events. An event without a ``centre`` attribute gets the key's centre."""
    return [
        RawEvent(
            _with_centre(item, centre) if isinstance(item, dict) else orjson.dumps(item),
            f"{origin}[{index}]",
        )
        for index, item in enumerate(items)
    ]


def _with_centre(event: dict[str, Any], centre: str) -> dict[str, Any]:
    return event if "centre" in event else {**event, "centre": centre}


def ingest_events(
    ingestor: Ingestor, items: Sequence[Any], centre: str, origin: str
) -> BatchResult:
    """Ingest one batch in one transaction; one result per item, in order."""
    outcomes = ingestor.ingest_batch(raw_events(items, centre, origin))
    results = [
        event_result(index, item, outcome)
        for index, (item, outcome) in enumerate(zip(items, outcomes, strict=True))
    ]
    counts = {
        status: sum(r.status == status for r in results)
        for status in ("accepted", "duplicate", "quarantined", "rejected")
    }
    return BatchResult(
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        quarantined=counts["quarantined"],
        rejected=counts["rejected"],
        results=results,
    )


def event_result(index: int, item: Any, outcome: EventOutcome) -> EventResult:
    event_id = outcome.event_id or _claimed_id(item)
    return EventResult(
        index=index, id=event_id, status=outcome.status, problem=_event_problem(index, outcome)
    )


def _claimed_id(item: Any) -> str | None:
    claimed = item.get("id") if isinstance(item, dict) else None
    return claimed if isinstance(claimed, str) else None


def _event_problem(index: int, outcome: EventOutcome) -> Problem | None:
    errors = reason_items(outcome.reasons, f"/{index}")
    if outcome.status == "quarantined":
        return Problem(
            type=problem_type("event-quarantined"),
            title="Event quarantined",
            status=422,
            detail=f"not stored; kept in quarantine as {outcome.quarantine_id} "
            f"(`callkpi quarantine show {outcome.quarantine_id}`)",
            errors=errors,
        )
    if outcome.status == "rejected":
        return Problem(
            type=problem_type("event-rejected"),
            title="Event rejected",
            status=403,
            detail="not stored and not kept: this API key may not write it",
            errors=errors,
        )
    return None
