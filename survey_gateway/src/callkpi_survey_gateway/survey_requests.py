"""A survey asked for one contact (``POST /v1/surveys``, ``callkpi survey send``), not by the
ingest: the same policy plugins, quiet hours and send-time rules as a scheduled survey.

A request differs from the ingest's own decision in one way only: it is not sampled (someone
asked for this contact). Every other rule refuses it with its reason code — opted out, the
frequency cap, an ineligible queue/channel/outcome, too short, too old — and so do a contact
the core does not know (``unknown_contact``), a contact that already has a survey
(``already_surveyed``) and one whose number the gateway no longer holds (``no_number``).

Where the number comes from: the core never stores it, so the gateway keeps a skipped
contact's number encrypted in ``sg_pending_number`` for
:data:`~callkpi_survey_gateway.pending_numbers.KEEP_FOR` after the contact completed
(:func:`~callkpi_survey_gateway.scheduling.schedule_surveys`); a request after that is
refused with ``no_number``. Each refusal is recorded (``survey why`` shows it) like any
policy decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn, get_args

import sqlalchemy as sa
from sqlalchemy import Connection

from callkpi.store.db import Store
from callkpi.store.tables import ContactFact

from .config import SurveyConfig
from .crypto import NumberCipher
from .decisions import Decision, record
from .pending_numbers import take_numbers
from .policy import survey_configs
from .quiet_hours import centre_zones
from .runtime import gateway_settings
from .scheduling import create_survey, customer_history, has_survey, survey_plugin_manager
from .tables import sg_survey

CHANNELS: tuple[str, ...] = get_args(SurveyConfig.model_fields["channel"].annotation)
CONTACTS = ContactFact.__table__
# A refusal the request itself caused (what it names does not exist) or one of state.
NOT_FOUND_CODES = frozenset({"unknown_contact", "no_config"})
CONFLICT_CODES = frozenset({"already_surveyed"})


class SurveyRefused(Exception):
    """The contact gets no survey: ``code`` (a decision reason code) and the sentence ``reason``."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


class BadSurveyRequest(ValueError):
    """A field of the request is wrong: ``field``, and what was wrong with it (``detail``)."""

    def __init__(self, field: str, detail: str):
        super().__init__(detail)
        self.field, self.detail = field, detail


def ask_for_survey(store: Store, centre: str, contactid: str, now: datetime, channel: str | None = None,
                   language: str | None = None) -> dict[str, Any]:
    """:func:`request_survey` in a transaction of its own; a refusal is recorded in another, as
    the first is rolled back (the customer's kept number with it, for a later request)."""
    try:
        with store.transaction() as connection:
            return request_survey(connection, centre, contactid, now, channel, language)
    except SurveyRefused as refused:
        with store.transaction() as connection:
            record(connection, centre, contactid, None, Decision("refused", refused.code, refused.reason), now)
        raise


def request_survey(connection: Connection, centre: str, contactid: str, now: datetime,
                   channel: str | None = None, language: str | None = None) -> dict[str, Any]:
    """Create the survey of ``contactid`` (in the caller's transaction) and return its row;
    raise :class:`SurveyRefused` when a rule refuses it, :class:`BadSurveyRequest` when
    ``channel`` or ``language`` is not one the centre offers."""
    config = survey_configs().get(centre)
    if config is None:
        raise SurveyRefused("no_config", f"centre {centre!r} has no survey configuration")
    _check_choices(config, channel, language)
    contact = _contact(connection, centre, contactid)
    if has_survey(connection, contact):
        _refuse("already_surveyed", "the contact already has a survey")
    e164 = take_numbers(connection, NumberCipher.from_settings(gateway_settings()), {(centre, contactid)},
                        now).get((centre, contactid))
    if e164 is None:
        _refuse("no_number", "the gateway holds no number of the customer (numbers of contacts without a "
                "survey are kept 48 h after the contact completed)")
    history = customer_history(connection, contact, e164, centre_zones(connection).get(centre, "UTC"), now)
    history["requested"] = True
    plan = survey_plugin_manager().hook.callkpi_select_survey(contact=contact, centre=centre, history=history)
    if not plan or "skip" in plan:
        plan = plan or {"skip": "no policy plugin planned a survey", "why": "no_plan"}
        _refuse(plan.get("why", "policy"), plan["skip"])
    plan = {**plan, "channel": channel or plan["channel"], "language": language or plan["language"]}
    record(connection, centre, contactid, None, Decision("requested", "requested", "a survey was asked for "
           "this contact (API or CLI)"), now)
    survey_id = create_survey(connection, contact, e164, history, plan, now)
    if survey_id is None:  # a concurrent ingest or request won the (centre, contact) row
        raise SurveyRefused("already_surveyed", "the contact already has a survey")
    return _survey(connection, survey_id)


def _check_choices(config: SurveyConfig, channel: str | None, language: str | None) -> None:
    if channel is not None and channel not in CHANNELS:
        raise BadSurveyRequest("channel", f"channel = {channel!r}: expected one of {', '.join(CHANNELS)}")
    if language is not None and language not in config.languages:
        raise BadSurveyRequest("language", f"language = {language!r}: expected one the centre offers "
                               f"({', '.join(config.languages)})")


def _contact(connection: Connection, centre: str, contactid: str) -> dict[str, Any]:
    row = connection.execute(sa.select(CONTACTS).where(CONTACTS.c.centre == centre,
                                                       CONTACTS.c.contactid == contactid)).mappings().first()
    if row is None:
        raise SurveyRefused("unknown_contact", f"contact {contactid!r} is not among centre {centre!r}'s contacts; "
                            "expected the id of a contact its events carried")
    return dict(row)


def _refuse(code: str, reason: str) -> NoReturn:
    raise SurveyRefused(code, reason)


def _survey(connection: Connection, survey_id: str) -> dict[str, Any]:
    return dict(connection.execute(sa.select(sg_survey).where(sg_survey.c.id == survey_id)).mappings().one())
