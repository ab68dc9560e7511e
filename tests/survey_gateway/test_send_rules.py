"""The send-time rules through the real dispatcher, the official Twilio SDK and the fake Twilio,
on SQLite and PostgreSQL: what the fake Twilio received when a backlog, a restart, a back-off,
an opt-out, the frequency cap or an expiry meets quiet hours in the customer's own zone.

Quiet hours are the defaults (allowed 09:00–20:00 on weekdays and Saturdays, 12:00–20:00 on
Sundays, local time of the number). T0 is Monday 2 March 2026 10:00 UTC; every clock is the
test's own, never the real time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fake_twilio import Failure
from gateway_testing import SMS_FROM
from outbox_rows import T0, due_survey, events, message, survey
from twilio.rest import Client

from callkpi_survey_gateway.channels.twilio import RedirectingHttpClient, TwilioChannel
from callkpi_survey_gateway.config import SurveyConfig
from callkpi_survey_gateway.crypto import NumberCipher
from callkpi_survey_gateway.decisions import decisions_of
from callkpi_survey_gateway.dispatch_loop import centre_sender, reminder_text
from callkpi_survey_gateway.dispatcher import Dispatcher
from callkpi_survey_gateway.outbox import enqueue
from callkpi_survey_gateway.suppression import suppress
from callkpi_survey_gateway.tables import sg_message, sg_survey

SHANGHAI = "+8613812345678"  # Asia/Shanghai, UTC+8 all year
BRISBANE = "+61733331234"  # Australia/Brisbane, UTC+10, no DST
PORT_MORESBY = "+67570123456"  # Pacific/Port_Moresby, UTC+10
KATHMANDU = "+9779812345678"  # Asia/Kathmandu, UTC+05:45
NEWFOUNDLAND = "+17095551234"  # area 709: America/St_Johns (−03:30 in March) and America/Halifax (−04:00)


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


class Clock:
    """A settable clock; ``send_takes`` moves it on by that much with every send (a slow provider)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class SlowChannel(TwilioChannel):
    """The real Twilio channel whose every send takes ``took`` of the test clock's time."""

    def __init__(self, client: Client, clock: Clock, took: timedelta):
        super().__init__(client)
        self.clock, self.took = clock, took

    def send(self, *args, **kwargs):
        sent = super().send(*args, **kwargs)
        self.clock.now += self.took
        return sent


@pytest.fixture
def survey_config() -> SurveyConfig:
    """Centre ``default`` with the default quiet hours and 30-day frequency cap."""
    return SurveyConfig(brand="Acme", instruments=["nps", "csat"], sms_from=SMS_FROM, languages=["en", "nl"])


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def cipher(gateway_settings):
    return NumberCipher.from_settings(gateway_settings)


def client_for(settings, fake) -> Client:
    return Client(settings.twilio_account_sid, settings.twilio_auth_token,
                  http_client=RedirectingHttpClient(fake.base_url, timeout=15.0))


def dispatcher_for(store, settings, fake, clock, *, took=None, parallel_sends=8) -> Dispatcher:
    client = client_for(settings, fake)
    channel = TwilioChannel(client) if took is None else SlowChannel(client, clock, took)
    return Dispatcher(store, channel, settings, senders=centre_sender, render_reminder=reminder_text, clock=clock,
                      parallel_sends=parallel_sends)


@pytest.fixture
def dispatcher(gateway_store, gateway_settings, fake_twilio, clock):
    return dispatcher_for(gateway_store, gateway_settings, fake_twilio, clock)


def due(store, cipher, n, number, due_at, **overrides):
    """Survey ``n`` to ``number``, its first message due at ``due_at``, expiring 24 h later."""
    with store.transaction() as connection:
        return due_survey(connection, cipher, n, number=number, due_at=due_at,
                          expires_at=due_at + timedelta(hours=24), **overrides)


def survey_table_update(survey_id, **values):
    return sg_survey.update().where(sg_survey.c.id == survey_id).values(**values)


def message_table_update(message_id, **values):
    return sg_message.update().where(sg_message.c.id == message_id).values(**values)


