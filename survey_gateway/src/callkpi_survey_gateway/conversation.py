"""The SMS conversation: one inbound text from a customer turned into the next state of their survey.

Numbers are stored encrypted with a random nonce, so the customer's surveys are found by the
HMAC of their number (the core's :class:`~callkpi.store.privacy.CustomerHasher`, the same
HMAC the KPI side sees). Everything happens in the caller's transaction, together with the
``sg_inbound_seen`` row that makes a redelivered ``MessageSid`` a no-op.

Which language: the survey's (the one it was sent in) for every confirmation — STOP, START,
HELP, thanks, re-prompts, "closed"; a customer without a survey is answered in their
number's country's language, else the centre's default (:func:`customer_language`).

Where the reply goes: while the survey stays open its number is still stored, so the next
question, a re-prompt or the help text is queued in the outbox for the dispatcher. A reply
that ends the conversation (thanks, the opt-out confirmation, "this survey has closed", help
to a customer without an open survey) has no stored number to go to — it was wiped when the
survey closed, or never kept — so it is returned for the webhook to answer inline as TwiML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import Connection, bindparam, select, update

from callkpi.store.privacy import CustomerHasher

from .answers import OPEN_STATUSES, insert_once, record_answer
from .centre_texts import question_text, survey_text
from .config import SurveyConfig
from .events_out import queue_event
from .hot_statements import HotStatement
from .lifecycle import close_survey
from .messages import DEFAULT_LANGUAGE, languages
from .outbox import enqueue
from .policy import REGION_LANGUAGES, survey_configs
from .replies import Reply, parse_custom_reply, parse_reply
from .suppression import lift, suppress
from .tables import sg_inbound_seen, sg_survey
from .wording import choice_labels

MAX_REPROMPTS = 1  # one polite re-prompt per question, then the survey gives up
RECENT_SURVEYS = 5
# Built once (see answers.py): every inbound text runs these.
_INSERT_SEEN = insert_once(sg_inbound_seen, "message_sid")
_RECENT_QUERY = (select(sg_survey).where(sg_survey.c.customer_hmac == bindparam("customer"))
                 .order_by(sg_survey.c.created_at.desc()).limit(RECENT_SURVEYS))
# Locked on PostgreSQL so two texts at once apply in turn; SQLite has one writer anyway.
_RECENT = HotStatement(_RECENT_QUERY, postgresql=_RECENT_QUERY.with_for_update())
_REPROMPTED = update(sg_survey).where(sg_survey.c.id == bindparam("survey")).values(reprompts=sg_survey.c.reprompts + 1)


@dataclass(frozen=True)
class InboundSms:
    """The fields of Twilio's inbound-message webhook the conversation uses."""

    message_sid: str
    from_number: str
    body: str
    to: str = ""
    messaging_service_sid: str = ""


@dataclass(frozen=True)
class InboundResult:
    """What one inbound text did: ``action`` names it, ``reply`` is text to answer inline,
    ``detractor`` a ``callkpi_detractor`` response to fire after commit (for ``centre``)."""

    action: str
    reply: str | None = None
    detractor: dict[str, Any] | None = None
    centre: str | None = None


def handle_inbound(connection: Connection, hasher: CustomerHasher, sms: InboundSms, now: datetime) -> InboundResult:
    """Apply ``sms`` to its customer's survey; a ``MessageSid`` seen before changes nothing."""
    if not _first_sighting(connection, sms.message_sid, now):
        return InboundResult("duplicate")
    customer_hmac = hasher.hash(sms.from_number)
    surveys = _recent_surveys(connection, customer_hmac)
    survey = next((row for row in surveys if row["status"] == "active"), surveys[0] if surveys else None)
    centre = survey["centre"] if survey else _centre_for(sms)
    language = customer_language(survey, sms.from_number, centre)
    reply = _parse(sms.body, survey, centre, language)
    if reply.kind == "stop":
        return _opt_out(connection, customer_hmac, surveys, centre, language, reply.keyword or sms.body, now)
    if reply.kind == "start":
        return _opt_in(connection, customer_hmac, centre, language)
    if reply.kind == "help":
        return _help(connection, survey, centre, language, now)
    if survey is None or survey["status"] != "active":
        return _after_close(connection, survey, centre)
    if now >= survey["expires_at"]:
        return _expire(connection, survey, now)
    if reply.kind == "answer":
        return _answer(connection, survey, reply, now)
    return _invalid(connection, survey, now)


def _first_sighting(connection: Connection, message_sid: str, now: datetime) -> bool:
    values = {"new_message_sid": message_sid, "new_received_at": now}
    return bool(_INSERT_SEEN.rows(connection, values))


def _recent_surveys(connection: Connection, customer_hmac: str) -> list[dict[str, Any]]:
    """The customer's newest surveys, locked on PostgreSQL so two texts at once apply in turn."""
    return _RECENT.mappings(connection, {"customer": customer_hmac})


def _awaited_instrument(survey: Mapping[str, Any] | None) -> str:
    # Without an open question the text can only be a keyword; any scale parses keywords.
    if survey is None or survey["status"] != "active":
        return "nps"
    return survey["instruments"][survey["step"]]


def _parse(body: str, survey: Mapping[str, Any] | None, centre: str, language: str) -> Reply:
    """The reply read as an answer to the question the survey waits for (a custom question
    of the centre's by its choices or scale)."""
    awaited, config = _awaited_instrument(survey), _config(centre)
    if config is not None and awaited in config.questions:
        question = config.questions[awaited]
        labels = choice_labels(config.wording, awaited, language) if question.kind == "choice" else []
        return parse_custom_reply(body, question, labels, language)
    return parse_reply(body, awaited, language)


