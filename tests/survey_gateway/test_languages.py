"""The customer's language in every confirmation, on SQLite and PostgreSQL: the survey's
language, else the number's country's, else the centre's default — never simply the
centre's. Centre ``default`` here speaks Dutch first (languages nl, en)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from survey_factory import HASHER, T0, insert_survey, messages

from callkpi_survey_gateway.config import SurveyConfig
from callkpi_survey_gateway.conversation import InboundSms, handle_inbound
from callkpi_survey_gateway.messages import render
from callkpi_survey_gateway.policy import use_configs
from callkpi_survey_gateway.tables import sg_suppression

LATER = T0 + timedelta(minutes=10)
CENTRE_NUMBER = "+3197010000001"
US_NUMBER = "+12125551234"
DUTCH_NUMBER = "+31612345678"
POLISH_NUMBER = "+48601234567"
GERMAN_NUMBER = "+4915123456789"  # no German texts: the centre's Dutch


@pytest.fixture(autouse=True)
def dutch_first_centre() -> Iterator[None]:
    use_configs({"default": SurveyConfig(brand="Acme", languages=["nl", "en"], sms_from=CENTRE_NUMBER)})
    yield
    use_configs(None)


def text(store, number, body, n=1):
    sms = InboundSms(f"SM{n:032d}", number, body, CENTRE_NUMBER)
    with store.transaction() as connection:
        return handle_inbound(connection, HASHER, sms, LATER)


def suppressed(store):
    with store.reading() as connection:
        return connection.execute(sa.select(sg_suppression.c.customer_hmac)).scalars().all()


def test_stop_from_a_us_number_without_a_survey_is_confirmed_in_english(gateway_store):
    result = text(gateway_store, US_NUMBER, "STOP")
    assert (result.action, result.reply) == ("opted_out", render("opted_out", "en", brand="Acme"))


def test_stop_during_an_english_survey_of_a_dutch_number_is_confirmed_in_english(gateway_store):
    with gateway_store.transaction() as connection:
        insert_survey(connection, number=DUTCH_NUMBER, language="en")
    result = text(gateway_store, DUTCH_NUMBER, "stop")
    assert result.reply == render("opted_out", "en", brand="Acme")


def test_start_lifts_the_opt_out_and_confirms_in_the_customers_language(gateway_store):
    assert text(gateway_store, US_NUMBER, "STOP", 1).action == "opted_out"
    assert suppressed(gateway_store) == [HASHER.hash(US_NUMBER)]
    result = text(gateway_store, US_NUMBER, "Start", 2)
    assert (result.action, result.reply) == ("opted_in", render("opted_in", "en", brand="Acme"))
    assert suppressed(gateway_store) == []
    polish = text(gateway_store, POLISH_NUMBER, "START", 3)
    assert polish.reply == render("opted_in", "pl", brand="Acme")


def test_help_without_a_survey_is_in_the_numbers_countrys_language(gateway_store):
    assert text(gateway_store, POLISH_NUMBER, "pomoc").reply == render("help", "pl", brand="Acme")
    assert text(gateway_store, GERMAN_NUMBER, "help", 2).reply == render("help", "nl", brand="Acme")


def test_help_thanks_and_reprompts_follow_the_surveys_language(gateway_store):
    with gateway_store.transaction() as connection:
        survey = insert_survey(connection, number=DUTCH_NUMBER, language="en")
    assert text(gateway_store, DUTCH_NUMBER, "help", 1).action == "help"
    assert text(gateway_store, DUTCH_NUMBER, "banana", 2).action == "reprompted"
    assert text(gateway_store, DUTCH_NUMBER, "9", 3).action == "answered"
    thanks = text(gateway_store, DUTCH_NUMBER, "5", 4)
    with gateway_store.reading() as connection:
        queued = [(row["kind"], row["body"]) for row in messages(connection, survey["id"])]
    assert queued == [("help", render("help", "en", brand="Acme")),
                      ("reprompt", render("reprompt.nps", "en", brand="Acme")),
                      ("question", render("question.csat", "en", brand="Acme"))]
    assert (thanks.action, thanks.reply) == ("completed", render("thanks", "en", brand="Acme"))
