"""TwilioChannel: the official SDK against the fake Twilio over loopback — what it posts, and
how every way a send can end maps onto the dispatcher's failure kinds."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from fake_twilio import Failure
from twilio.rest import Client

from callkpi_survey_gateway.channels import AmbiguousSend, NotSent, PermanentFailure, RateLimited, Sender
from callkpi_survey_gateway.channels.twilio import RedirectingHttpClient, TwilioChannel

TO = "+31612345678"
CALLBACK = "https://surveys.example.test/twilio/sms/status?m=7"
FROM_NUMBER = Sender(sms_from="+3197010203040")


def channel_for(fake, *, token=None, timeout=5.0, base_url=None):
    client = Client(fake.account_sid, token or fake.auth_token,
                    http_client=RedirectingHttpClient(base_url or fake.base_url, timeout=timeout))
    return TwilioChannel(client)


def test_send_posts_the_real_form_and_returns_the_message_sid(fake_twilio):
    sent = channel_for(fake_twilio).send(TO, "Acme: 0-10?", status_callback=CALLBACK, sender=FROM_NUMBER)
    [stored] = fake_twilio.sent_to(TO)
    assert (sent.sid, sent.status) == (stored["sid"], "queued")
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert (stored["from"], stored["body"], stored["status_callback"], stored["messaging_service_sid"]) == (
        "+3197010203040", "Acme: 0-10?", CALLBACK, None)


def test_a_messaging_service_replaces_the_from_number(fake_twilio):
    service = "MG" + "a" * 32
    channel_for(fake_twilio).send(TO, "hi", status_callback=CALLBACK, sender=Sender(messaging_service_sid=service))
    [stored] = fake_twilio.sent_to(TO)
    assert (stored["from"], stored["messaging_service_sid"]) == (None, service)


def test_the_settings_point_the_sdk_at_the_fake(fake_twilio, gateway_settings):
    TwilioChannel.from_settings(gateway_settings).send(TO, "hi", status_callback=CALLBACK, sender=FROM_NUMBER)
    assert len(fake_twilio.sent_to(TO)) == 1


@pytest.mark.parametrize("code", [21211, 21610, 21614, 21612, 21408])
def test_a_400_with_a_twilio_code_is_permanent(fake_twilio, code):
    fake_twilio.script(TO, Failure.code(code))
    with pytest.raises(PermanentFailure) as refused:
        channel_for(fake_twilio).send(TO, "hi", status_callback=CALLBACK, sender=FROM_NUMBER)
    assert refused.value.code == str(code)
    assert fake_twilio.sent_to(TO) == []


@pytest.mark.parametrize(("failure", "kind"), [
    (Failure.too_many_requests(), RateLimited),
    (Failure.server_error(), AmbiguousSend),
])
def test_429_is_rate_limited_and_5xx_ambiguous(fake_twilio, failure, kind):
    fake_twilio.script(TO, failure)
    with pytest.raises(kind):
        channel_for(fake_twilio).send(TO, "hi", status_callback=CALLBACK, sender=FROM_NUMBER)


def test_a_reply_too_late_is_ambiguous_though_twilio_has_the_message(fake_twilio):
    fake_twilio.script(TO, Failure.slow(1.0))
    with pytest.raises(AmbiguousSend, match="ReadTimeout"):
        channel_for(fake_twilio, timeout=0.3).send(TO, "hi", status_callback=CALLBACK, sender=FROM_NUMBER)
    assert len(fake_twilio.sent_to(TO)) == 1  # why an unclear send is never simply repeated


def test_refused_credentials_and_a_refused_connection_were_certainly_not_sent(fake_twilio):
    with pytest.raises(NotSent, match="credentials"):
        channel_for(fake_twilio, token="wrong").send(TO, "hi", status_callback=CALLBACK, sender=FROM_NUMBER)
    with socket.socket() as closed:  # a port nobody listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(NotSent, match="could not connect"):
        channel_for(fake_twilio, base_url=f"http://127.0.0.1:{port}").send(TO, "hi", status_callback=CALLBACK,
                                                                          sender=FROM_NUMBER)


def test_find_sent_matches_recipient_body_and_time(fake_twilio):
    channel = channel_for(fake_twilio)
    since = datetime.now(UTC) - timedelta(seconds=5)
    first = channel.send(TO, "question one", status_callback=CALLBACK, sender=FROM_NUMBER)
    channel.send("+31612345679", "question two", status_callback=CALLBACK, sender=FROM_NUMBER)
    assert channel.find_sent(TO, "question one", since).sid == first.sid
    assert channel.find_sent(TO, "question two", since) is None  # sent, but to someone else
    assert channel.find_sent(TO, "question one", since + timedelta(minutes=1)) is None  # older than asked