def _config(centre: str) -> SurveyConfig | None:
    return survey_configs().get(centre)


def customer_language(survey: Mapping[str, Any] | None, from_number: str, centre: str) -> str:
    """The language to answer the customer in: their survey's (the one it was sent in), else
    the language of their number's country when there are texts in it (a US number: English),
    else the centre's default."""
    if survey is not None:
        return survey["language"]
    regional = REGION_LANGUAGES.get(_region(from_number))
    if regional in languages():
        return regional
    config = _config(centre)
    return config.default_language if config is not None else DEFAULT_LANGUAGE


def _region(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""


def _centre_for(sms: InboundSms) -> str:
    """The centre whose sender (number or Messaging Service) the customer wrote to."""
    for name, config in survey_configs().items():
        if sms.to and config.sms_from == sms.to:
            return name
        if sms.messaging_service_sid and config.messaging_service_sid == sms.messaging_service_sid:
            return name
    return next(iter(survey_configs()), "default")


def _opt_out(connection: Connection, customer_hmac: str, surveys: list[dict[str, Any]], centre: str,
             language: str, keyword: str, now: datetime) -> InboundResult:
    """Suppress the customer for good, close their open surveys and confirm inline."""
    suppress(connection, customer_hmac, centre, keyword.strip(), now)  # forever, by HMAC only
    still_open = [row for row in surveys if row["status"] in OPEN_STATUSES]
    for survey in still_open:
        close_survey(connection, survey, "opted_out", f"the customer replied {keyword.strip()!r}", now)
    # A STOP after the survey closed is still that survey's customer opting out; a STOP from
    # someone never surveyed has nothing on the KPI side to attach to, so only suppression.
    for survey in still_open or surveys[:1]:
        data = {"customer_hmac": customer_hmac, "channel": "sms"}
        queue_event(connection, survey["centre"], "survey.opted_out", survey, data, f"{survey['id']}:opted_out", now)
    text = survey_text(connection, centre, "opted_out", language, surveys[0] if surveys else None)
    return InboundResult("opted_out", reply=text, centre=centre)


def _opt_in(connection: Connection, customer_hmac: str, centre: str, language: str) -> InboundResult:
    """START: the customer takes themselves off the suppression list; confirm inline."""
    lift(connection, customer_hmac)
    return InboundResult("opted_in", reply=survey_text(connection, centre, "opted_in", language), centre=centre)


def _help(connection: Connection, survey: Mapping[str, Any] | None, centre: str, language: str,
          now: datetime) -> InboundResult:
    config = _config(centre)
    custom = config.help_text.get(language) if config is not None else None
    text = custom or survey_text(connection, centre, "help", language, survey)
    if survey is not None and survey["status"] == "active":
        enqueue(connection, survey["id"], "help", text, now, now)
        return InboundResult("help", centre=centre)
    return InboundResult("help", reply=text, centre=centre)


def _after_close(connection: Connection, survey: Mapping[str, Any] | None, centre: str) -> InboundResult:
    # An expired survey says so once asked; after thanks or a give-up, silence avoids a loop
    # of auto-replies ("Thanks!" → "Thanks!" …).
    if survey is not None and survey["status"] == "expired":
        text = survey_text(connection, centre, "closed", survey["language"], survey)
        return InboundResult("closed", reply=text, centre=centre)
    return InboundResult("ignored", centre=centre)


def _expire(connection: Connection, survey: Mapping[str, Any], now: datetime) -> InboundResult:
    """A reply after the deadline the dispatcher has not yet noticed: expire the survey now."""
    close_survey(connection, survey, "expired", "expired before the answer came", now)
    queue_event(connection, survey["centre"], "survey.expired", survey, {}, f"{survey['id']}:expired", now)
    text = survey_text(connection, survey["centre"], "closed", survey["language"], survey)
    return InboundResult("closed", reply=text, centre=survey["centre"])


def _answer(connection: Connection, survey: Mapping[str, Any], reply: Reply, now: datetime) -> InboundResult:
    instrument = survey["instruments"][survey["step"]]
    outcome = record_answer(connection, survey, instrument, reply.score, reply.text, "sms", now)
    centre, language = survey["centre"], survey["language"]
    if outcome.completed:
        text = survey_text(connection, centre, "thanks", language, survey)
        return InboundResult("completed", reply=text, detractor=outcome.detractor, centre=centre)
    question = survey["instruments"][outcome.step]
    text = question_text(connection, survey, question)
    enqueue(connection, survey["id"], "question", text, now, now)
    return InboundResult("answered", detractor=outcome.detractor, centre=centre)


def _invalid(connection: Connection, survey: Mapping[str, Any], now: datetime) -> InboundResult:
    """One polite re-prompt per question; a second unusable reply closes the survey quietly."""
    if survey["reprompts"] >= MAX_REPROMPTS:
        close_survey(connection, survey, "failed", "no valid answer after a re-prompt", now)
        return InboundResult("gave_up", centre=survey["centre"])
    connection.execute(_REPROMPTED, {"survey": survey["id"]})
    instrument = survey["instruments"][survey["step"]]
    text = question_text(connection, survey, instrument, "reprompt")
    enqueue(connection, survey["id"], "reprompt", text, now, now)
    return InboundResult("reprompted", centre=survey["centre"])
