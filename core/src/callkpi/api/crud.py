"""What the routes do to the store: find a key, ingest a batch, check health."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import orjson
from alembic.runtime.migration import MigrationContext

from ..connectors import RawEvent
from ..kpi.docs import formula_text
from ..kpi.registry import RegisteredKpi
from ..kpi.report import Report
from ..kpi.variants import VariantSpec
from ..store.apikeys import ApiKeyRecord, find_api_key
from ..store.centres import CentreConfig, KpiTarget, load_centres
from ..store.db import Store
from ..store.ingest import EventOutcome, Ingestor
from .models import (
    BatchResult,
    EventResult,
    KpiInfo,
    KpiParameterInfo,
    KpiVariantInfo,
    Problem,
)
from .problems import problem_type, reason_items


def authenticate(store: Store, key: str) -> ApiKeyRecord | None:
    # a read: on SQLite a write transaction would queue every request behind ingest batches
    with store.reading() as connection:
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
    with _one_writer(ingestor.store):
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


# SQLite has one writer at a time. Left to SQLite, concurrent batches wait in its busy
# handler, which sleeps and retries in no order, so under load one batch can starve past
# busy_timeout and fail; queued on a lock here they take their turns and never time out.
_SQLITE_WRITER = threading.Lock()


def _one_writer(store: Store) -> AbstractContextManager[Any]:
    return _SQLITE_WRITER if store.dialect == "sqlite" else nullcontext()


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


def load_centre(store: Store, name: str) -> CentreConfig | None:
    """The centre ``name``'s configuration, ``None`` when there is no such centre."""
    with store.reading() as connection:
        return load_centres(connection).get(name)


def kpi_info(registered: RegisteredKpi, centre: CentreConfig) -> KpiInfo:
    """A catalogue entry: the KPI's declaration, with ``centre``'s target and whether it reports it."""
    kpi = registered.kpi
    target = centre.settings.kpi_targets.get(kpi.id) or KpiTarget()
    return KpiInfo(
        id=kpi.id,
        title=kpi.title,
        unit=kpi.unit,
        higher_is_better=kpi.higher_is_better,
        definition=kpi.definition,
        fact=kpi.fact,
        plugin=registered.plugin,
        default_variant=kpi.default_variant,
        variants=[_variant_info(spec) for spec in registered.variants.values()],
        parameters=[
            KpiParameterInfo(name=p.name, default=p.default, minimum=p.minimum, description=p.description)
            for p in kpi.parameters
        ],
        min_sample=kpi.min_sample,
        target=kpi.target,
        centre_target=target.value,
        queue_targets=target.queues,
        enabled=centre.settings.enabled_kpis is None or kpi.id in centre.settings.enabled_kpis,
    )


def _variant_info(spec: VariantSpec) -> KpiVariantInfo:
    return KpiVariantInfo(
        name=spec.name,
        description=spec.description,
        unit=spec.unit,
        higher_is_better=spec.higher_is_better,
        formula=formula_text(spec),
        parameters=dict(spec.defaults),
        target=spec.target,
        target_key=spec.target_key,
    )


def report_document(result: Report, engine: str) -> dict[str, Any]:
    """The JSON of ``callkpi report --format json`` (``docs/reports.md``), plus the filters,
    for ``orjson.dumps`` only: columns and values stay dataclasses, which orjson writes as
    ``Report.to_dict`` would (fields in order, dates as ISO text) 20 times faster."""
    request = result.request
    return {
        "centre": request.centre,
        "from": request.date_from.isoformat(),
        "to": request.date_to.isoformat(),
        "by": list(request.group_by),
        "engine": engine,
        "filters": {name: list(values) for name, values in request.filters.items()},
        "columns": result.columns,
        "rows": [{"dimensions": row.dimensions, "values": row.values} for row in result.rows],
    }
