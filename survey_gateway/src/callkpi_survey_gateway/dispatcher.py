"""Sending due outbox messages at most once, and classifying how each send ended.

One pass (:meth:`Dispatcher.run_once`): expire overdue surveys, queue due reminders,
reconcile unclear sends, then claim and send due messages until none is left. Just before
each send the send-time rules (:mod:`.send_rules`: opt-out, expiry, frequency cap, quiet
hours in the customer's own zones) may hold a claimed message: it then waits, ``pending``,
for the next allowed moment, or its survey expires unsent — never is it sent at night because
a backlog, a restart or a back-off delayed it; each hold is a recorded decision. A send
runs outside any transaction (a slow provider must not hold a database lock); its outcome
is recorded in a short transaction after:

* accepted → ``queued``/``sent`` with the provider's id, ``survey.sent`` for a first message;
* 429, or certainly not sent (no connection, refused credentials) → ``pending`` again,
  ``not_before`` pushed out exponentially;
* unclear (timeout, connection reset, 5xx) → ``unknown``: **never re-sent**. The status
  callback (its URL carries the outbox id) or, after :data:`RECONCILE_AFTER`, a lookup of
  the newest messages to that number settles it; not found by :data:`GIVE_UP_AFTER`, the
  message counts as failed — a missed survey is better than a customer texted twice;
* refused for good (21211, 21610, 21614 …) → ``failed``, the survey closed with the reason
  and ``survey.failed``; 21610 (the customer texted STOP to the carrier) also suppresses.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import Connection

from callkpi.store.db import Store

from . import outbox
from .channels import AmbiguousSend, NotSent, PermanentFailure, ProviderMessage, RateLimited, Sender, SmsChannel
from .crypto import NumberCipher, NumberKeyError
from .decisions import Decision, record_for_survey
from .events_out import queue_event
from .lifecycle import close_survey, expire_due, fail_survey, queue_reminders
from .policy import survey_configs
from .quiet_hours import centre_zones
from .send_rules import OPENING_KINDS, OPTED_OUT, Hold, hold
from .suppression import is_suppressed, suppress
from .tables import sg_message, sg_survey

if TYPE_CHECKING:
    from .config import GatewaySettings, SurveyConfig

CLAIM_BATCH = 50
# Sends of a claimed batch in flight at once. Each takes a provider round trip (Twilio: 100 ms
# and more), so one at a time would cap a dispatcher at a few messages a second; each
# message's claim, checks and outcome stay its own, so at-most-once holds per message.
PARALLEL_SENDS = 8
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_MAX = timedelta(minutes=15)
RECONCILE_AFTER = timedelta(seconds=60)
STUCK_AFTER = timedelta(minutes=10)  # a `sending` row this old lost its dispatcher mid-send
GIVE_UP_AFTER = timedelta(minutes=15)
LOOKUP_MARGIN = timedelta(seconds=30)  # clock skew between us and the provider
RECORDED_SENDS = OPENING_KINDS | {"reminder"}  # the sends `callkpi survey why` shows
STATUS_PATH = "/twilio/sms/status"
SendFailure = (RateLimited, NotSent, AmbiguousSend, PermanentFailure)
log = logging.getLogger(__name__)


def worker_name() -> str:
    """A name for this dispatcher, unique across hosts and processes (stored as ``claimed_by``)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class Dispatcher:
    """Sends the outbox of ``store`` through ``channel``."""

    def __init__(self, store: Store, channel: SmsChannel, settings: GatewaySettings, *,
                 senders: Callable[[str], Sender], render_reminder: Callable[[Connection, Mapping[str, Any]], str],
                 worker: str | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 configs: Callable[[str], SurveyConfig | None] = lambda centre: survey_configs().get(centre),
                 parallel_sends: int = PARALLEL_SENDS):
        self.store, self.channel, self.settings = store, channel, settings
        self.cipher = NumberCipher.from_settings(settings)
        self.senders, self.render_reminder = senders, render_reminder
        self.worker = worker or worker_name()
        self.clock = clock
        self.configs = configs
        self.parallel_sends = parallel_sends
        self._centre_zones: dict[str, str] = {}

    def run_once(self) -> Counter[str]:
        """One full pass; returns counts by outcome (``sent``, ``unknown``, ``failed``, ``retry``,
        ``waiting`` and ``expired_unsent`` for messages the send-time rules held …)."""
        counts: Counter[str] = Counter()
        now = self.clock()
        with self.store.reading() as connection:  # a centre's zone may have changed since the last pass
            self._centre_zones = centre_zones(connection)
        counts["expired"] += expire_due(self.store, now)
        counts["reminders"] += queue_reminders(self.store, now, self.render_reminder)
        counts.update(self.reconcile(now))
        with ThreadPoolExecutor(self.parallel_sends, thread_name_prefix="survey-send") as pool:
            while claimed := self._claim():
                counts.update(pool.map(self._deliver, claimed))
        return counts

    def _claim(self) -> list[dict[str, Any]]:
        with self.store.transaction() as connection:
            return outbox.claim_due(connection, self.worker, self.clock(), CLAIM_BATCH)

    def _deliver(self, message: dict[str, Any]) -> str:
        with self.store.reading() as connection:
            survey = _survey(connection, message["survey_id"])
            suppressed = is_suppressed(connection, survey["customer_hmac"])
            closed = survey["number_enc"] is None or survey["status"] not in ("scheduled", "active")
            to = None if suppressed or closed else self._number(survey)
            held = self._held(connection, message, survey, to) if isinstance(to, str) else None
        if suppressed or closed:
            return self._cancel(message, survey, suppressed)
        if isinstance(to, NumberKeyError):
            return self._park(message, to)
        if held is not None:
            return self._hold(message, survey, held)
        try:
            sender = self.senders(survey["centre"])
            sent = self.channel.send(to, message["body"], status_callback=self._callback(message["id"]), sender=sender)
        except LookupError as unconfigured:  # the centre's configuration was removed since
            return self._record_failure(message, survey, PermanentFailure("config", str(unconfigured)))
        except SendFailure as failure:
            return self._record_failure(message, survey, failure)
        self._record_sent(message, survey, sent)
        return "sent"

    def _number(self, survey: dict[str, Any]) -> str | NumberKeyError:
        """The survey's number in clear, or why this installation's key cannot open it."""
        try:
            return self.cipher.decrypt(survey["number_enc"])
        except NumberKeyError as wrong_key:
            return wrong_key

    def _park(self, message: dict[str, Any], wrong_key: NumberKeyError) -> str:
        # The installation's fault, not the survey's: park the message (nothing was sent)
        # and say so loudly, until the key is fixed.
        log.error("survey message %s parked: %s", message["id"], wrong_key)
        now = self.clock()
        with self.store.transaction() as connection:
            outbox.retry_later(connection, message["id"], now + BACKOFF_MAX, str(wrong_key), now)
        return "parked"

    def _held(self, connection: Connection, message: dict[str, Any], survey: dict[str, Any], to: str) -> Hold | None:
        """What the send-time rules say of ``message`` now (:mod:`.send_rules`)."""
        centre = survey["centre"]
        return hold(connection, message, survey, to, self.configs(centre), self._centre_zones.get(centre),
                    self.clock())

    def _hold(self, message: dict[str, Any], survey: dict[str, Any], held: Hold) -> str:
        """Keep ``message`` back as ``held`` says: wait, or expire its survey unsent."""
        now = self.clock()
        decision = held.decision
        with self.store.transaction() as connection:
            record_for_survey(connection, survey, decision, now)
            if held.action == "wait":
                outbox.defer(connection, message["id"], decision.until, decision.reason, now)
                return "waiting"
            outbox.advance(connection, message["id"], "cancelled", now, error=decision.reason)
            if close_survey(connection, survey, "expired", decision.reason, now):
                queue_event(connection, survey["centre"], "survey.expired", survey, {}, f"{survey['id']}:expired", now)
        return "expired_unsent"

    def _callback(self, message_id: int) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}{STATUS_PATH}?m={message_id}"

    def _cancel(self, message: dict[str, Any], survey: dict[str, Any], suppressed: bool) -> str:
        now = self.clock()
        with self.store.transaction() as connection:
            outbox.advance(connection, message["id"], "cancelled", now, error="survey closed or customer opted out")
            if suppressed and close_survey(connection, survey, "opted_out", "customer on the suppression list", now):
                record_for_survey(connection, survey, OPTED_OUT, now)
        return "cancelled"

    def _record_sent(self, message: dict[str, Any], survey: dict[str, Any], sent: ProviderMessage) -> None:
        now = self.clock()
        with self.store.transaction() as connection:
            record_accepted(connection, message, survey, sent, now)
            if message["kind"] in RECORDED_SENDS:
                record_for_survey(connection, survey, Decision("sent", "accepted", f"the {message['kind']} message "
                                                               f"was accepted by the provider as {sent.sid}"), now)

    def _record_failure(self, message: dict[str, Any], survey: dict[str, Any], failure: Exception) -> str:
        log.warning("survey message %s (survey %s) not sent: %s: %s", message["id"], survey["id"],
                    type(failure).__name__, failure)
        now = self.clock()
        with self.store.transaction() as connection:
            if isinstance(failure, (RateLimited, NotSent)):
                outbox.retry_later(connection, message["id"], now + backoff(message["attempts"]), str(failure), now)
                return "retry"
            if isinstance(failure, AmbiguousSend):
                outbox.mark_unknown(connection, message["id"], str(failure), now)
                return "unknown"
            record_refused(connection, message, survey, failure, now)
        return "failed"

    def reconcile(self, now: datetime) -> Counter[str]:
        """Settle unclear sends: look each up at the provider once it had time to show up."""
        counts: Counter[str] = Counter()
        for message, survey in self._unclear(now):
            counts[self._reconcile_one(message, survey, now)] += 1
        return counts

    def _unclear(self, now: datetime) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        unknown = sa.and_(sg_message.c.status == "unknown", sg_message.c.updated_at <= now - RECONCILE_AFTER)
        stuck = sa.and_(sg_message.c.status == "sending", sg_message.c.claimed_at <= now - STUCK_AFTER)
        query = (sa.select(sg_message, sg_survey.c.number_enc).join(sg_survey, sg_survey.c.id == sg_message.c.survey_id)
                 .where(sa.or_(unknown, stuck)).order_by(sg_message.c.id).limit(CLAIM_BATCH))
        with self.store.reading() as connection:
            rows = [dict(row) for row in connection.execute(query).mappings()]
            return [(row, _survey(connection, row["survey_id"])) for row in rows]

    def _reconcile_one(self, message: dict[str, Any], survey: dict[str, Any], now: datetime) -> str:
        found = None
        if message["number_enc"] is not None:
            since = message["claimed_at"] - LOOKUP_MARGIN
            try:
                found = self.channel.find_sent(self.cipher.decrypt(message["number_enc"]), message["body"], since)
            except (AmbiguousSend, NumberKeyError) as unsettled:
                log.warning("survey message %s stays unknown: %s", message["id"], unsettled)
                return "unknown"
        with self.store.transaction() as connection:
            if found is not None:
                record_accepted(connection, message, survey, found, now)
                return "reconciled"
            if message["claimed_at"] > now - GIVE_UP_AFTER:
                return "unknown"
            lost = PermanentFailure("unknown", "send outcome unclear and the message is not at the provider")
            record_refused(connection, message, survey, lost, now)
        return "failed"


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 5 s, 10 s, 20 s … capped at 15 minutes."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def record_accepted(connection: Connection, message: Mapping[str, Any], survey: Mapping[str, Any],
                    accepted: ProviderMessage, now: datetime) -> None:
    """The provider has the message: store its id and status; a survey's opening message makes
    the survey active and queues ``survey.sent``."""
    status = outbox.PROVIDER_STATUS.get(accepted.status, "queued")
    outbox.advance(connection, message["id"], status, now, provider_sid=accepted.sid)
    if message["kind"] in OPENING_KINDS:
        opened = connection.execute(sa.update(sg_survey).where(sg_survey.c.id == survey["id"],
                                                               sg_survey.c.status == "scheduled")
                                    .values(status="active"))
        if opened.rowcount:
            channel = "web" if message["kind"] == "web_invite" else "sms"
            queue_event(connection, survey["centre"], "survey.sent", survey,
                        {"channel": channel, "message_id": accepted.sid}, f"{survey['id']}:sent:{message['id']}", now)


def record_refused(connection: Connection, message: Mapping[str, Any], survey: Mapping[str, Any],
                   refusal: PermanentFailure, now: datetime) -> None:
    """The provider refused the message for good: fail it and close its survey with the reason."""
    outbox.advance(connection, message["id"], "failed", now, error_code=refusal.code, error=refusal.message)
    if refusal.code == "21610" and survey["customer_hmac"]:
        suppress(connection, survey["customer_hmac"], survey["centre"], "carrier STOP (Twilio 21610)", now)
    reason = f"{refusal.code}: {refusal.message}"
    fail_survey(connection, survey, reason, refusal.code, now, str(message["id"]))


def _survey(connection: Connection, survey_id: str) -> dict[str, Any]:
    return dict(connection.execute(sa.select(sg_survey).where(sg_survey.c.id == survey_id)).mappings().one())
