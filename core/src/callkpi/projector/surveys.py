"""Folding survey events into ``fact_survey`` and ``fact_survey_response``.

Every survey event but ``survey.opted_out`` carries its contact's id in the envelope, so
a survey is refolded from all stored survey events of its contact (one indexed query per
batch), never patched. The rules, over a survey's events in (time, type rank, id) order:

* ``contactid``, ``agentid``, ``queue`` and ``channel`` (the envelope's: the contact's
  media) are the first ones any of its events carries; ``survey_channel`` (sms, web …) the
  first one a scheduling or sending gives in its data; ``language`` the scheduling's, else
  the first response's. Where the contact's fact row exists, its queue, channel, wait and
  the agent of the centre's ``survey_agent_policy`` replace them
  (``projector.survey_attribution``); surveys are refolded when their contact changes.
* ``scheduled_at``, ``sent_at``, ``delivered_at``, ``failed_at``, ``expired_at``: the
  earliest event of each type. ``opted_out`` once any ``survey.opted_out`` names the survey;
  an opt-out without a contact id cannot be read back, so the stored flag is kept (an
  opt-out is never undone).
* ``responses``: the instruments answered; ``first_response_at`` the earliest answer.
* Local buckets of ``scheduled_at`` (else of the survey's earliest event).
* One response row per instrument: the latest answer (in timeline order) wins; ``comment``
  is its ``data.text``; a centre's own question (instrument ``custom``) is keyed by its
  ``data.question`` id, which becomes the row's ``instrument``, and a choice's
  ``data.choice`` is its ``choice``; local buckets of its time. A response is *followed up* at the
  earliest ``case.opened`` of the same contact at or after it (closing the loop with a
  detractor is opening a case for them); ``followup_s`` is the time that took.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, select

from ..store.centres import CentreConfig
from ..store.tables import ContactAttribution, StoredEvent, SurveyFact, SurveyResponseFact
from .buckets import local_buckets
from .survey_attribution import attribute, stored_contacts
from .timeline import Entry, parse_time, timeline
from .upsert import chunks, upsert

RANKS: dict[str, int] = {
    "survey.scheduled": 0,
    "survey.sent": 1,
    "survey.delivered": 2,
    "survey.failed": 3,
    "survey.response_received": 4,
    "survey.opted_out": 5,
    "survey.expired": 6,
}
SURVEY_TYPES = frozenset(RANKS)
FOLLOW_UP = "case.opened"
_READ_TYPES = sorted(SURVEY_TYPES | {FOLLOW_UP})
_FIRST_TIMES = {
    "scheduled_at": "survey.scheduled",
    "sent_at": "survey.sent",
    "delivered_at": "survey.delivered",
    "failed_at": "survey.failed",
    "expired_at": "survey.expired",
}
EVENTS = StoredEvent.__table__
SURVEYS = SurveyFact.__table__
RESPONSES = SurveyResponseFact.__table__
ATTRIBUTION = tuple(ContactAttribution.model_fields)


def is_survey_event(body: dict[str, Any]) -> bool:
    """Survey events, and case openings that may follow up a survey response."""
    if body["type"] == FOLLOW_UP:
        return "contactid" in body
    return body["type"] in SURVEY_TYPES and "surveyid" in body.get("data", {})


def project_surveys(
    connection: Connection, centre: CentreConfig, bodies: list[dict[str, Any]]
) -> None:
    """Rewrite the survey and response rows of every survey of the contacts in ``bodies``,
    and of the surveys an opt-out without a contact names."""
    loose = [body for body in bodies if "contactid" not in body]
    known = _stored_contacts(connection, centre.name, [body["data"]["surveyid"] for body in loose])
    contactids = {body["contactid"] for body in bodies if "contactid" in body} | known
    _refold(connection, centre, sorted(contactids), loose)


def reattribute_surveys(connection: Connection, centre: CentreConfig, contactids: list[str]) -> None:
    """Refold the surveys of ``contactids`` (contacts whose facts were just written): an
    answer that arrived before its contact now takes the contact's queue and agent."""
    surveyed: set[str] = set()
    for chunk in chunks(sorted(contactids)):
        query = select(SURVEYS.c.contactid).distinct().where(
            SURVEYS.c.centre == centre.name, SURVEYS.c.contactid.in_(chunk)
        )
        surveyed.update(connection.execute(query).scalars())
    if surveyed:
        _refold(connection, centre, sorted(surveyed), [])