def why(store, contactid):
    with store.reading() as connection:
        return [(row["decision"], row["reason_code"], row["until"]) for row in decisions_of(connection, contactid)]


def pending_until(store, message_id):
    with store.reading() as connection:
        row = message(connection, message_id)
    return row["status"], row["not_before"]


def test_a_backlog_released_at_23_00_local_waits_for_the_morning(gateway_store, cipher, dispatcher, fake_twilio,
                                                                 clock):
    # Three surveys due at 19:30 Shanghai time (11:30 UTC); the dispatcher gets to them only at
    # 23:00 local (15:00 UTC). The next allowed moment is Tuesday 09:00 local = 01:00 UTC.
    backlog = [due(gateway_store, cipher, n, f"+861381234567{n}", utc(2, 11, 30)) for n in range(3)]
    clock.now = utc(2, 15)
    assert dispatcher.run_once()["waiting"] == 3
    assert fake_twilio.sent_to(backlog[0][2]) == [] and all(not fake_twilio.sent_to(n) for _, _, n in backlog)
    for _, message_id, _ in backlog:
        assert pending_until(gateway_store, message_id) == ("pending", utc(3, 1))
    assert why(gateway_store, "c-0") == [("quiet_hours_wait", "quiet_hours", utc(3, 1))]
    clock.now = utc(3, 0, 59, 59)  # 08:59:59 local
    assert dispatcher.run_once()["sent"] == 0
    clock.now = utc(3, 1)  # 09:00 local
    assert dispatcher.run_once()["sent"] == 3
    assert all(len(fake_twilio.sent_to(number)) == 1 for _, _, number in backlog)
    assert why(gateway_store, "c-0")[-1][:2] == ("sent", "accepted")


def test_a_restart_after_a_nights_downtime_sends_nothing_before_the_window(gateway_store, gateway_settings, cipher,
                                                                           fake_twilio, clock):
    # One survey goes at 19:50 Shanghai (11:50 UTC); the dispatcher then stops. Another, due
    # 19:55 local, is still pending when a new dispatcher starts at 06:00 local (22:00 UTC).
    _, _, early = due(gateway_store, cipher, 1, "+8613812345671", utc(2, 11, 50))
    _, late_id, late = due(gateway_store, cipher, 2, "+8613812345672", utc(2, 11, 55))
    clock.now = utc(2, 11, 50)
    assert dispatcher_for(gateway_store, gateway_settings, fake_twilio, clock).run_once()["sent"] == 1
    clock.now = utc(2, 22)
    restarted = dispatcher_for(gateway_store, gateway_settings, fake_twilio, clock)
    assert restarted.run_once()["waiting"] == 1
    assert (len(fake_twilio.sent_to(early)), fake_twilio.sent_to(late)) == (1, [])
    assert pending_until(gateway_store, late_id) == ("pending", utc(3, 1))  # Tuesday 09:00 local
    clock.now = utc(3, 1)
    assert restarted.run_once()["sent"] == 1


def test_a_429_back_off_crossing_into_quiet_hours_waits_for_the_morning(gateway_store, cipher, dispatcher,
                                                                        fake_twilio, clock):
    # 19:59:55 Shanghai: Twilio answers 429, the back-off is 5 s, so the retry falls at 20:00:00
    # local, the first quiet second. It must not go then but at 09:00 the next day.
    _, message_id, number = due(gateway_store, cipher, 1, SHANGHAI, utc(2, 11, 59, 50))
    fake_twilio.script(number, Failure.too_many_requests())
    clock.now = utc(2, 11, 59, 55)
    assert dispatcher.run_once()["retry"] == 1
    assert pending_until(gateway_store, message_id) == ("pending", utc(2, 12))
    clock.now = utc(2, 12)
    assert dispatcher.run_once()["waiting"] == 1
    assert fake_twilio.sent_to(number) == []
    with gateway_store.reading() as connection:
        row = message(connection, message_id)
    # the wait took back its claim: one attempt so far (the 429), so a later back-off starts at 5 s
    assert (row["status"], row["not_before"], row["attempts"]) == ("pending", utc(3, 1), 1)
    assert row["error"].startswith("quiet hours (20:00 in Asia/Shanghai)")
    clock.now = utc(3, 1)
    assert dispatcher.run_once()["sent"] == 1
    assert len(fake_twilio.sent_to(number)) == 1


