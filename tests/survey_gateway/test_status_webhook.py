"""POST /twilio/sms/status through the real app, on SQLite and PostgreSQL: signature checked
against the public base URL, deduplicated, monotonic, evented, reconciling unclear sends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from gateway_testing import PUBLIC_BASE_URL
from outbox_rows import T0, due_survey, events, message, survey

from callkpi.api.main import create_app
from callkpi.settings import Settings
from callkpi.testing import TEST_HMAC_KEY
from callkpi_survey_gateway.crypto import NumberCipher
from callkpi_survey_gateway.tables import sg_message, sg_status_seen

pytestmark = pytest.mark.anyio
SID = "SM" + "1" * 32
PATH = "/twilio/sms/status"



@pytest.fixture
async def client(gateway_store, gateway_pm) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=gateway_store.url, hmac_key=TEST_HMAC_KEY.hex()), pm=gateway_pm)
    # The app is reached as http://internal:8000 (behind a proxy); Twilio signed the public URL.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://internal:8000") as client:
        yield client
    app.state.callkpi.store.dispose()


@pytest.fixture
def sent(gateway_store, gateway_settings):
    """Survey 1's first message, handed to Twilio as SID (status queued)."""
    with gateway_store.transaction() as connection:
        survey_id, message_id, _ = due_survey(connection, NumberCipher.from_settings(gateway_settings), 1,
                                              status="active")
        connection.execute(sa.update(sg_message).values(status="queued", provider_sid=SID))
    return survey_id, message_id


def callback(message_id, status, sid=SID, **extra):
    return f"{PATH}?m={message_id}", {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status,
                                      "AccountSid": "AC" + "0" * 32, **extra}


@pytest.fixture
def post(client, twilio_signer, gateway_settings):
    """POST a form signed for the public base URL (or ``signed_for``), as Twilio would."""

    async def signed_post(path, params, *, signed_for=None):
        url = signed_for or gateway_settings.public_base_url + path
        return await client.post(path, data=params, headers=twilio_signer.headers(url, params))

    return signed_post


def state(store, survey_id, message_id):
    with store.reading() as connection:
        return message(connection, message_id), survey(connection, survey_id), events(connection)


async def test_sent_then_delivered_then_a_late_sent_changes_nothing(post, gateway_store, sent):
    survey_id, message_id = sent
    for status in ("sent", "delivered", "sent"):
        response = await post(*callback(message_id, status))
        assert response.status_code == 204
    row, _, queued = state(gateway_store, survey_id, message_id)
    assert row["status"] == "delivered"
    assert [(e["type"], e["id"], e["data"]) for e in queued] == [
        ("survey.delivered", f"{survey_id}:delivered:{message_id}", {"surveyid": survey_id, "message_id": SID})]


async def test_a_repeated_callback_is_applied_once(post, gateway_store, sent):
    survey_id, message_id = sent
    for _ in range(3):
        assert (await post(*callback(message_id, "delivered"))).status_code == 204
    _, _, queued = state(gateway_store, survey_id, message_id)
    with gateway_store.reading() as connection:
        seen = connection.execute(sa.select(sg_status_seen.c.message_sid, sg_status_seen.c.status)).all()
    assert [tuple(row) for row in seen] == [(SID, "delivered")]
    assert len(queued) == 1


async def test_undelivered_first_message_fails_the_survey_with_the_error_code(post, gateway_store,
                                                                               sent):
    survey_id, message_id = sent
    await post(*callback(message_id, "undelivered", ErrorCode="30003"))
    row, closed, [event] = state(gateway_store, survey_id, message_id)
    assert (row["status"], row["error_code"]) == ("undelivered", "30003")
    assert (closed["status"], closed["number_enc"], closed["close_reason"]) == (
        "failed", None, "message undelivered (Twilio 30003)")
    assert (event["type"], event["data"]) == ("survey.failed", {"surveyid": survey_id, "code": "30003",
                                                                "reason": "message undelivered (Twilio 30003)"})


async def test_a_callback_reconciles_an_unclear_send_by_its_outbox_id(post, gateway_store,
                                                                       gateway_settings):
    with gateway_store.transaction() as connection:
        survey_id, message_id, _ = due_survey(connection, NumberCipher.from_settings(gateway_settings), 1)
        connection.execute(sa.update(sg_message).values(status="unknown", claimed_at=T0))
    await post(*callback(message_id, "sent"))
    row, opened, [event] = state(gateway_store, survey_id, message_id)
    assert (row["status"], row["provider_sid"]) == ("sent", SID)
    assert (opened["status"], event["type"], event["data"]["message_id"]) == ("active", "survey.sent", SID)


async def test_an_outbox_id_of_another_message_is_ignored(post, gateway_store, sent):
    survey_id, message_id = sent
    response = await post(*callback(message_id, "delivered", sid="SM" + "2" * 32))
    row, _, queued = state(gateway_store, survey_id, message_id)
    assert (response.status_code, row["status"], queued) == (204, "queued", [])


async def test_unsigned_tampered_or_request_url_signed_callbacks_get_403(client, twilio_signer, post, gateway_store,
                                                                         sent):
    survey_id, message_id = sent
    path, params = callback(message_id, "delivered")
    unsigned = await client.post(path, data=params)
    tampered = await client.post(path, data=params | {"MessageStatus": "failed"},
                                 headers=twilio_signer.headers(PUBLIC_BASE_URL + path, params))
    # Signed for the URL the request arrived at, not the configured public one: refused.
    internal = await post(path, params, signed_for="http://internal:8000" + path)
    for response in (unsigned, tampered, internal):
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
    assert "X-Twilio-Signature is missing" in unsigned.json()["detail"]
    assert f"signed for {PUBLIC_BASE_URL}{path}" in tampered.json()["detail"]
    row, _, queued = state(gateway_store, survey_id, message_id)
    assert (row["status"], queued) == ("queued", [])


async def test_a_signed_callback_without_a_status_is_a_400_naming_the_field(post, sent):
    _, message_id = sent
    path, params = callback(message_id, "delivered")
    del params["MessageStatus"]
    response = await post(path, params)
    assert response.status_code == 400
    assert "MessageStatus is missing" in response.json()["detail"]


async def test_a_store_never_opened_by_the_gateway_is_migrated_on_the_first_webhook(store, gateway_pm, twilio_signer):
    app = create_app(Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex()), pm=gateway_pm)
    path, params = callback(1, "delivered")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://internal:8000") as client:
        response = await client.post(path, data=params, headers=twilio_signer.headers(PUBLIC_BASE_URL + path, params))
    app.state.callkpi.store.dispose()
    assert response.status_code == 204  # no such message yet, but the tables are there
    assert "sg_status_seen" in sa.inspect(store.engine).get_table_names()