def _refold(
    connection: Connection, centre: CentreConfig, contactids: list[str], loose: list[dict[str, Any]]
) -> None:
    stored = _stored_events(connection, centre.name, contactids)
    contacts = stored_contacts(connection, centre.name, contactids)
    policy = centre.settings.survey_agent_policy
    surveys: dict[str, list[dict[str, Any]]] = defaultdict(list)
    follow_ups: dict[str, list[datetime]] = defaultdict(list)
    for body in [*stored, *loose]:
        if body["type"] == FOLLOW_UP:
            follow_ups[body["contactid"]].append(parse_time(body["time"]))
        else:
            surveys[body["data"]["surveyid"]].append(body)
    opted_out = _stored_opt_outs(connection, centre.name, sorted(surveys))
    survey_rows, response_rows = [], []
    for surveyid, events in surveys.items():
        row, responses = fold_survey(centre.name, surveyid, timeline(events, RANKS), centre.zone)
        attribute(row, contacts.get(row["contactid"]), policy)
        for response in responses:
            response.update({key: row[key] for key in ATTRIBUTION})
        row["opted_out"] = row["opted_out"] or surveyid in opted_out
        _follow_up(responses, sorted(follow_ups.get(row["contactid"], ())))
        survey_rows.append(row)
        response_rows.extend(responses)
    upsert(connection, SURVEYS, survey_rows)
    upsert(connection, RESPONSES, response_rows)


def _stored_contacts(connection: Connection, centre: str, surveyids: list[str]) -> set[str]:
    """The contacts of already projected surveys: an opt-out without a contact id is
    folded together with the rest of its survey's events."""
    found: set[str] = set()
    for chunk in chunks(sorted(set(surveyids))):
        query = select(SURVEYS.c.contactid).where(
            SURVEYS.c.centre == centre,
            SURVEYS.c.surveyid.in_(chunk),
            SURVEYS.c.contactid.is_not(None),
        )
        found.update(connection.execute(query).scalars())
    return found


def _stored_events(connection: Connection, centre: str, contactids: list[str]) -> list[Any]:
    found = []
    for chunk in chunks(contactids):
        query = select(EVENTS.c.body).where(
            EVENTS.c.centre == centre, EVENTS.c.contactid.in_(chunk), EVENTS.c.type.in_(_READ_TYPES)
        )
        found.extend(orjson.loads(body) for body in connection.execute(query).scalars())
    return [body for body in found if is_survey_event(body)]


def _stored_opt_outs(connection: Connection, centre: str, surveyids: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(surveyids):
        query = select(SURVEYS.c.surveyid).where(
            SURVEYS.c.centre == centre, SURVEYS.c.surveyid.in_(chunk), SURVEYS.c.opted_out
        )
        found.update(connection.execute(query).scalars())
    return found


def fold_survey(
    centre: str, surveyid: str, entries: list[Entry], zone: ZoneInfo
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The survey row and its response rows from all of the survey's events, sorted."""
    row: dict[str, Any] = {"centre": centre, "surveyid": surveyid, **_identity(entries)}
    for column, event_type in _FIRST_TIMES.items():
        row[column] = next((e.time for e in entries if e.type == event_type), None)
    answers = _latest_answers(entries)
    row["opted_out"] = any(e.type == "survey.opted_out" for e in entries)
    row["responses"] = len(answers)
    responded = [e.time for e in entries if e.type == "survey.response_received"]
    row["first_response_at"] = responded[0] if responded else None
    row.update(local_buckets(row["scheduled_at"] or entries[0].time, zone))
    return row, [_response(row, answer, zone) for answer in answers.values()]


def _identity(entries: list[Entry]) -> dict[str, Any]:
    def first(values: Any) -> Any:
        return next((value for value in values if value is not None), None)

    scheduled = [e for e in entries if e.type == "survey.scheduled"]
    sent = [e for e in entries if e.type in ("survey.scheduled", "survey.sent")]
    answered = [e for e in entries if e.type == "survey.response_received"]
    return {
        "contactid": first(e.body.get("contactid") for e in entries),
        "agentid": first(e.body.get("agentid") for e in entries),
        "agent_at": None,
        "queue": first(e.body.get("queue") for e in entries),
        "channel": first(e.body.get("channel") for e in entries),
        "wait_s": None,
        "survey_channel": first(e.data.get("channel") for e in sent),
        "language": first(e.data.get("language") for e in [*scheduled, *answered]),
    }


def _latest_answers(entries: list[Entry]) -> dict[str, Entry]:
    # entries are in timeline order (time, rank, tie, id), so the last answer per instrument wins
    return {_question(e): e for e in entries if e.type == "survey.response_received"}


def _question(answer: Entry) -> str:
    """A response row's ``instrument``: the standard instrument, or a custom question's id."""
    return answer.data.get("question") or answer.data["instrument"]


def _response(survey: dict[str, Any], answer: Entry, zone: ZoneInfo) -> dict[str, Any]:
    return {
        **{key: survey[key] for key in ("centre", "surveyid", *ATTRIBUTION)},
        "language": answer.data.get("language") or survey["language"],
        "instrument": _question(answer),
        "scale": answer.data["scale"],
        "score": answer.data.get("score"),
        "choice": answer.data.get("choice"),
        "comment": answer.data.get("text"),
        "responded_at": answer.time,
        "followed_up_at": None,
        "followup_s": None,
        **local_buckets(answer.time, zone),
    }


def _follow_up(responses: list[dict[str, Any]], cases_opened: list[datetime]) -> None:
    for response in responses:
        followed = next((t for t in cases_opened if t >= response["responded_at"]), None)
        response["followed_up_at"] = followed
        if followed is not None:
            response["followup_s"] = (followed - response["responded_at"]).total_seconds()
