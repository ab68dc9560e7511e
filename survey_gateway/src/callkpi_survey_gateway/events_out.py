"""survey.* events: queued in ``sg_event_outbox`` with the state change, flushed to ingest after.

A state change and its event commit together (a crash can lose neither alone); the flush
runs after commit, in-process through the core's :class:`~callkpi.store.ingest.Ingestor` or
over HTTP (``POST {core_url}/v1/events`` with an ingest API key) when the gateway runs on its
own. Event ids are deterministic, so a flush repeated after a crash is a harmless duplicate.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import sqlalchemy as sa
from sqlalchemy import Connection

from callkpi.connectors import RawEvent
from callkpi.store.db import Store

from .hot_statements import HotStatement
from .tables import sg_event_outbox

if TYPE_CHECKING:
    from callkpi.store.ingest import Ingestor

    from .config import GatewaySettings

SOURCE = "callkpi-survey-gateway"
FLUSH_BATCH = 500
HTTP_TIMEOUT_S = 30.0
# 422 means the core quarantined the whole batch: kept there to fix and replay, so done here.
HTTP_DONE = frozenset({200, 207, 422})
log = logging.getLogger(__name__)


# Built once: every inbound reply queues an event, and a statement built per call costs more in
# SQLAlchemy's cache-key generation than its execution.
_QUEUE_EVENT = HotStatement(sa.insert(sg_event_outbox).values(
    centre=sa.bindparam("new_centre"), body=sa.bindparam("new_body"), created_at=sa.bindparam("new_created_at")))


class IngestState(Protocol):
    """What an in-process flush needs: the core's AppState has both."""

    store: Store

    def ingestor(self, centre: str) -> Ingestor: ...


class FlushError(RuntimeError):
    """The core refused or could not be reached; the events stay queued for the next flush."""


def queue_event(connection: Connection, centre: str, type: str, survey_row: Mapping[str, Any],
                data: dict[str, Any], event_id: str, time: datetime) -> None:
    """Queue the CloudEvent ``type`` about ``survey_row`` (its contact, agent and queue copied
    into the envelope; ``surveyid`` added to ``data``) in the caller's transaction."""
    queue_contact_event(connection, centre, type, survey_row, {"surveyid": survey_row["id"], **data}, event_id,
                        time)


def queue_contact_event(connection: Connection, centre: str, type: str, about: Mapping[str, Any],
                        data: dict[str, Any], event_id: str, time: datetime) -> None:
    """Queue the CloudEvent ``type`` with ``data``, its envelope naming the contact, agent and
    queue of ``about`` (a survey or case row), in the caller's transaction."""
    body = {
        "specversion": "1.0", "id": event_id, "source": SOURCE, "type": type,
        "time": time.astimezone(UTC).isoformat(), "centre": centre,
        "contactid": about["contactid"], "agentid": about.get("agentid"),
        "queue": about.get("queue"),
        # The envelope's channel is the media of the contact (voice …), which the survey row
        # does not record; the survey's own channel travels in ``data`` where a type has it.
        "data": data,
    }
    body = {key: value for key, value in body.items() if value is not None}
    _QUEUE_EVENT.run(connection, {"new_centre": centre, "new_body": json.dumps(body, ensure_ascii=False),
                                  "new_created_at": datetime.now(UTC)})


def flush_events(target: IngestState | Store, settings: GatewaySettings, *, limit: int = FLUSH_BATCH) -> int:
    """Send up to ``limit`` queued events to ingest (HTTP when ``settings.core_url`` is set,
    else in-process through ``target.ingestor``); return how many were flushed."""
    store = target if isinstance(target, Store) else target.store
    pending = _unflushed(store, limit)
    if not pending:
        return 0
    if settings.core_url:
        _post_events(settings, [body for _, _, body in pending])
    else:
        _ingest_in_process(target, pending)
    _mark_flushed(store, [row_id for row_id, _, _ in pending])
    return len(pending)


def _unflushed(store: Store, limit: int) -> list[tuple[int, str, str]]:
    query = (sa.select(sg_event_outbox.c.id, sg_event_outbox.c.centre, sg_event_outbox.c.body)
             .where(sg_event_outbox.c.flushed_at.is_(None)).order_by(sg_event_outbox.c.id).limit(limit))
    with store.reading() as connection:
        return [tuple(row) for row in connection.execute(query)]


def _ingest_in_process(target: IngestState | Store, pending: list[tuple[int, str, str]]) -> None:
    if isinstance(target, Store):
        raise TypeError("flushing in-process needs the app state (store, plugin manager, hasher), "
                        "not a bare Store; pass the AppState or set CALLKPI_SURVEY_CORE_URL")
    by_centre: dict[str, list[RawEvent]] = defaultdict(list)
    for row_id, centre, body in pending:
        by_centre[centre].append(RawEvent(body, f"survey-gateway event outbox {row_id}"))
    for centre, raw in by_centre.items():
        outcomes = target.ingestor(centre).ingest_batch(raw)
        _log_unstored(outcomes)


def _post_events(settings: GatewaySettings, bodies: list[str]) -> None:
    payload = "[" + ",".join(bodies) + "]"
    url = settings.core_url.rstrip("/") + "/v1/events"
    headers = {"Authorization": f"Bearer {settings.core_api_key}", "Content-Type": "application/json"}
    try:
        response = httpx.post(url, content=payload.encode(), headers=headers, timeout=HTTP_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise FlushError(f"POST {url} failed: {type(exc).__name__}: {exc}; events stay queued") from exc
    if response.status_code not in HTTP_DONE:
        raise FlushError(f"POST {url} answered {response.status_code}: {response.text[:500]}; "
                         "expected 200 or 207 — check core_url and that core_api_key has the ingest scope")
    if response.status_code != 200:
        log.warning("the core did not store every survey event: %s", response.text[:2000])


def _log_unstored(outcomes: list[Any]) -> None:
    for outcome in outcomes:
        if outcome.status not in ("accepted", "duplicate"):
            log.warning("survey event %s was %s: %s", outcome.event_id, outcome.status, "; ".join(outcome.reasons))


def _mark_flushed(store: Store, row_ids: list[int]) -> None:
    with store.transaction() as connection:
        connection.execute(sa.update(sg_event_outbox).where(sg_event_outbox.c.id.in_(row_ids))
                           .values(flushed_at=datetime.now(UTC)))