def test_a_customer_opting_out_between_scheduling_and_sending_is_never_texted(gateway_store, cipher, dispatcher,
                                                                              fake_twilio, clock):
    survey_id, message_id, number = due(gateway_store, cipher, 1, SHANGHAI, T0)
    with gateway_store.transaction() as connection:  # e.g. Twilio's 21610 on another centre's survey
        suppress(connection, survey(connection, survey_id)["customer_hmac"], "default", "STOP", T0)
    clock.now = T0 + timedelta(minutes=1)
    assert dispatcher.run_once()["cancelled"] == 1
    assert fake_twilio.sent_to(number) == []
    with gateway_store.reading() as connection:
        assert message(connection, message_id)["status"] == "cancelled"
        assert survey(connection, survey_id)["status"] == "opted_out"
    assert why(gateway_store, "c-1") == [("opted_out", "opted_out", None)]


def test_the_frequency_cap_reached_between_scheduling_and_sending_sends_one_survey(gateway_store, cipher,
                                                                                   dispatcher, fake_twilio, clock):
    # Two calls of one customer were scheduled before either survey went (two ingest processes
    # at once): the first goes, the second would text them again within the 30-day cap, which
    # ends after its 24 h expiry, so it expires unsent.
    _, _, number = due(gateway_store, cipher, 1, SHANGHAI, T0)
    second_id, second_message, _ = due(gateway_store, cipher, 2, SHANGHAI, T0)
    clock.now = T0 + timedelta(minutes=1)
    counts = dispatcher.run_once()
    assert (counts["sent"], counts["expired_unsent"]) == (1, 1)
    assert len(fake_twilio.sent_to(number)) == 1
    with gateway_store.reading() as connection:
        assert message(connection, second_message)["status"] == "cancelled"
        closed = survey(connection, second_id)
        expired = [event for event in events(connection) if event["type"] == "survey.expired"]
    assert closed["status"] == "expired" and "30-day frequency cap" in closed["close_reason"]
    assert [event["data"]["surveyid"] for event in expired] == [second_id]
    assert why(gateway_store, "c-2") == [("expired", "capped", None)]


def test_a_survey_that_expires_during_a_slow_pass_is_not_sent(gateway_store, gateway_settings, cipher, fake_twilio,
                                                              clock):
    # Both due at 10:00 UTC (18:00 Shanghai); the second expires at 10:20. Each send takes the
    # provider 30 minutes and the dispatcher sends one at a time, so when it reaches the
    # second it is 10:30: expired.
    _, _, first = due(gateway_store, cipher, 1, "+8613812345671", T0)
    second_id, _, second = due(gateway_store, cipher, 2, "+8613812345672", T0)
    with gateway_store.transaction() as connection:
        connection.execute(survey_table_update(second_id, expires_at=T0 + timedelta(minutes=20)))
    slow = dispatcher_for(gateway_store, gateway_settings, fake_twilio, clock, took=timedelta(minutes=30),
                          parallel_sends=1)
    counts = slow.run_once()
    assert (counts["sent"], counts["expired_unsent"]) == (1, 1)
    assert (len(fake_twilio.sent_to(first)), fake_twilio.sent_to(second)) == (1, [])
    with gateway_store.reading() as connection:
        assert survey(connection, second_id)["status"] == "expired"
    assert why(gateway_store, "c-2") == [("expired", "expired", None)]


