"""Completed contacts → surveys: ``callkpi_contacts_completed`` creates each survey and its first
outbox message in the ingest batch's own transaction, so a survey exists iff its contact does.

A skipped contact's number is kept encrypted for ``pending_numbers.KEEP_FOR``, so a survey
asked for it by hand (:mod:`~callkpi_survey_gateway.survey_requests`) can still reach it.

Idempotent: ``sg_survey`` is unique per (centre, contactid) and the insert skips a conflict,
so a contact reported again (a later completing event, a re-delivered batch) keeps its one
survey. The customer's number is stored only encrypted, normalised to E.164.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import phonenumbers
import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from callkpi.plugins import CallkpiPluginManager, get_plugin_manager
from callkpi.store.privacy import normalise_customer

from .centre_texts import survey_text
from .crypto import NumberCipher
from .decisions import Decision, record, record_for_survey
from .events_out import queue_event
from .outbox import enqueue
from .pending_numbers import ContactKey, keep_numbers, take_numbers
from .quiet_hours import centre_zones, number_zones
from .runtime import gateway_settings
from .suppression import is_suppressed
from .tables import sg_survey
from .web import web_invite_url

log = logging.getLogger(__name__)

# The hook is not handed a plugin manager, yet must ask every plugin's callkpi_select_survey
# (a centre's own policy overrides the default). Whoever runs the gateway — serve's background
# task, the CLI, a test — hands its manager over with use_plugin_manager(); an ingest that never
# met one (`callkpi ingest` in another process) builds one from the installed entry points on
# first use: the same plugins its own manager loaded, so the same decision.
_plugin_manager: CallkpiPluginManager | None = None


def use_plugin_manager(pm: CallkpiPluginManager | None) -> None:
    """Ask ``pm``'s plugins which contacts get a survey (``None``: build one when needed)."""
    global _plugin_manager
    _plugin_manager = pm


def survey_plugin_manager() -> CallkpiPluginManager:
    """The manager whose ``callkpi_select_survey`` decides (see :func:`use_plugin_manager`)."""
    global _plugin_manager
    if _plugin_manager is None:
        _plugin_manager = get_plugin_manager()
    return _plugin_manager


def schedule_surveys(connection: Connection, contacts: list[dict[str, Any]],
                     customers: Mapping[ContactKey, str], now: datetime | None = None) -> list[str]:
    """Create the surveys the policy plans for the completed ``contacts``, with the numbers of
    ``customers`` (``(centre, contact id)`` → number) or kept from an earlier batch; keep the
    numbers of contacts not completed yet. Return the new surveys' ids."""
    now = now or datetime.now(UTC)
    numbers = _numbers_of(connection, contacts, customers, now)
    zones = centre_zones(connection)
    created = []
    for contact in contacts:
        if has_survey(connection, contact):
            continue
        e164 = e164_number(numbers.get((contact["centre"], contact["contactid"])))
        if e164 is None:
            _skipped(connection, contact, "no_number", "no valid phone number of the customer came with the "
                     "contact", now)
            continue
        history = customer_history(connection, contact, e164, zones.get(contact["centre"], "UTC"), now)
        plan = survey_plugin_manager().hook.callkpi_select_survey(
            contact=contact, centre=contact["centre"], history=history)
        if not plan or "skip" in plan:
            plan = plan or {"skip": "no policy plugin planned a survey", "why": "no_plan"}
            _skipped(connection, contact, plan.get("why", "policy"), plan["skip"], now)
            # kept (encrypted, for KEEP_FOR) so a survey asked for by hand can still reach them
            keep_numbers(connection, NumberCipher.from_settings(gateway_settings()),
                         {(contact["centre"], contact["contactid"]): e164}, now)
            continue
        survey_id = create_survey(connection, contact, e164, history, plan, now)
        if survey_id:
            created.append(survey_id)
    return created


def _skipped(connection: Connection, contact: Mapping[str, Any], code: str, reason: str, now: datetime) -> None:
    record(connection, contact["centre"], contact["contactid"], None, Decision("skipped", code, reason), now)


def _numbers_of(connection: Connection, contacts: list[dict[str, Any]], customers: Mapping[ContactKey, str],
                now: datetime) -> dict[ContactKey, str]:
    cipher = NumberCipher.from_settings(gateway_settings())
    completed = {(contact["centre"], contact["contactid"]) for contact in contacts}
    keep_numbers(connection, cipher, {key: n for key, n in customers.items() if key not in completed}, now)
    kept = take_numbers(connection, cipher, completed, now)
    return {**kept, **{key: n for key, n in customers.items() if key in completed}}


