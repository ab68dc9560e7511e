"""POST /twilio/sms/inbound through the app on SQLite and PostgreSQL: signatures, dedupe, TwiML,
events flushed to the core, and the detractor webhook fired after commit."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from gateway_testing import PUBLIC_BASE_URL
from survey_factory import CUSTOMER, insert_survey, survey_row

from callkpi.api.main import create_app
from callkpi.settings import Settings
from callkpi.store.tables import StoredEvent
from callkpi.testing import TEST_HMAC_KEY
from callkpi_survey_gateway import detractors, policy
from callkpi_survey_gateway.messages import render
from callkpi_survey_gateway.routes.twilio_inbound import twiml
from callkpi_survey_gateway.tables import sg_event_outbox
from live_server import live_server

PATH = "/twilio/sms/inbound"
URL = PUBLIC_BASE_URL + PATH
WEBHOOK_SECRET = "detractor-secret-0123456789"
pytestmark = pytest.mark.anyio



@pytest.fixture
def app(gateway_store, gateway_settings) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=gateway_store.url, hmac_key=TEST_HMAC_KEY.hex()))
    yield app
    app.state.callkpi.store.dispose()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    # The ASGI transport runs no lifespan, so no background dispatcher races the test; it
    # returns once the app is done, background tasks (detractors, event flush) included.
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.7:8080") as client:  # the proxy's
        yield client


def _open_survey(store, **overrides):
    """A survey sent a minute ago, open for a day (the route works on the wall clock)."""
    now = datetime.now(UTC)
    times = {"created_at": now - timedelta(minutes=1), "due_at": now - timedelta(minutes=1),
             "expires_at": now + timedelta(hours=24)}
    with store.transaction() as connection:
        return insert_survey(connection, **(times | overrides))


@pytest.fixture
def survey(gateway_store):
    return _open_survey(gateway_store)


def _form(body: str, sid: str = "SM" + "1" * 32, **extra: str) -> dict[str, str]:
    return {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": CUSTOMER, "To": "+3197010203040",
            "Body": body, "NumSegments": "1", **extra}


async def _post(client: httpx.AsyncClient, signer, form: dict[str, str], signed_form: dict[str, str] | None = None,
                url: str = URL) -> httpx.Response:
    headers = signer.headers(url, signed_form if signed_form is not None else form)
    return await client.post(PATH, data=form, headers=headers)


def _stored_types(store) -> list[str]:
    """The event types in the core's store, once the flusher thread has emptied the event outbox."""
    deadline = time.monotonic() + 20
    while _unflushed(store) and time.monotonic() < deadline:
        time.sleep(0.02)
    table = StoredEvent.__table__
    with store.reading() as connection:
        return list(connection.execute(sa.select(table.c.type).order_by(table.c.type)).scalars())


def _unflushed(store) -> int:
    with store.reading() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(sg_event_outbox)
                                  .where(sg_event_outbox.c.flushed_at.is_(None))).scalar()


async def test_a_signed_answer_is_applied_and_its_event_reaches_the_core(client, twilio_signer, gateway_store, survey):
    response = await _post(client, twilio_signer, _form("9"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    with gateway_store.reading() as connection:
        assert survey_row(connection, survey["id"])["step"] == 1
    assert _stored_types(gateway_store) == ["survey.response_received"]  # flushed after commit, by the flusher


async def test_the_last_answer_is_thanked_in_twiml(client, twilio_signer, gateway_store):
    _open_survey(gateway_store, step=1)
    response = await _post(client, twilio_signer, _form("5"))
    message = ElementTree.fromstring(response.content).find("Message")
    assert message is not None and message.text == render("thanks", "en", brand="Acme")


def test_twiml_escapes_the_reply():
    assert twiml("Q&A <now>").body == (b'<?xml version="1.0" encoding="UTF-8"?>'
                                       b"<Response><Message>Q&amp;A &lt;now&gt;</Message></Response>")


async def test_unsigned_requests_are_refused(client, gateway_store, survey):
    response = await client.post(PATH, data=_form("9"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "X-Twilio-Signature is missing" in response.json()["detail"]
    with gateway_store.reading() as connection:
        assert survey_row(connection, survey["id"])["step"] == 0


async def test_a_tampered_body_is_refused(client, twilio_signer, gateway_store, survey):
    response = await _post(client, twilio_signer, _form("0"), signed_form=_form("9"))  # signed "9", sent "0"
    assert response.status_code == 403
    with gateway_store.reading() as connection:
        assert survey_row(connection, survey["id"])["step"] == 0


async def test_a_signature_over_the_proxied_url_is_refused(client, twilio_signer, survey):
    # Signed for the URL the app sees behind the proxy: Twilio signs the public one.
    response = await _post(client, twilio_signer, _form("9"), url="http://10.0.0.7:8080" + PATH)
    assert response.status_code == 403


async def test_a_replayed_webhook_changes_nothing(client, twilio_signer, gateway_store, survey):
    first = await _post(client, twilio_signer, _form("9"))
    replay = await _post(client, twilio_signer, _form("9"))
    assert (first.status_code, replay.status_code) == (200, 200)
    with gateway_store.reading() as connection:
        row = survey_row(connection, survey["id"])
    assert (row["step"], row["reprompts"]) == (1, 0)  # not advanced twice
    assert _stored_types(gateway_store) == ["survey.response_received"]


async def test_a_signed_request_without_message_sid_names_the_field(client, twilio_signer):
    form = _form("9")
    del form["MessageSid"]
    response = await _post(client, twilio_signer, form)
    assert response.status_code == 400
    assert response.json()["detail"] == ("form field MessageSid is missing; "
                                         "expected Twilio's incoming message parameters")


class Receiver:
    """The centre's detractor webhook: records each request it gets."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.app = FastAPI()
        self.app.post("/detractor")(self.detractor)

    async def detractor(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=204)


async def test_a_detractor_answer_fires_the_signed_webhook(app, client, twilio_signer, gateway_store, survey_config):
    _open_survey(gateway_store, step=1)
    receiver = Receiver()
    app.state.callkpi.pm.add("survey-detractor-webhook", lambda: detractors)
    with live_server(receiver.app) as base_url:
        policy.use_configs({"default": survey_config.model_copy(update={
            "detractor_webhook_url": f"{base_url}/detractor", "detractor_webhook_secret": WEBHOOK_SECRET})})
        response = await _post(client, twilio_signer, _form("1"))  # CSAT 1 ≤ 2
    assert response.status_code == 200
    [(headers, body)] = receiver.received
    assert detractors.verify_signature(WEBHOOK_SECRET, body, headers["x-callkpi-timestamp"],
                                       headers["x-callkpi-signature"], now=time.time())
    assert b'"instrument":"csat"' in body and b'"score":1.0' in body
    assert CUSTOMER.encode() not in body


def test_the_webhook_documents_its_signed_form(app):
    operation = app.openapi()["paths"][PATH]["post"]
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"MessageSid", "From", "Body"} <= set(form["properties"])
    assert set(form["required"]) == {"MessageSid", "From"}
    assert {"200", "400", "403"} <= set(operation["responses"])


async def test_a_signed_multipart_form_is_read_too(client, twilio_signer, gateway_store, survey):
    # Twilio posts URL-encoded forms; the faster reading of those must not refuse another encoding.
    form = _form("9")
    files = {name: (None, value) for name, value in form.items()}
    response = await client.post(PATH, files=files, headers=twilio_signer.headers(URL, form))
    assert response.status_code == 200
    with gateway_store.reading() as connection:
        assert survey_row(connection, survey["id"])["step"] == 1