def test_a_survey_whose_next_allowed_moment_is_after_its_expiry_expires_unsent(gateway_store, cipher, dispatcher,
                                                                               fake_twilio, clock):
    # Due 19:30 Shanghai, expiring at 08:30 the next morning; at 23:00 local the next allowed
    # moment (09:00) is after the expiry, so the survey expires now, never sent.
    survey_id, _, number = due(gateway_store, cipher, 1, SHANGHAI, utc(2, 11, 30))
    with gateway_store.transaction() as connection:
        connection.execute(survey_table_update(survey_id, expires_at=utc(3, 0, 30)))
    clock.now = utc(2, 15)
    assert dispatcher.run_once()["expired_unsent"] == 1
    assert fake_twilio.sent_to(number) == []
    with gateway_store.reading() as connection:
        assert survey(connection, survey_id)["status"] == "expired"
    assert why(gateway_store, "c-1") == [("expired", "quiet_hours", None)]


@pytest.mark.parametrize(("number", "at", "waits_until"), [
    # UTC+10: 19:55 local is 09:55 UTC (goes); 20:05 is 10:05 UTC, waits for 09:00 = 23:00 UTC
    (BRISBANE, utc(2, 9, 55), None),
    (BRISBANE, utc(2, 10, 5), utc(2, 23)),
    (PORT_MORESBY, utc(2, 9, 55), None),
    (PORT_MORESBY, utc(2, 10, 5), utc(2, 23)),
    # UTC+05:45: 19:55 local is 14:10 UTC; 20:05 is 14:20 UTC, waits for 09:00 = 03:15 UTC
    (KATHMANDU, utc(2, 14, 10), None),
    (KATHMANDU, utc(2, 14, 20), utc(3, 3, 15)),
    (KATHMANDU, utc(3, 3, 14), utc(3, 3, 15)),  # 08:59 local
    # St John's −03:30 and Halifax −04:00: 19:55 St John's is 23:25 UTC (19:25 Halifax) and goes;
    # 20:05 St John's (23:35 UTC) is quiet there, and the window opens when it is 09:00 in
    # both: Halifax's 09:00, 13:00 UTC (09:30 St John's)
    (NEWFOUNDLAND, utc(2, 23, 25), None),
    (NEWFOUNDLAND, utc(2, 23, 35), utc(3, 13)),
])
def test_quiet_hours_are_the_numbers_own_zones(gateway_store, cipher, dispatcher, fake_twilio, clock, number, at,
                                               waits_until):
    _, message_id, _ = due(gateway_store, cipher, 1, number, at - timedelta(minutes=30))
    clock.now = at
    counts = dispatcher.run_once()
    if waits_until is None:
        assert counts["sent"] == 1 and len(fake_twilio.sent_to(number)) == 1
    else:
        assert counts["waiting"] == 1 and fake_twilio.sent_to(number) == []
        assert pending_until(gateway_store, message_id) == ("pending", waits_until)


def test_a_reply_in_a_conversation_goes_at_once_but_not_hours_later(gateway_store, cipher, dispatcher, fake_twilio,
                                                                    clock):
    # The customer answers the first question at 20:05 Shanghai (12:05 UTC): the next question
    # answers their own text and goes. A reminder queued then waits for the morning, and so
    # does a reply left behind for more than 15 minutes.
    survey_id, first_id, number = due(gateway_store, cipher, 1, SHANGHAI, utc(2, 11), status="active")
    with gateway_store.transaction() as connection:
        connection.execute(message_table_update(first_id, status="delivered"))
        question = enqueue(connection, survey_id, "question", "Acme: CSAT 1-5?", utc(2, 12, 5), utc(2, 12, 5))
        reminder = enqueue(connection, survey_id, "reminder", "Acme: reminder", utc(2, 12, 5), utc(2, 12, 5))
        stale = enqueue(connection, survey_id, "reprompt", "Acme: 1 to 5?", utc(2, 11, 40), utc(2, 11, 40))
    clock.now = utc(2, 12, 5)
    counts = dispatcher.run_once()
    assert (counts["sent"], counts["waiting"]) == (1, 2)
    assert [sent["body"] for sent in fake_twilio.sent_to(number)] == ["Acme: CSAT 1-5?"]
    assert pending_until(gateway_store, reminder) == ("pending", utc(3, 1))
    assert pending_until(gateway_store, stale) == ("pending", utc(3, 1))
    with gateway_store.reading() as connection:
        assert message(connection, question)["status"] == "queued"
