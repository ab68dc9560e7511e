"""Survey facts from hand-worked timelines through the real Ingestor, in and out of order."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from callkpi.connectors import RawEvent
from callkpi.projector import rebuild
from callkpi.store.centres import load_centres
from callkpi.store.tables import SurveyFact, SurveyResponseFact

SURVEY = {"contactid": "c1", "agentid": "a1", "queue": "sales"}


def ingest(ingestor, *batches: list[dict]) -> None:
    for batch in batches:
        outcomes = ingestor.ingest_batch([RawEvent(json.dumps(event), "test") for event in batch])
        assert {o.status for o in outcomes} <= {"accepted", "duplicate"}, outcomes


def at(clock: str) -> str:
    return f"2026-01-05T{clock}Z"


def utc(clock: str) -> datetime:
    return datetime.fromisoformat(at(clock))


def rows(store, table: Any) -> list[dict[str, Any]]:
    keys = [column for column in table.__table__.primary_key.columns]
    with store.transaction() as connection:
        found = connection.execute(select(table.__table__).order_by(*keys)).mappings()
        return [dict(row) for row in found]


def answer(make_event, clock: str, instrument: str, scale: str, score: float | None, **extra):
    """An answer to survey s1; ``text`` goes in the data, anything else (``id``) on the envelope."""
    data = {"surveyid": "s1", "instrument": instrument, "scale": scale, "score": score}
    if "text" in extra:
        data["text"] = extra.pop("text")
    return make_event("survey.response_received", at(clock), data, **SURVEY, **extra)


def lifecycle(make_event) -> list[dict]:
    """A survey of contact c1: scheduled, sent, delivered, three answers and a re-answer,
    then a case opened for the detractor."""
    scheduled = {
        "surveyid": "s1",
        "instruments": ["nps", "csat"],
        "channel": "sms",
        "language": "nl",
        "due_at": at("10:00:00"),
    }
    return [
        make_event("survey.scheduled", at("09:58:00"), scheduled, **SURVEY),
        make_event("survey.sent", at("10:01:00"), {"surveyid": "s1", "channel": "sms"}, **SURVEY),
        make_event("survey.delivered", at("10:02:00"), {"surveyid": "s1"}, **SURVEY),
        answer(make_event, "10:05:00", "nps", "0-10", 3),
        answer(make_event, "10:06:00", "csat", "1-5", 2),
        answer(make_event, "10:07:00", "nps", "0-10", 9),  # a later answer replaces the 3
        answer(make_event, "10:08:00", "comment", "text", None, text="slow"),
        make_event("case.opened", at("10:07:30"), {"caseid": "k1"}, contactid="c1"),
    ]


def test_a_survey_and_its_answers_whatever_the_arrival_order(store, ingestor, make_event):
    events = lifecycle(make_event)
    # newest first, one event per batch: every row is refolded from the stored events
    ingest(ingestor, *([event] for event in reversed(events)))
    (survey,) = rows(store, SurveyFact)
    assert survey["contactid"] == "c1" and survey["agentid"] == "a1" and survey["queue"] == "sales"
    # the survey went by SMS; no contact fact (and no envelope channel): no contact channel
    assert (survey["survey_channel"], survey["channel"], survey["language"]) == ("sms", None, "nl")
    assert survey["scheduled_at"] == utc("09:58:00")
    assert survey["sent_at"] == utc("10:01:00") and survey["delivered_at"] == utc("10:02:00")
    assert survey["failed_at"] is None and survey["expired_at"] is None
    # instruments answered: nps, csat, comment = 3; the first answer at 10:05
    assert survey["responses"] == 3 and survey["first_response_at"] == utc("10:05:00")
    # buckets of the scheduling, 09:58 UTC in centre default (UTC): interval 09:45 = 585 min
    assert survey["local_date"] == date(2026, 1, 5) and survey["local_interval"] == 585
    answers = {row["instrument"]: row for row in rows(store, SurveyResponseFact)}
    assert sorted(answers) == ["comment", "csat", "nps"]
    nps = answers["nps"]
    assert (nps["score"], nps["scale"], nps["responded_at"]) == (9, "0-10", utc("10:07:00"))
    # the case opened at 10:07:30 follows up the nps (10:07) and csat (10:06) answers,
    # not the comment sent afterwards (10:08)
    assert nps["followed_up_at"] == utc("10:07:30") and nps["followup_s"] == 30
    assert answers["csat"]["followed_up_at"] == utc("10:07:30")
    assert answers["comment"]["followed_up_at"] is None
    assert answers["comment"]["comment"] == "slow" and answers["comment"]["score"] is None
    assert nps["language"] == "nl" and nps["survey_channel"] == "sms" and nps["agentid"] == "a1"
    assert nps["local_interval"] == 600  # 10:07 → the 10:00 interval


def test_in_order_and_reversed_give_the_same_rows(store, ingestor, make_event, tmp_path):
    events = lifecycle(make_event)
    ingest(ingestor, events)
    in_order = (rows(store, SurveyFact), rows(store, SurveyResponseFact))
    with store.transaction() as connection:
        rebuild(connection, load_centres(connection))
    assert (rows(store, SurveyFact), rows(store, SurveyResponseFact)) == in_order


def test_answers_at_the_same_instant_the_larger_event_id_wins(store, ingestor, make_event):
    ingest(
        ingestor,
        [answer(make_event, "10:05:00", "csat", "1-5", 5, id="b")],
        [answer(make_event, "10:05:00", "csat", "1-5", 1, id="a")],
    )
    (row,) = rows(store, SurveyResponseFact)
    assert row["score"] == 5  # (time, id) order: "b" sorts after "a", so its 5 wins


def test_an_opt_out_without_contact_marks_its_survey_for_good(store, ingestor, make_event):
    delivered = make_event("survey.delivered", at("10:02:00"), {"surveyid": "s1"}, **SURVEY)
    opt_out = make_event("survey.opted_out", at("10:03:00"), {"surveyid": "s1"})
    ingest(ingestor, [delivered], [opt_out])
    (survey,) = rows(store, SurveyFact)
    # folded with the contact's stored events: the contact stays, the opt-out is added
    assert survey["opted_out"] is True and survey["contactid"] == "c1"
    ingest(ingestor, [answer(make_event, "10:04:00", "nps", "0-10", 0)])
    (survey,) = rows(store, SurveyFact)
    assert survey["opted_out"] is True and survey["responses"] == 1
    with store.transaction() as connection:
        rebuild(connection, load_centres(connection))
    (rebuilt,) = rows(store, SurveyFact)
    assert rebuilt == survey


def test_failed_and_expired_surveys(store, ingestor, make_event):
    failed = {"surveyid": "s1", "reason": "unreachable", "code": "21211"}
    ingest(
        ingestor,
        [
            make_event("survey.expired", at("12:00:00"), {"surveyid": "s1"}, **SURVEY),
            make_event("survey.failed", at("10:03:00"), failed, **SURVEY),
        ],
    )
    (survey,) = rows(store, SurveyFact)
    assert survey["failed_at"] == utc("10:03:00") and survey["expired_at"] == utc("12:00:00")
    # never scheduled here: buckets of its earliest event, 10:03 → interval 600
    assert survey["scheduled_at"] is None and survey["local_interval"] == 600
    assert survey["responses"] == 0 and survey["first_response_at"] is None
    assert datetime(2026, 1, 5, 12, tzinfo=UTC) == survey["expired_at"]


def test_custom_questions_become_response_rows_keyed_by_their_id(store, ingestor, make_event):
    scheduled = {"surveyid": "s1", "instruments": ["csat", "reason", "effort"], "channel": "sms",
                 "due_at": at("10:00:00")}
    choice = {"surveyid": "s1", "instrument": "custom", "question": "reason", "scale": "choice", "choice": "speed"}
    scale = {"surveyid": "s1", "instrument": "custom", "question": "effort", "scale": "1-4", "score": 3}
    ingest(ingestor, [make_event("survey.scheduled", at("09:58:00"), scheduled, **SURVEY),
                      make_event("survey.response_received", at("10:03:00"), choice, **SURVEY),
                      make_event("survey.response_received", at("10:04:00"), scale, **SURVEY)])
    found = {(row["instrument"], row["scale"], row["choice"], row["score"]) for row in rows(store, SurveyResponseFact)}
    assert found == {("reason", "choice", "speed", None), ("effort", "1-4", None, 3.0)}
    (survey,) = rows(store, SurveyFact)
    assert survey["responses"] == 2


def test_a_custom_answer_off_its_scale_is_quarantined_naming_it(ingestor, make_event):
    scale = {"surveyid": "s1", "instrument": "custom", "question": "effort", "scale": "1-4", "score": 5}
    (outcome,) = ingestor.ingest_batch([RawEvent(json.dumps(
        make_event("survey.response_received", at("10:04:00"), scale, **SURVEY)), "test")])
    assert outcome.status == "quarantined"
    assert any("score 5.0 is not on the 1-4 scale" in reason for reason in outcome.reasons)
