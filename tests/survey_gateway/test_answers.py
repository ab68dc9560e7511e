"""record_answer on SQLite and PostgreSQL: idempotent, evented, completing and wiping the number."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from survey_factory import T0, insert_survey, messages, queued_events, survey_row

from callkpi_survey_gateway.answers import record_answer
from callkpi_survey_gateway.outbox import enqueue
from callkpi_survey_gateway.tables import sg_answer

DEFAULTS = {"nps": 6, "csat": 2, "ces": 2}
LATER = T0 + timedelta(minutes=7)


def test_first_answer_advances_and_queues_the_response_event(gateway_store):
    with gateway_store.transaction() as connection:
        survey = insert_survey(connection, language="nl")
        outcome = record_answer(connection, survey, "nps", 9.0, None, "sms", LATER, DEFAULTS)
        after = survey_row(connection, survey["id"])
        [event] = queued_events(connection)
        answers = connection.execute(sa.select(sg_answer)).mappings().all()
    assert (outcome.recorded, outcome.completed, outcome.step, outcome.detractor) == (True, False, 1, None)
    assert (after["step"], after["status"], after["number_enc"]) == (1, "active", survey["number_enc"])
    assert [(a["instrument"], a["score"], a["via"]) for a in answers] == [("nps", 9.0, "sms")]
    assert event["type"] == "survey.response_received"
    assert event["id"] == f"{survey['id']}:response:nps"
    assert (event["contactid"], event["agentid"], event["queue"], event["centre"]) == ("c-1", "a-1", "sales", "default")
    assert event["data"] == {"surveyid": survey["id"], "instrument": "nps", "scale": "0-10", "score": 9.0,
                             "text": None, "language": "nl"}


def test_the_same_question_twice_records_once(gateway_store):
    with gateway_store.transaction() as connection:
        survey = insert_survey(connection, instruments=["nps", "csat", "comment"])
        first = record_answer(connection, survey, "nps", 9.0, None, "sms", LATER, DEFAULTS)
        again = record_answer(connection, survey_row(connection, survey["id"]), "nps", 3.0, None, "web", LATER,
                              DEFAULTS)
        scores = connection.execute(sa.select(sg_answer.c.score)).scalars().all()
        events = queued_events(connection)
    assert first.recorded and not again.recorded
    assert again.detractor is None  # the duplicate 3 is not a detractor answer: it was not recorded
    assert scores == [9.0]
    assert len(events) == 1


def test_last_answer_completes_wipes_the_number_and_cancels_the_reminder(gateway_store):
    with gateway_store.transaction() as connection:
        survey = insert_survey(connection, step=1)
        reminder = enqueue(connection, survey["id"], "reminder", "Reminder", T0 + timedelta(hours=4), T0)
        outcome = record_answer(connection, survey, "csat", 4.0, None, "sms", LATER, DEFAULTS)
        after = survey_row(connection, survey["id"])
        [message] = messages(connection, survey["id"])
    assert (outcome.completed, outcome.step) == (True, 2)
    assert (after["status"], after["number_enc"], after["closed_at"]) == ("completed", None, LATER)
    assert (message["id"], message["status"]) == (reminder, "cancelled")


@pytest.mark.parametrize(("instrument", "score", "thresholds", "detractor"), [
    ("nps", 6.0, DEFAULTS, True),  # NPS 0–6 is a detractor
    ("nps", 7.0, DEFAULTS, False),
    ("nps", 6.0, {"nps": 4}, False),  # this centre only counts 0–4
    ("csat", 2.0, DEFAULTS, True),
])
def test_detractor_answers_carry_the_hook_response(gateway_store, instrument, score, thresholds, detractor):
    with gateway_store.transaction() as connection:
        survey = insert_survey(connection, instruments=[instrument, "comment"], language="fa")
        outcome = record_answer(connection, survey, instrument, score, None, "sms", LATER, thresholds)
    if not detractor:
        assert outcome.detractor is None
        return
    assert outcome.detractor == {
        "surveyid": survey["id"], "contactid": "c-1", "agentid": "a-1", "queue": "sales",
        "instrument": instrument, "score": score, "scale": {"nps": "0-10", "csat": "1-5"}[instrument],
        "language": "fa", "answered_at": "2026-03-02T10:07:00+00:00", "comment": None,
        "caseid": f"fu-{survey['id']}",
    }


def test_a_comment_is_text_on_the_text_scale(gateway_store):
    with gateway_store.transaction() as connection:
        survey = insert_survey(connection, instruments=["nps", "comment"], step=1)
        record_answer(connection, survey, "comment", None, "Friendly, but slow", "web", LATER, DEFAULTS)
        [event] = queued_events(connection)
    assert (event["data"]["scale"], event["data"]["score"], event["data"]["text"]) == ("text", None,
                                                                                       "Friendly, but slow")


def test_a_closed_survey_takes_no_answer(gateway_store):
    with gateway_store.transaction() as connection:
        survey = insert_survey(connection, status="expired", number_enc=None)
        outcome = record_answer(connection, survey, "nps", 9.0, None, "web", LATER, DEFAULTS)
        assert connection.execute(sa.select(sa.func.count()).select_from(sg_answer)).scalar() == 0
    assert not outcome.recorded


def test_an_instrument_the_survey_does_not_ask_is_refused(gateway_store):
    with gateway_store.transaction() as connection:
        survey = insert_survey(connection)
        with pytest.raises(ValueError, match=r"instrument 'ces' is not asked by survey sv_0+1; "
                                             r"expected one of \['nps', 'csat'\]"):
            record_answer(connection, survey, "ces", 3.0, None, "web", LATER, DEFAULTS)
