"""The closed loop on detractors: a follow-up case opened with the answer, due by the centre's deadline.

A survey's first detractor answer (the centre's thresholds: :mod:`.detractors`) queues a
``case.opened`` in the answer's transaction: case ``fu-<survey id>`` of kind ``follow_up``,
category the instrument that made the customer a detractor, the survey in ``surveyid``, and
``due_at`` = answer time + the centre's ``survey_followup_deadline_h`` (``callkpi centre
survey-followup-deadline``). Its event id is ``<survey id>:follow_up``, so a second detractor
answer of the same survey is a duplicate the core drops: one customer, one call-back.

It is closed by a ``case.resolved`` (:func:`resolve_follow_up`): from ``callkpi survey followup
resolve``, from ``POST /v1/surveys/{id}/follow-up/resolve``, or when the centre's detractor
webhook answers ``{"resolved": true}`` (it handled the customer itself). The core projects
both into ``fact_case`` (``kind``, ``surveyid``, ``due_at``, ``met_deadline``), from which the
KPIs ``detractor_followup_rate`` and ``detractor_followup_time`` and the dashboard read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from callkpi.store.centres import CentreSettings, load_centres
from callkpi.store.tables import CaseFact

from .events_out import queue_contact_event, queue_event

KIND = "follow_up"
CASES = CaseFact.__table__
DEFAULT_DEADLINE_H = CentreSettings.model_fields["survey_followup_deadline_h"].default


class FollowUpError(ValueError):
    """No such follow-up, or it is closed already; the message says which and what was expected."""


def case_id(survey_id: str) -> str:
    """The follow-up case of a survey (one per survey, whatever it answered)."""
    return f"fu-{survey_id}"


def open_follow_up(connection: Connection, survey_row: Mapping[str, Any], instrument: str, now: datetime) -> None:
    """Queue the ``case.opened`` of ``survey_row``'s follow-up, due the centre's deadline after ``now``."""
    centre = load_centres(connection).get(survey_row["centre"])
    hours = centre.settings.survey_followup_deadline_h if centre is not None else DEFAULT_DEADLINE_H
    data = {"caseid": case_id(survey_row["id"]), "kind": KIND, "category": instrument,
            "due_at": (now + timedelta(hours=hours)).isoformat()}
    queue_event(connection, survey_row["centre"], "case.opened", survey_row, data, f"{survey_row['id']}:follow_up",
                now)


def resolve_follow_up(connection: Connection, centre: str, reference: str, now: datetime) -> dict[str, Any]:
    """Queue the ``case.resolved`` of the follow-up ``reference`` (its case id or its survey's
    id) of ``centre``, as the core has it in ``fact_case``; return that row."""
    case = find_follow_up(connection, centre, reference)
    if case["resolved_at"] is not None:
        resolved = f"{case['resolved_at']:%Y-%m-%d %H:%M:%S}"
        raise FollowUpError(f"follow-up {case['caseid']} was already resolved at {resolved} UTC; expected an open "
                            "follow-up")
    queue_contact_event(connection, centre, "case.resolved", case, {"caseid": case["caseid"]},
                        f"{case['caseid']}:resolved", now)
    return case


def find_follow_up(connection: Connection, centre: str, reference: str) -> dict[str, Any]:
    """The follow-up row of case id or survey id ``reference``; :class:`FollowUpError` if none."""
    query = sa.select(CASES).where(CASES.c.centre == centre, CASES.c.kind == KIND,
                                   sa.or_(CASES.c.caseid == reference, CASES.c.surveyid == reference))
    row = connection.execute(query).mappings().first()
    if row is None:
        raise FollowUpError(f"no follow-up {reference!r} in centre {centre!r}; expected the case id (fu-sv_…) or "
                            "survey id (sv_…) of a detractor's follow-up")
    return dict(row)
