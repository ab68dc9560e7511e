"""The SMS conversation on SQLite and PostgreSQL: answers, re-prompts, STOP, HELP, expiry, dedupe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from survey_factory import CUSTOMER, HASHER, T0, insert_survey, messages, queued_events, survey_row

from callkpi_survey_gateway.config import SurveyConfig
from callkpi_survey_gateway.conversation import InboundSms, handle_inbound
from callkpi_survey_gateway.messages import render
from callkpi_survey_gateway.outbox import enqueue
from callkpi_survey_gateway.policy import use_configs
from callkpi_survey_gateway.tables import sg_answer, sg_suppression

LATER = T0 + timedelta(minutes=10)
STRANGER = "+48601234567"
HELP_NL = "Acme: bel 020 123 4567 of antwoord STOP."


@pytest.fixture(autouse=True)
def centres() -> Iterator[None]:
    use_configs({
        "default": SurveyConfig(brand="Acme", languages=["en", "nl"], help_text={"nl": HELP_NL},
                                sms_from="+3197010000001"),
        "warsaw": SurveyConfig(brand="Acme PL", languages=["pl"], sms_from="+48221234567"),
    })
    yield
    use_configs(None)


class Texts:
    """Sends texts from one number with fresh MessageSids, each in its own transaction."""

    def __init__(self, store, number: str = CUSTOMER, to: str = "+3197010000001"):
        self.store, self.number, self.to, self.count = store, number, to, 0

    def send(self, body: str, now=LATER, sid: str | None = None):
        self.count += 1
        sms = InboundSms(sid or f"SM{self.number[-4:]}{self.count:028d}", self.number, body, self.to)
        with self.store.transaction() as connection:
            return handle_inbound(connection, HASHER, sms, now)


def _survey(store, **overrides):
    with store.transaction() as connection:
        return insert_survey(connection, **overrides)


def _state(store, survey_id):
    with store.reading() as connection:
        return survey_row(connection, survey_id), messages(connection, survey_id), queued_events(connection)


def test_a_persian_digit_answers_and_the_next_question_is_queued(gateway_store):
    survey = _survey(gateway_store)
    result = Texts(gateway_store).send("۹")  # Persian nine
    row, outbox, events = _state(gateway_store, survey["id"])
    assert (result.action, result.reply, result.detractor) == ("answered", None, None)
    assert (row["step"], row["status"]) == (1, "active")
    assert [(m["kind"], m["body"], m["status"]) for m in outbox] == [
        ("question", render("question.csat", "en"), "pending")]
    assert [(e["type"], e["data"]["score"]) for e in events] == [("survey.response_received", 9.0)]


def test_the_last_answer_thanks_inline_and_wipes_the_number(gateway_store):
    survey = _survey(gateway_store, step=1)
    result = Texts(gateway_store).send("2")  # CSAT 2: a detractor by default (≤ 2)
    row, outbox, _ = _state(gateway_store, survey["id"])
    assert result.action == "completed"
    assert result.reply == "Acme: thank you for your feedback, it helps us improve."
    assert (result.detractor["instrument"], result.detractor["score"], result.centre) == ("csat", 2.0, "default")
    assert (row["status"], row["number_enc"]) == ("completed", None)
    assert outbox == []  # the thanks goes back as TwiML: no number is left to queue it for


def test_junk_gets_one_reprompt_then_the_survey_gives_up(gateway_store):
    survey = _survey(gateway_store)
    texts = Texts(gateway_store)
    first = texts.send("what?")
    second = texts.send("banana")
    row, outbox, events = _state(gateway_store, survey["id"])
    assert (first.action, first.reply) == ("reprompted", None)
    assert (second.action, second.reply) == ("gave_up", None)
    assert [(m["kind"], m["body"]) for m in outbox] == [("reprompt", render("reprompt.nps", "en"))]
    assert (row["status"], row["number_enc"], row["reprompts"]) == ("failed", None, 1)
    assert events == []


def test_a_valid_answer_after_a_reprompt_resets_the_count_for_the_next_question(gateway_store):
    survey = _survey(gateway_store)
    texts = Texts(gateway_store)
    texts.send("eleven")  # off the 0–10 scale
    result = texts.send("8")
    row, outbox, _ = _state(gateway_store, survey["id"])
    assert result.action == "answered"
    assert (row["step"], row["reprompts"]) == (1, 0)
    assert [m["kind"] for m in outbox] == ["reprompt", "question"]


def test_stop_opts_out_for_good_and_closes_the_survey(gateway_store):
    survey = _survey(gateway_store)
    with gateway_store.transaction() as connection:
        enqueue(connection, survey["id"], "reminder", "Reminder", T0 + timedelta(hours=4), T0)
    result = Texts(gateway_store).send("Stop")
    row, outbox, events = _state(gateway_store, survey["id"])
    with gateway_store.reading() as connection:
        suppressed = connection.execute(sa.select(sg_suppression)).mappings().all()
    assert (result.action, result.reply) == ("opted_out", render("opted_out", "en", brand="Acme"))
    assert (row["status"], row["number_enc"]) == ("opted_out", None)
    assert [m["status"] for m in outbox] == ["cancelled"]
    assert [(s["customer_hmac"], s["keyword"], s["centre"]) for s in suppressed] == [
        (HASHER.hash(CUSTOMER), "stop", "default")]  # the word as read: case folded
    [event] = events
    assert (event["type"], event["id"], event["contactid"]) == ("survey.opted_out", f"{survey['id']}:opted_out", "c-1")
    assert event["data"] == {"surveyid": survey["id"], "customer_hmac": HASHER.hash(CUSTOMER), "channel": "sms"}


def test_stop_from_someone_never_surveyed_is_suppressed_in_their_centre(gateway_store):
    _survey(gateway_store)  # another customer's survey stays untouched
    result = Texts(gateway_store, STRANGER, to="+48221234567").send("STOPP")
    with gateway_store.reading() as connection:
        suppressed = connection.execute(sa.select(sg_suppression)).mappings().all()
        events = queued_events(connection)
    assert (result.action, result.centre) == ("opted_out", "warsaw")  # found by the number they wrote to
    assert result.reply == render("opted_out", "pl", brand="Acme PL")
    assert [(s["customer_hmac"], s["centre"]) for s in suppressed] == [(HASHER.hash(STRANGER), "warsaw")]
    assert events == []  # nothing on the KPI side to attach it to


def test_help_during_a_survey_queues_the_centres_help_text(gateway_store):
    survey = _survey(gateway_store, language="nl")
    result = Texts(gateway_store).send("HULP")
    row, outbox, _ = _state(gateway_store, survey["id"])
    assert (result.action, result.reply) == ("help", None)
    assert [(m["kind"], m["body"]) for m in outbox] == [("help", HELP_NL)]
    assert (row["step"], row["reprompts"]) == (0, 0)  # asking for help is not a wrong answer


def test_help_without_a_survey_answers_inline_with_the_template(gateway_store):
    result = Texts(gateway_store, STRANGER).send("help")
    assert result.reply == render("help", "pl", brand="Acme")  # a Polish number, no survey: Polish


def test_a_reply_after_expiry_is_told_the_survey_closed(gateway_store):
    survey = _survey(gateway_store, status="expired", number_enc=None, closed_at=T0 + timedelta(hours=24))
    result = Texts(gateway_store).send("9", now=T0 + timedelta(hours=30))
    row, outbox, events = _state(gateway_store, survey["id"])
    with gateway_store.reading() as connection:
        answers = connection.execute(sa.select(sa.func.count()).select_from(sg_answer)).scalar()
    assert (result.action, result.reply) == ("closed", render("closed", "en", brand="Acme"))
    assert (answers, outbox, events, row["status"]) == (0, [], [], "expired")


def test_a_reply_past_the_deadline_expires_the_survey_first(gateway_store):
    survey = _survey(gateway_store)
    result = Texts(gateway_store).send("9", now=survey["expires_at"] + timedelta(seconds=1))
    row, _, events = _state(gateway_store, survey["id"])
    assert result.action == "closed"
    assert (row["status"], row["number_enc"]) == ("expired", None)
    assert [(e["type"], e["id"]) for e in events] == [("survey.expired", f"{survey['id']}:expired")]


def test_a_redelivered_message_sid_changes_nothing(gateway_store):
    survey = _survey(gateway_store)
    texts = Texts(gateway_store)
    first = texts.send("9", sid="SM" + "a" * 32)
    again = texts.send("3", sid="SM" + "a" * 32)
    row, outbox, events = _state(gateway_store, survey["id"])
    assert (first.action, again.action) == ("answered", "duplicate")
    assert row["step"] == 1
    assert len(outbox) == 1 and len(events) == 1


def test_chatter_after_the_thanks_gets_no_reply(gateway_store):
    _survey(gateway_store, status="completed", number_enc=None, step=2)
    result = Texts(gateway_store).send("Thanks!")
    assert (result.action, result.reply) == ("ignored", None)
