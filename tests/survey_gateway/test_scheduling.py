"""Completed contacts → surveys, through a real ingest on SQLite and PostgreSQL: one survey and
its first message in the contact's transaction, the number only encrypted (and its key kept
safe), idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from callkpi.connectors import RawEvent
from callkpi.store.ingest import Ingestor
from callkpi.store.privacy import CustomerHasher
from callkpi.testing import TEST_HMAC_KEY, abandoned_contact, contact_timeline, event_factory
from callkpi_survey_gateway import policy
from callkpi_survey_gateway.crypto import NumberCipher, NumberKeyError
from callkpi_survey_gateway.messages import render
from callkpi_survey_gateway.scheduling import e164_number, schedule_surveys
from callkpi_survey_gateway.tables import sg_event_outbox, sg_message, sg_pending_number, sg_survey, sg_web_token

HASHER = CustomerHasher(TEST_HMAC_KEY)
DUTCH_MOBILE = "+31612345678"


@pytest.fixture
def ingest(gateway_store, gateway_pm):
    ingestor = Ingestor(gateway_store, gateway_pm, HASHER)

    def run(events):
        return ingestor.ingest_batch([RawEvent(event, "test") for event in events])

    return run


def offered_in_an_hour() -> datetime:
    # Ahead of now, so the policy's due time is ended + delay rather than "now" (events may be
    # up to 24 h ahead of the clock).
    return (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)


def rows(store, table, order):
    with store.reading() as connection:
        return [dict(row) for row in connection.execute(sa.select(table).order_by(order)).mappings()]


def test_a_completed_contact_gets_one_survey_and_its_first_sms(gateway_store, gateway_settings, ingest):
    offered = offered_in_an_hour()
    # offered + 20 s wait + 180 s talk = ended; + 300 s delay = due; + 24 h expiry.
    ingest(contact_timeline(event_factory(), "c-1", offered, customer="+31 6 1234 5678", agentid="a-7"))
    [survey] = rows(gateway_store, sg_survey, sg_survey.c.id)
    due = offered + timedelta(seconds=20 + 180 + 300)
    assert (survey["contactid"], survey["agentid"], survey["queue"], survey["status"]) == ("c-1", "a-7", "sales",
                                                                                          "scheduled")
    assert (survey["due_at"], survey["expires_at"]) == (due, due + timedelta(hours=24))
    assert (survey["language"], survey["instruments"], survey["channel"]) == ("nl", ["nps", "csat"], "sms")
    assert survey["timezones"] == ["Europe/Amsterdam"]
    assert survey["customer_hmac"] == HASHER.hash(DUTCH_MOBILE)
    assert DUTCH_MOBILE not in survey["number_enc"]
    assert NumberCipher.from_settings(gateway_settings).decrypt(survey["number_enc"]) == DUTCH_MOBILE
    [message] = rows(gateway_store, sg_message, sg_message.c.id)
    assert (message["survey_id"], message["kind"], message["status"], message["not_before"]) == (
        survey["id"], "first", "pending", due)
    assert message["body"].startswith("Acme") and "STOP" in message["body"]


def test_the_scheduled_event_is_queued_with_the_contact(gateway_store, gateway_settings, ingest):
    offered = offered_in_an_hour()
    ingest(contact_timeline(event_factory(), "c-1", offered, customer=DUTCH_MOBILE, agentid="a-7"))
    [survey] = rows(gateway_store, sg_survey, sg_survey.c.id)
    [event] = rows(gateway_store, sg_event_outbox, sg_event_outbox.c.id)
    body = __import__("json").loads(event["body"])
    assert (body["type"], body["id"], body["contactid"], body["agentid"], body["queue"]) == (
        "survey.scheduled", f"{survey['id']}:scheduled", "c-1", "a-7", "sales")
    assert body["data"] == {"surveyid": survey["id"], "instruments": ["nps", "csat"], "channel": "sms",
                            "language": "nl", "due_at": survey["due_at"].isoformat()}
    assert event["flushed_at"] is None


def test_a_contact_reported_twice_keeps_one_survey(gateway_store, gateway_settings, gateway_pm, ingest):
    ingest(contact_timeline(event_factory(), "c-1", offered_in_an_hour(), customer=DUTCH_MOBILE))
    with gateway_store.transaction() as connection:
        contact = dict(connection.execute(sa.text("select * from fact_contact")).mappings().one())
        again = schedule_surveys(connection, [contact], {(contact["centre"], "c-1"): DUTCH_MOBILE})
    assert again == []
    assert len(rows(gateway_store, sg_survey, sg_survey.c.id)) == 1
    assert len(rows(gateway_store, sg_message, sg_message.c.id)) == 1


def test_a_number_sent_batches_before_the_contact_ends_is_kept_encrypted_until_then(
        gateway_store, gateway_settings, ingest):
    # A live feed: contact.offered (with the number) and contact.answered in one batch, the
    # end and the wrap-up in the next.
    offered, answered, ended, wrapped = contact_timeline(event_factory(), "c-1", offered_in_an_hour(),
                                                         customer=DUTCH_MOBILE, agentid="a-7")
    ingest([offered, answered])
    [kept] = rows(gateway_store, sg_pending_number, sg_pending_number.c.contactid)
    assert (kept["contactid"], DUTCH_MOBILE in kept["number_enc"]) == ("c-1", False)
    assert rows(gateway_store, sg_survey, sg_survey.c.id) == []
    ingest([ended, wrapped])
    [survey] = rows(gateway_store, sg_survey, sg_survey.c.id)
    assert NumberCipher.from_settings(gateway_settings).decrypt(survey["number_enc"]) == DUTCH_MOBILE
    # Taken when the contact completed: the gateway holds the number only with its survey.
    assert rows(gateway_store, sg_pending_number, sg_pending_number.c.contactid) == []


def test_no_survey_without_a_valid_number_or_for_an_abandoned_call(gateway_store, gateway_settings, ingest):
    make = event_factory()
    offered = offered_in_an_hour()
    ingest(contact_timeline(make, "no-number", offered)
           + contact_timeline(make, "bad-number", offered, customer="12")
           + abandoned_contact(make, "gave-up", offered, customer="+31612345679"))
    assert rows(gateway_store, sg_survey, sg_survey.c.id) == []
    assert rows(gateway_store, sg_event_outbox, sg_event_outbox.c.id) == []


def test_a_web_survey_sends_an_invitation_link(gateway_store, gateway_settings, survey_config, ingest):
    policy.use_configs({"default": survey_config.model_copy(update={"channel": "web"})})
    ingest(contact_timeline(event_factory(), "c-1", offered_in_an_hour(), customer=DUTCH_MOBILE))
    [message] = rows(gateway_store, sg_message, sg_message.c.id)
    [token] = rows(gateway_store, sg_web_token, sg_web_token.c.token_hash)
    assert message["kind"] == "web_invite"
    assert f"{gateway_settings.public_base_url}/s/" in message["body"]
    assert token["survey_id"] == message["survey_id"]


@pytest.mark.parametrize(("given", "expected"), [
    ("+31 6 1234 5678", DUTCH_MOBILE), ("+31612345678", DUTCH_MOBILE), ("+1 (415) 555-2671", "+14155552671"),
    ("0612345678", None),  # no country code: which country is not ours to guess
    ("12", None), ("", None), (None, None),
])
def test_numbers_are_normalised_to_e164_or_refused(given, expected):
    assert e164_number(given) == expected


def test_the_number_key_file_is_made_owner_only_and_reused(tmp_path, gateway_settings):
    settings = gateway_settings.model_copy(update={"key": None, "key_file": tmp_path / "keys" / "survey.key"})
    token = NumberCipher.from_settings(settings).encrypt(DUTCH_MOBILE)
    assert oct(settings.key_file.stat().st_mode & 0o777) == "0o600"
    assert NumberCipher.from_settings(settings).decrypt(token) == DUTCH_MOBILE


def test_a_key_file_others_can_read_is_refused(tmp_path, gateway_settings):
    key_file = tmp_path / "survey.key"
    key_file.write_text("x")
    key_file.chmod(0o644)
    settings = gateway_settings.model_copy(update={"key": None, "key_file": key_file})
    with pytest.raises(NumberKeyError, match=rf"{key_file} has mode 0644; expected 0600.*chmod 600"):
        NumberCipher.from_settings(settings)


def test_a_malformed_key_is_refused_with_what_a_key_looks_like(gateway_settings):
    with pytest.raises(NumberKeyError, match=r"not a Fernet key.*32 url-safe base64-encoded bytes"):
        NumberCipher.from_settings(gateway_settings.model_copy(update={"key": "short"}))


def test_both_channels_ask_by_sms_with_the_link_after_the_question(gateway_store, gateway_settings, survey_config,
                                                                   ingest):
    policy.use_configs({"default": survey_config.model_copy(update={"channel": "both"})})
    ingest(contact_timeline(event_factory(), "c-1", offered_in_an_hour(), customer=DUTCH_MOBILE))
    [message] = rows(gateway_store, sg_message, sg_message.c.id)
    question, link = message["body"].rsplit(" ", 1)
    assert message["kind"] == "first"
    assert question == render("first", "nl", brand="Acme", instrument="nps")  # a Dutch number, nl offered
    assert link.startswith(f"{gateway_settings.public_base_url}/s/")


def test_ingest_into_a_store_the_gateway_never_opened_migrates_its_tables_first(store, gateway_settings, gateway_pm):
    # `callkpi ingest` in a process that never ran the gateway: the hook brings the tables up
    # inside the batch's transaction, then schedules.
    Ingestor(store, gateway_pm, HASHER).ingest_batch(
        [RawEvent(event, "test") for event in contact_timeline(event_factory(), "c-1", offered_in_an_hour(),
                                                                 customer=DUTCH_MOBILE)])
    assert [row["contactid"] for row in rows(store, sg_survey, sg_survey.c.id)] == ["c-1"]
