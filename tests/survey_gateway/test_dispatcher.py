"""The dispatcher against the real Twilio SDK and the fake Twilio, on SQLite and PostgreSQL:
at-most-once sends, every failure class, reconciliation, expiry, reminders, two dispatchers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fake_twilio import Failure
from outbox_rows import T0, due_survey, events, message, number_of, survey
from twilio.rest import Client

from callkpi.store.db import Store
from callkpi_survey_gateway.channels.twilio import RedirectingHttpClient, TwilioChannel
from callkpi_survey_gateway.crypto import NumberCipher
from callkpi_survey_gateway.dispatch_loop import centre_sender, reminder_text
from callkpi_survey_gateway.dispatcher import Dispatcher
from callkpi_survey_gateway.outbox import enqueue
from callkpi_survey_gateway.suppression import suppress
from callkpi_survey_gateway.tables import sg_answer, sg_message, sg_suppression

POSTS = ("POST", "/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json")


class Clock:
    """A settable clock, starting one minute after the messages fall due."""

    def __init__(self):
        self.now = T0 + timedelta(minutes=1)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cipher(gateway_settings):
    return NumberCipher.from_settings(gateway_settings)


def dispatcher_for(store, settings, fake, clock, *, timeout=15.0):
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token,
                    http_client=RedirectingHttpClient(fake.base_url, timeout=timeout))
    return Dispatcher(store, TwilioChannel(client), settings, senders=centre_sender, render_reminder=reminder_text,
                      clock=clock)


@pytest.fixture
def dispatcher(gateway_store, gateway_settings, fake_twilio, clock):
    return dispatcher_for(gateway_store, gateway_settings, fake_twilio, clock)


def one_due(store, cipher, n=1, **overrides):
    with store.transaction() as connection:
        return due_survey(connection, cipher, n, **overrides)


def posts(fake):
    return sum(1 for request in fake.requests if request == POSTS)


def test_a_due_message_is_sent_with_its_status_callback(gateway_store, cipher, dispatcher, fake_twilio):
    survey_id, message_id, number = one_due(gateway_store, cipher)
    assert dispatcher.run_once()["sent"] == 1
    [sent] = fake_twilio.sent_to(number)
    assert (sent["from"], sent["body"]) == ("+3197010203040", "Acme: survey 1. Reply 0-10. Reply STOP to opt out.")
    assert sent["status_callback"] == f"https://surveys.example.test/twilio/sms/status?m={message_id}"
    with gateway_store.reading() as connection:
        row, opened, [event] = message(connection, message_id), survey(connection, survey_id), events(connection)
    assert (row["status"], row["provider_sid"], row["attempts"]) == ("queued", sent["sid"], 1)
    assert opened["status"] == "active"
    assert (event["type"], event["id"], event["data"]) == (
        "survey.sent", f"{survey_id}:sent:{message_id}",
        {"surveyid": survey_id, "channel": "sms", "message_id": sent["sid"]})


def test_nothing_is_sent_before_it_is_due_nor_twice(gateway_store, cipher, dispatcher, fake_twilio, clock):
    clock.now = T0 - timedelta(seconds=1)
    one_due(gateway_store, cipher)
    assert dispatcher.run_once()["sent"] == 0
    clock.now = T0
    assert dispatcher.run_once()["sent"] == 1
    assert dispatcher.run_once()["sent"] == 0
    assert posts(fake_twilio) == 1


@pytest.mark.parametrize("code", [21211, 21614, 21612, 21408, 30003])
def test_a_permanent_error_fails_the_message_and_closes_the_survey(gateway_store, cipher, dispatcher, fake_twilio,
                                                                   code):
    survey_id, message_id, number = one_due(gateway_store, cipher)
    fake_twilio.script(number, Failure.code(code))
    assert dispatcher.run_once()["failed"] == 1
    with gateway_store.reading() as connection:
        row, closed, [event] = message(connection, message_id), survey(connection, survey_id), events(connection)
        suppressed = connection.execute(sa.select(sg_suppression)).all()
    assert (row["status"], row["error_code"]) == ("failed", str(code))
    assert (closed["status"], closed["number_enc"]) == ("failed", None)
    assert closed["close_reason"].startswith(f"{code}: ")
    assert (event["type"], event["data"]["code"]) == ("survey.failed", str(code))
    assert suppressed == []


def test_unsubscribed_21610_also_suppresses_the_customer(gateway_store, cipher, dispatcher, fake_twilio):
    survey_id, _, number = one_due(gateway_store, cipher)
    fake_twilio.script(number, Failure.code(21610))
    dispatcher.run_once()
    with gateway_store.reading() as connection:
        [entry] = connection.execute(sa.select(sg_suppression)).mappings().all()
        assert survey(connection, survey_id)["status"] == "failed"
    assert entry["customer_hmac"] == survey_hmac(gateway_store, survey_id)


def survey_hmac(store, survey_id):
    with store.reading() as connection:
        return survey(connection, survey_id)["customer_hmac"]


def test_429_goes_back_to_pending_with_exponential_backoff(gateway_store, cipher, dispatcher, fake_twilio, clock):
    _, message_id, number = one_due(gateway_store, cipher)
    fake_twilio.script(number, Failure.too_many_requests(), Failure.too_many_requests())
    first_try = clock.now
    assert dispatcher.run_once()["retry"] == 1
    with gateway_store.reading() as connection:
        row = message(connection, message_id)
    # attempt 1 failed: wait 5 s.
    assert (row["status"], row["attempts"], row["not_before"]) == ("pending", 1, first_try + timedelta(seconds=5))
    clock.advance(seconds=4)
    assert dispatcher.run_once()["retry"] == 0  # not due yet
    clock.advance(seconds=1)
    assert dispatcher.run_once()["retry"] == 1
    with gateway_store.reading() as connection:
        row = message(connection, message_id)
    # attempt 2 failed at first_try + 5 s: wait 10 s.
    assert row["not_before"] == first_try + timedelta(seconds=5 + 10)
    clock.advance(seconds=10)
    assert dispatcher.run_once()["sent"] == 1
    assert (posts(fake_twilio), len(fake_twilio.sent_to(number))) == (3, 1)


def test_a_5xx_is_unknown_never_resent_and_failed_when_not_found(gateway_store, cipher, dispatcher, fake_twilio,
                                                                 clock):
    survey_id, message_id, number = one_due(gateway_store, cipher)
    fake_twilio.script(number, Failure.server_error())
    assert dispatcher.run_once()["unknown"] == 1
    clock.advance(seconds=30)
    assert dispatcher.run_once()["sent"] == 0  # unknown is not pending: no second POST
    clock.advance(seconds=31)
    assert dispatcher.run_once()["unknown"] == 1  # looked up, not there yet, still within the grace time
    clock.advance(minutes=15)
    assert dispatcher.run_once()["failed"] == 1
    with gateway_store.reading() as connection:
        row, closed = message(connection, message_id), survey(connection, survey_id)
    assert (row["status"], row["error_code"], closed["status"]) == ("failed", "unknown", "failed")
    assert posts(fake_twilio) == 1


def test_a_timeout_is_unknown_then_reconciled_by_lookup(gateway_store, gateway_settings, cipher, fake_twilio, clock):
    slow = dispatcher_for(gateway_store, gateway_settings, fake_twilio, clock, timeout=0.3)
    survey_id, message_id, number = one_due(gateway_store, cipher)
    fake_twilio.script(number, Failure.slow(1.0))  # Twilio creates the message, answers too late
    assert slow.run_once()["unknown"] == 1
    clock.advance(seconds=61)
    assert slow.run_once()["reconciled"] == 1
    [sent] = fake_twilio.sent_to(number)
    with gateway_store.reading() as connection:
        row, opened, [event] = message(connection, message_id), survey(connection, survey_id), events(connection)
    assert (row["status"], row["provider_sid"]) == ("queued", sent["sid"])
    assert (opened["status"], event["type"]) == ("active", "survey.sent")
    assert posts(fake_twilio) == 1


def test_a_suppressed_customer_is_never_texted(gateway_store, cipher, dispatcher, fake_twilio):
    survey_id, message_id, _ = one_due(gateway_store, cipher)
    with gateway_store.transaction() as connection:
        suppress(connection, survey(connection, survey_id)["customer_hmac"], "default", "STOP", T0)
    assert dispatcher.run_once()["cancelled"] == 1
    with gateway_store.reading() as connection:
        row, closed = message(connection, message_id), survey(connection, survey_id)
    assert (row["status"], closed["status"], closed["number_enc"]) == ("cancelled", "opted_out", None)
    assert posts(fake_twilio) == 0


def test_overdue_surveys_expire_with_their_unsent_messages(gateway_store, cipher, dispatcher, fake_twilio, clock):
    survey_id, message_id, _ = one_due(gateway_store, cipher, expires_at=T0 + timedelta(seconds=30))
    assert dispatcher.run_once()["expired"] == 1
    with gateway_store.reading() as connection:
        row, closed, [event] = message(connection, message_id), survey(connection, survey_id), events(connection)
    assert (row["status"], closed["status"], closed["number_enc"]) == ("cancelled", "expired", None)
    assert closed["closed_at"] == clock.now
    assert (event["type"], event["id"]) == ("survey.expired", f"{survey_id}:expired")
    assert posts(fake_twilio) == 0


def test_one_reminder_for_an_unanswered_survey_none_once_answered(gateway_store, cipher, dispatcher, fake_twilio,
                                                                   clock):
    with gateway_store.transaction() as connection:
        quiet_id, _, quiet_number = due_survey(connection, cipher, 1, status="active", reminder_at=T0)
        answered_id, _, _ = due_survey(connection, cipher, 2, status="active", reminder_at=T0)
        connection.execute(sa.update(sg_message).values(status="delivered"))
        connection.execute(sa.insert(sg_answer).values(survey_id=answered_id, instrument="nps", score=9,
                                                       answered_at=T0, via="sms"))
    assert dispatcher.run_once()["reminders"] == 1
    assert dispatcher.run_once()["reminders"] == 0
    [reminder] = fake_twilio.sent_to(quiet_number)
    assert reminder["body"].startswith("Acme: a gentle reminder") and "0 (not at all likely)" in reminder["body"]
    with gateway_store.reading() as connection:
        assert survey(connection, quiet_id)["reminder_at"] is None
        kinds = connection.execute(sa.select(sg_message.c.survey_id, sg_message.c.kind)
                                   .order_by(sg_message.c.id)).all()
    assert [tuple(k) for k in kinds] == [(quiet_id, "first"), (answered_id, "first"), (quiet_id, "reminder")]


def test_two_dispatchers_send_each_of_200_messages_exactly_once(gateway_store, gateway_settings, cipher, fake_twilio,
                                                                 clock):
    with gateway_store.transaction() as connection:
        for n in range(200):
            due_survey(connection, cipher, n)
    stores = [Store(gateway_store.url), Store(gateway_store.url)]  # own engines: own connections
    dispatchers = [dispatcher_for(store, gateway_settings, fake_twilio, clock) for store in stores]
    start = threading.Barrier(2)
    counts = []

    def run(dispatcher):
        start.wait()
        counts.append(dispatcher.run_once())

    threads = [threading.Thread(target=run, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.dispose()
    assert sum(count["sent"] for count in counts) == 200
    assert posts(fake_twilio) == 200
    assert all(len(fake_twilio.sent_to(number_of(n))) == 1 for n in range(200))
    with gateway_store.reading() as connection:
        statuses = connection.execute(sa.select(sg_message.c.status, sa.func.count()).group_by(sg_message.c.status))
        assert dict(statuses.all()) == {"queued": 200}


def test_a_later_message_of_an_active_survey_does_not_send_survey_sent_again(gateway_store, cipher, dispatcher):
    survey_id, _, _ = one_due(gateway_store, cipher, status="active")
    with gateway_store.transaction() as connection:
        connection.execute(sa.update(sg_message).values(kind="question"))
        enqueue(connection, survey_id, "thanks", "Acme: thank you.", T0, T0)
    assert dispatcher.run_once()["sent"] == 2
    with gateway_store.reading() as connection:
        assert events(connection) == []


def test_a_number_under_another_key_is_parked_unsent(gateway_store, dispatcher, fake_twilio, clock):
    _, message_id, _ = one_due(gateway_store, NumberCipher(Fernet.generate_key()))
    assert dispatcher.run_once()["parked"] == 1
    with gateway_store.reading() as connection:
        row = message(connection, message_id)
    # Back to pending, parked for the longest backoff (15 min) until the key is fixed.
    assert (row["status"], row["not_before"]) == ("pending", clock.now + timedelta(minutes=15))
    assert "does not decrypt with this key" in row["error"]
    assert posts(fake_twilio) == 0


def test_a_survey_of_a_centre_no_longer_configured_fails_without_sending(gateway_store, cipher, dispatcher,
                                                                          fake_twilio):
    survey_id, message_id, _ = one_due(gateway_store, cipher, centre="closed-down")
    assert dispatcher.run_once()["failed"] == 1
    with gateway_store.reading() as connection:
        row, closed = message(connection, message_id), survey(connection, survey_id)
    assert (row["status"], row["error_code"], closed["status"]) == ("failed", "config", "failed")
    assert "centre 'closed-down' has no survey configuration" in closed["close_reason"]
    assert posts(fake_twilio) == 0
