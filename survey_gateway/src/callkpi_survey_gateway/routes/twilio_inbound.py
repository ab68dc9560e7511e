"""``POST /twilio/sms/inbound``: a customer's text, from Twilio's incoming-message webhook.

Signed requests only (403 otherwise). The state change and the ``sg_inbound_seen`` row commit
in one transaction, so a webhook Twilio delivers twice changes the survey once: on SQLite the
group commit of the replies waiting together (:mod:`callkpi_survey_gateway.group_commit`), on
PostgreSQL one short transaction per reply, whose row locks need no turns. The
answer is TwiML: ``<Response/>``, or one ``<Message>`` when the reply ends the conversation
(see :mod:`callkpi_survey_gateway.conversation`). After commit the queued events are flushed
to ingest by a flusher thread, and after the response a detractor answer fires ``callkpi_detractor``.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy import Connection
from starlette.background import BackgroundTask

from callkpi.api.deps import AppState
from callkpi.api.models import ProblemItem
from callkpi.api.problems import ProblemError
from callkpi.store.db import Store
from callkpi.store.privacy import CustomerHasher

from ..config import GatewaySettings
from ..conversation import InboundResult, InboundSms, handle_inbound
from ..detractors import detractor_has_work, fire_detractor
from ..events_out import FlushError, flush_events
from ..group_commit import GroupCommitter
from ..runtime import gateway_settings
from ..signatures import FORM_URLENCODED, SIGNED_WEBHOOK_ERRORS, twilio_signed_form
from .schema_ready import gateway_tables_ready

REQUIRED = ("MessageSid", "From")
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
FLUSHER_IDLE_S = 5.0
# The replies waiting behind a flush wait for its ingest (~0.1 ms an event): short gathers
# and small turns keep their tail short (docs/survey_gateway.md, bench/survey.py --rate)
FLUSH_GATHER_S = 0.05
FLUSH_CHUNK = 50
log = logging.getLogger(__name__)


class _RequestOnlyRoute(APIRoute):
    """A route whose endpoint takes the request and answers itself: FastAPI's extension point
    for a custom route handler. It skips dependency solving and response validation, which
    cost more than the webhook's own work; the endpoint checks the signature itself, and
    the route is documented in OpenAPI as any other (its form body in ``openapi_extra``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return self.endpoint


router = APIRouter(tags=["survey gateway"], route_class=_RequestOnlyRoute)
_FORM_FIELDS = {name: {"type": "string"} for name in ("MessageSid", "AccountSid", "From", "To", "Body",
                                                      "MessagingServiceSid", "NumSegments", "ApiVersion")}
_FORM_BODY = {"required": True, "content": {FORM_URLENCODED: {"schema": {
    "type": "object", "properties": _FORM_FIELDS, "required": list(REQUIRED)}}}}


@router.post("/twilio/sms/inbound", response_class=Response, summary="Twilio incoming message webhook",
             responses={200: {"content": {"text/xml": {}}, "description": "TwiML: empty, or one reply"},
                        **SIGNED_WEBHOOK_ERRORS},
             openapi_extra={"requestBody": _FORM_BODY})
async def sms_inbound(request: Request) -> Response:
    """Apply a customer's reply to their survey (deduplicated by ``MessageSid``). Signed requests only."""
    # No Depends (see _RequestOnlyRoute): FastAPI runs every sync dependency in the thread
    # pool, and solving even async ones cost more than the database work on this path. One
    # hand-off remains, to the database writer.
    await gateway_tables_ready(request)
    state: AppState = request.app.state.callkpi
    settings = gateway_settings()
    sms = _inbound_sms(await twilio_signed_form(request, settings))
    if state.store.dialect == "sqlite":
        result = await _committer(state).submit(sms)
    else:
        result = await run_in_threadpool(_apply, state, sms)
    if result.action != "duplicate":
        _flusher(state).wake(settings)
    return twiml(result.reply, _detractor_task(state, result))


def _detractor_task(state: AppState, result: InboundResult) -> BackgroundTask | None:
    """``callkpi_detractor`` after the response: the centre's webhook may be slow, and Twilio
    must not wait for it."""
    if result.detractor is None or result.centre is None or not detractor_has_work(state.pm, result.centre):
        return None
    return BackgroundTask(fire_detractor, state.pm, result.detractor, result.centre)


def _apply(state: AppState, sms: InboundSms) -> InboundResult:
    with state.store.transaction() as connection:
        return _apply_now(state.hasher, connection, sms)


def _apply_now(hasher: CustomerHasher, connection: Connection, sms: InboundSms) -> InboundResult:
    # The clock is read when the reply's turn comes, as it was with a transaction of its own.
    return handle_inbound(connection, hasher, sms, datetime.now(UTC))


def _inbound_sms(form: dict[str, str]) -> InboundSms:
    missing = [name for name in REQUIRED if not form.get(name)]
    if missing:
        detail = f"form field {missing[0]} is missing; expected Twilio's incoming message parameters"
        raise ProblemError(400, "bad-request", "Bad Request", detail, [ProblemItem(detail=detail)])
    return InboundSms(message_sid=form["MessageSid"], from_number=form["From"], body=form.get("Body", ""),
                      to=form.get("To", ""), messaging_service_sid=form.get("MessagingServiceSid", ""))


def twiml(reply: str | None, background: BackgroundTask | None = None) -> Response:
    """The TwiML answer: nothing to send, or ``reply`` as one message back to the sender;
    ``background`` runs after it is sent."""
    body = "<Response/>" if reply is None else f"<Response><Message>{escape(reply)}</Message></Response>"
    return Response(XML_DECLARATION + body, media_type="text/xml", background=background)


class _EventFlusher:
    """Flushes the event outbox to ingest soon after each webhook, in a thread of its own: a
    request only wakes it (no thread hand-off of its own), and a burst of replies is flushed
    in a few batches rather than one flush each. The thread ends after a quiet spell and
    starts again on the next wake, so an app that is gone leaves no thread behind."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.settings: GatewaySettings | None = None
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._wake.set()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="survey-inbound-flush", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            if not self._wake.wait(timeout=FLUSHER_IDLE_S):
                with self._lock:  # decided under the lock, so a wake arriving now is never lost
                    if not self._wake.is_set():
                        self._thread = None
                        return
            time.sleep(FLUSH_GATHER_S)  # let a burst of replies gather: one ingest batch, not one each
            self._wake.clear()
            _flush_all(self.state, self.settings or gateway_settings())


def _flush_all(state: AppState, settings: GatewaySettings) -> None:
    # Another round only after a full chunk: replies that came in meanwhile have woken the
    # flusher, and wait for its next gather rather than go through ingest a few at a time
    # (each round costs three transactions and the projector's lookups, whatever its size).
    try:
        flushed = FLUSH_CHUNK
        while flushed == FLUSH_CHUNK:
            flushed = flush_events(state, settings, limit=FLUSH_CHUNK)
    except FlushError as exc:  # the core is unreachable: the events wait for the dispatcher's flush
        log.warning("%s", exc)
    except Exception:  # never let the thread die on one bad flush; the dispatcher's flush retries
        log.exception("flushing survey events after an inbound webhook failed")


_flushers: weakref.WeakKeyDictionary[Store, _EventFlusher] = weakref.WeakKeyDictionary()
_committers: weakref.WeakKeyDictionary[Store, GroupCommitter[InboundSms, InboundResult]] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def _flusher(state: AppState) -> _EventFlusher:
    """One flusher per store, so two apps in one process never wait on each other."""
    with _registry_lock:
        return _flushers.setdefault(state.store, _EventFlusher(state))


def _committer(state: AppState) -> GroupCommitter[InboundSms, InboundResult]:
    """One group committer per store; each reply is applied at the time its group runs."""
    with _registry_lock:
        if state.store not in _committers:
            _committers[state.store] = GroupCommitter(state.store, partial(_apply_now, state.hasher))
        return _committers[state.store]
