"""A survey asked for one contact: ``POST /v1/surveys`` through a real ``callkpi serve`` app
(uvicorn on 127.0.0.1, the background dispatcher, the fake Twilio) and ``callkpi survey send``
in a subprocess, on SQLite and PostgreSQL, after a real ingest of the contacts.

Centre ``default`` samples nobody (``sampling_rate`` 0), so every ingested contact is skipped
(``sampled_out``) and only a request makes a survey; a request is never sampled, but every
other rule refuses it with its reason code:

=====  ====================================  =========================================
id     contact                               request
=====  ====================================  =========================================
c-1    answered, Dutch mobile ``…5001``      202, in English as asked; the SMS goes out
c-1    again                                 409 ``already_surveyed``
c-2    answered, same mobile as c-1          422 ``capped`` (c-1's survey is today)
c-3    answered, opted-out mobile            422 ``opted_out``
c-4    abandoned                             422 ``ineligible``
c-5    answered, no number                   422 ``no_number``
nope   never ingested                        404 ``unknown_contact``
=====  ====================================  =========================================
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from gateway_testing import SMS_FROM

from callkpi.api.main import create_app
from callkpi.settings import Settings
from callkpi.store.apikeys import create_api_key
from callkpi.store.centres import add_centre
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY, abandoned_contact, contact_timeline, event_factory
from callkpi_survey_gateway.decisions import decisions_of
from callkpi_survey_gateway.messages import render
from callkpi_survey_gateway.suppression import suppress
from live_server import live_server

CALLKPI = Path(sys.executable).parent / "callkpi"
MOBILE, OPTED_OUT = "+31612345001", "+31612345003"
WAIT_S = 30.0


@pytest.fixture
def survey_config(survey_config):
    return survey_config.model_copy(update={"sampling_rate": 0.0})


@pytest.fixture
def served(gateway_store, gateway_settings, gateway_pm, fake_twilio) -> Iterator[str]:
    app = create_app(Settings(database_url=gateway_store.url, hmac_key=TEST_HMAC_KEY.hex()))
    with live_server(app) as base_url:
        yield base_url
    app.state.callkpi.store.dispose()


def key_of(store, scope: str, centre: str = "default") -> dict[str, str]:
    with store.transaction() as connection:
        key, _ = create_api_key(connection, scope, centre)
    return {"Authorization": f"Bearer {key}"}


def ingest_contacts(base_url: str, store) -> None:
    with store.transaction() as connection:
        suppress(connection, CustomerHasher(TEST_HMAC_KEY).hash(OPTED_OUT), "default", "STOP", datetime.now(UTC))
    offered = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    make = event_factory("pbx")
    events = [*contact_timeline(make, "c-1", offered, customer=MOBILE),
              *contact_timeline(make, "c-2", offered, customer=MOBILE),
              *contact_timeline(make, "c-3", offered, customer=OPTED_OUT),
              *abandoned_contact(make, "c-4", offered, customer="+31612345004"),
              *contact_timeline(make, "c-5", offered)]
    response = httpx.post(f"{base_url}/v1/events", json=events, headers=key_of(store, "ingest"))
    assert response.status_code == 200, response.text


def wait_for_sms(fake, number: str) -> list[dict]:
    deadline = time.monotonic() + WAIT_S
    while not (sent := fake.sent_to(number)):
        assert time.monotonic() < deadline, f"waited {WAIT_S:g} s for the SMS to {number}"
        time.sleep(0.02)
    return sent


def test_a_requested_survey_goes_out_and_every_refusal_says_why(served, gateway_store, fake_twilio):
    ingest_contacts(served, gateway_store)
    survey_key = key_of(gateway_store, "survey")

    def ask(body: dict, headers: dict | None = None) -> httpx.Response:
        return httpx.post(f"{served}/v1/surveys", json=body, headers=headers or survey_key)

    made = ask({"contact_id": "c-1", "language": "en"})
    assert made.status_code == 202, made.text
    survey = made.json()
    assert survey["survey_id"].startswith("sv_") and len(survey["survey_id"]) == 27
    assert (survey["contact_id"], survey["centre"], survey["channel"], survey["language"]) == (
        "c-1", "default", "sms", "en")
    # due 5 min (delay_s) after the contact ended, which was ~6 min ago: now
    assert abs(datetime.fromisoformat(survey["scheduled_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    [sms] = wait_for_sms(fake_twilio, MOBILE)
    assert sms["body"] == render("first", "en", brand="Acme", instrument="nps") and sms["from"] == SMS_FROM

    refusals = {contactid: ask({"contact_id": contactid}) for contactid in ("c-1", "c-2", "c-3", "c-4", "c-5", "nope")}
    codes = {contactid: (answer.status_code, answer.json()["reason_code"]) for contactid, answer in refusals.items()}
    assert codes == {
        "c-1": (409, "already_surveyed"), "c-2": (422, "capped"), "c-3": (422, "opted_out"),
        "c-4": (422, "ineligible"), "c-5": (422, "no_number"), "nope": (404, "unknown_contact")}
    capped = refusals["c-2"]
    assert capped.headers["content-type"] == "application/problem+json"
    problem = capped.json()
    assert problem["type"] == "urn:callkpi:problem:survey-refused" and problem["errors"][0]["pointer"] == "/contact_id"
    assert problem["detail"].startswith("no survey for contact 'c-2': the customer was last surveyed at ")
    assert "within the 30-day limit" in problem["reason"]
    assert "abandoned contacts are never surveyed" in refusals["c-4"].json()["detail"]
    assert len(fake_twilio.sent_to(MOBILE)) == 1  # nothing more went out

    with gateway_store.reading() as connection:
        c1 = [(row["decision"], row["reason_code"]) for row in decisions_of(connection, "c-1")]
        c2 = [(row["decision"], row["reason_code"]) for row in decisions_of(connection, "c-2")]
    assert c1[:3] == [("skipped", "sampled_out"), ("requested", "requested"), ("scheduled", "due")]
    assert ("refused", "already_surveyed") in c1 and c2[-1] == ("refused", "capped")


def test_only_admin_and_survey_keys_ask_and_only_for_their_centre(served, gateway_store):
    ingest_contacts(served, gateway_store)
    with gateway_store.transaction() as connection:
        add_centre(connection, "rotterdam", "Europe/Amsterdam")
    url = f"{served}/v1/surveys"
    read = httpx.post(url, json={"contact_id": "c-1"}, headers=key_of(gateway_store, "read"))
    assert read.status_code == 403 and "expected 'admin' or 'survey'" in read.json()["detail"]
    # a key bound to another centre asks in its own centre, where c-1 is unknown (and has no config)
    other = httpx.post(url, json={"contact_id": "c-1"}, headers=key_of(gateway_store, "survey", "rotterdam"))
    assert (other.status_code, other.json()["reason_code"]) == (404, "no_config")
    bad = httpx.post(url, json={"contact_id": "c-1", "language": "pl"}, headers=key_of(gateway_store, "admin"))
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"detail": "language = 'pl': expected one the centre offers (en, nl)",
                                     "pointer": "/language"}]
    channel = httpx.post(url, json={"contact_id": "c-1", "channel": "fax"}, headers=key_of(gateway_store, "admin"))
    assert channel.json()["errors"][0]["pointer"] == "/channel" and "expected one of sms, web, both" in channel.text
    made = httpx.post(url, json={"contact_id": "c-1", "channel": "web"}, headers=key_of(gateway_store, "admin"))
    assert made.status_code == 202 and (made.json()["channel"], made.json()["language"]) == ("web", "nl")


def test_survey_send_asks_from_the_command_line(served, gateway_store, gateway_env, fake_twilio):
    ingest_contacts(served, gateway_store)
    env = os.environ | gateway_env | {"CALLKPI_HMAC_KEY": TEST_HMAC_KEY.hex()}

    def survey_send(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(CALLKPI), "survey", "send", *args, "--database", gateway_store.url],
                              env=env, capture_output=True, text=True, timeout=120)

    sent = survey_send("c-1", "--language", "en")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("survey sv_") and " for contact c-1: sms in 'en', scheduled at " in sent.stdout
    survey_id = sent.stdout.split()[1]
    assert len(survey_id) == 27  # never truncated
    wait_for_sms(fake_twilio, MOBILE)  # the served app's dispatcher sends it
    capped = survey_send("c-2")
    assert capped.returncode == 1 and "no survey for contact 'c-2' (capped): the customer was last surveyed" in \
        capped.stderr
    bad = survey_send("c-3", "--channel", "fax")
    assert bad.returncode == 2 and "--channel: channel = 'fax': expected one of sms, web, both" in bad.stderr
