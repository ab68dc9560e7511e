"""The closed loop: a detractor answer queues its follow-up case, due by the centre's deadline;
the core projects it (kind, survey, due time, met deadline) through the real ingest, on SQLite
and PostgreSQL.

Hand-worked: NPS 3 at 10:07 (T0 + 7 min) with the centre's deadline set to 2 h → case
``fu-<survey>`` due 12:07; a second detractor answer (CSAT 1) opens nothing more. Resolved at
11:37 → met_deadline True, resolution 5,400 s; a follow-up resolved at 12:37 (after 12:07) → False.
"""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from survey_factory import T0, insert_survey, queued_events

from callkpi.connectors import RawEvent
from callkpi.store.centres import CentreSettings, add_centre
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.store.tables import CaseFact
from callkpi.testing import TEST_HMAC_KEY
from callkpi_survey_gateway.answers import record_answer
from callkpi_survey_gateway.follow_ups import resolve_follow_up

LATER = T0 + timedelta(minutes=7)


def _queued(store, kind):
    with store.reading() as connection:
        return [body for body in queued_events(connection) if body["type"] == kind]


def _ingest(store, pm, bodies):
    Ingestor(store, pm, CustomerHasher(TEST_HMAC_KEY)).ingest_batch([RawEvent(json.dumps(b), "test") for b in bodies])


def test_a_detractor_opens_one_follow_up_due_by_the_centre_deadline(gateway_store, gateway_pm):
    with gateway_store.transaction() as connection:
        add_centre(connection, "default", "Europe/Amsterdam", CentreSettings(survey_followup_deadline_h=2))
        survey = insert_survey(connection, instruments=["nps", "csat"], language="en")
        record_answer(connection, survey, "nps", 3.0, None, "sms", LATER)
        record_answer(connection, survey, "csat", 1.0, None, "sms", LATER + timedelta(minutes=1))
    opened = _queued(gateway_store, "case.opened")
    assert [body["id"] for body in opened] == [f"{survey['id']}:follow_up"] * 2  # the second is a duplicate
    assert opened[0]["data"] == {"surveyid": survey["id"], "caseid": f"fu-{survey['id']}", "kind": "follow_up",
                                 "category": "nps", "due_at": (LATER + timedelta(hours=2)).isoformat()}
    _ingest(gateway_store, gateway_pm, opened)
    with gateway_store.transaction() as connection:
        resolve_follow_up(connection, "default", survey["id"], LATER + timedelta(minutes=90))
    resolved = _queued(gateway_store, "case.resolved")
    _ingest(gateway_store, gateway_pm, resolved)
    with gateway_store.reading() as connection:
        row = connection.execute(sa.select(CaseFact.__table__)).mappings().one()
    assert (row["kind"], row["surveyid"], row["category"], row["met_deadline"], row["resolution_s"]) == (
        "follow_up", survey["id"], "nps", True, 5400.0)
    assert row["due_at"] == LATER + timedelta(hours=2)