def e164_number(customer: str | None) -> str | None:
    """``customer`` as an E.164 number, or ``None`` when it is not a valid phone number."""
    if not customer:
        return None
    try:
        number = phonenumbers.parse(normalise_customer(customer))
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) \
        if phonenumbers.is_valid_number(number) else None


def customer_history(connection: Connection, contact: Mapping[str, Any], e164: str, centre_timezone: str,
                     now: datetime) -> dict[str, Any]:
    """What ``callkpi_select_survey`` learns of the customer (see the hook's documentation)."""
    return {
        "last_surveyed_at": _last_surveyed(connection, contact),
        "opted_out": is_suppressed(connection, contact.get("customer_hmac")),
        "region": phonenumbers.region_code_for_number(phonenumbers.parse(e164)),
        "timezones": number_zones(e164),
        "centre_timezone": centre_timezone,
        "now": now,
    }


def create_survey(connection: Connection, contact: Mapping[str, Any], e164: str, history: Mapping[str, Any],
                  plan: Mapping[str, Any], now: datetime) -> str | None:
    """Insert the planned survey, its first message and ``survey.scheduled``; ``None`` if the
    contact already has a survey (a concurrent batch won)."""
    settings = gateway_settings()
    row = _survey_row(contact, NumberCipher.from_settings(settings).encrypt(e164), history, plan, now)
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
    inserted = connection.execute(dialect.insert(sg_survey).values(**row)
                                  .on_conflict_do_nothing(index_elements=["centre", "contactid"])
                                  .returning(sg_survey.c.id)).first()
    if inserted is None:
        return None
    kind, body = _first_message(connection, settings, row)
    enqueue(connection, row["id"], kind, body, row["due_at"], now)
    data = {"instruments": row["instruments"], "channel": "web" if kind == "web_invite" else "sms",
            "language": row["language"], "due_at": row["due_at"].isoformat()}
    queue_event(connection, row["centre"], "survey.scheduled", row, data, f"{row['id']}:scheduled", now)
    reason = f"{data['channel']} survey in {row['language']!r}, due at {row['due_at']:%Y-%m-%d %H:%M:%S} UTC"
    record_for_survey(connection, row, Decision("scheduled", "due", reason, row["due_at"]), now)
    return row["id"]


def _survey_row(contact: Mapping[str, Any], number_enc: str, history: Mapping[str, Any], plan: Mapping[str, Any],
                now: datetime) -> dict[str, Any]:
    return {
        "id": "sv_" + secrets.token_hex(12), "centre": contact["centre"], "contactid": contact["contactid"],
        "agentid": contact.get("agentid"), "queue": contact.get("queue"),
        "customer_hmac": contact.get("customer_hmac"), "number_enc": number_enc,
        "timezones": list(plan.get("timezones", history["timezones"])), "language": plan["language"],
        "instruments": list(plan["instruments"]), "channel": plan["channel"], "status": "scheduled",
        "step": 0, "reprompts": 0, "created_at": now, "due_at": plan["due_at"],
        "expires_at": plan["expires_at"], "reminder_at": plan.get("reminder_at"),
    }


def _first_message(connection: Connection, settings: Any, survey: Mapping[str, Any]) -> tuple[str, str]:
    """``web``: the invitation with its link; ``sms``: the first question; ``both``: the first
    question with the link after it, so the customer may reply or tap."""
    centre, language = survey["centre"], survey["language"]
    if survey["channel"] == "web":
        url = web_invite_url(connection, settings, survey)
        return "web_invite", survey_text(connection, centre, "web_invite", language, survey, url=url)
    question = survey_text(connection, centre, "first", language, survey, instrument=survey["instruments"][0])
    if survey["channel"] == "both":
        return "first", f"{question} {web_invite_url(connection, settings, survey)}"
    return "first", question


def has_survey(connection: Connection, contact: Mapping[str, Any]) -> bool:
    query = sa.select(sa.literal(1)).where(sg_survey.c.centre == contact["centre"],
                                           sg_survey.c.contactid == contact["contactid"])
    return connection.execute(query).first() is not None


def _last_surveyed(connection: Connection, contact: Mapping[str, Any]) -> datetime | None:
    if not contact.get("customer_hmac"):
        return None
    query = sa.select(sa.func.max(sg_survey.c.created_at)).where(
        sg_survey.c.centre == contact["centre"], sg_survey.c.customer_hmac == contact["customer_hmac"])
    return connection.execute(query).scalar()
