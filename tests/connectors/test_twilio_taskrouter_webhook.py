"""Webhook mode through the real app (``create_app``) over httpx's ASGI transport, on SQLite
and PostgreSQL, with requests signed by the twilio library's own signature computation.

The public URL Twilio calls (``WEBHOOK_URL``) differs from the URL the app sees
(``http://callkpi.test/…``), as behind a proxy: signatures are checked against the former.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from twilio_taskrouter_api import AUTH_TOKEN, as_callback, fixture_events, serve_events_api

from callkpi.api.main import create_app
from callkpi.connector_config import InvalidConfig
from callkpi.connectors import ConnectorRun, RawEvent
from callkpi.settings import Settings
from callkpi.store.ingest import QUARANTINE_SEAL
from callkpi.store.privacy import CustomerHasher
from callkpi.store.quarantine import list_quarantined
from callkpi.store.tables import ContactFact, StoredEvent
from callkpi.testing import TEST_HMAC_KEY

pytestmark = pytest.mark.anyio
WEBHOOK_URL = "https://callkpi.example.org/hooks/taskrouter?workspace=main"
ROUTE = "/connectors/twilio-taskrouter/events"
SIGNER = RequestValidator(AUTH_TOKEN)
CREATED = next(e for e in fixture_events() if e["sid"] == "EV" + f"{3:032x}")  # task.created



def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "twilio.toml"
    path.write_text(text, encoding="utf-8")
    return path


def make_app(store, configs: dict[str, Path]):
    return create_app(Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex(),
                               connector_configs=configs))


@pytest.fixture
async def client(store, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    config = write_config(tmp_path, f'auth_token = "{AUTH_TOKEN}"\nwebhook_url = "{WEBHOOK_URL}"\n')
    app = make_app(store, {"twilio-taskrouter": config})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://callkpi.test") as client:
        yield client
    app.state.callkpi.store.dispose()


async def post(client: httpx.AsyncClient, params: dict[str, str],
               signature: str | None = None) -> httpx.Response:
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return await client.post(ROUTE, data=params, headers=headers)


def stored_ids(store) -> list[str]:
    with store.transaction() as connection:
        return list(connection.execute(select(StoredEvent.id).order_by(StoredEvent.id)).scalars())


async def test_a_signed_callback_is_stored_and_answered_204(client, store) -> None:
    params = as_callback(CREATED)
    response = await post(client, params, SIGNER.compute_signature(WEBHOOK_URL, params))
    assert (response.status_code, response.content) == (204, b"")
    assert stored_ids(store) == ["twtr-" + CREATED["sid"]]


async def test_an_unsigned_callback_is_refused(client, store) -> None:
    response = await post(client, as_callback(CREATED))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith("X-Twilio-Signature missing")
    assert stored_ids(store) == []


async def test_a_tampered_parameter_is_refused(client, store) -> None:
    params = as_callback(CREATED)
    signature = SIGNER.compute_signature(WEBHOOK_URL, params)
    response = await post(client, {**params, "TaskQueueName": "Premium"}, signature)
    assert response.status_code == 403
    assert "does not match" in response.json()["detail"]
    assert stored_ids(store) == []


async def test_a_signature_for_the_url_the_server_sees_is_refused(client, store) -> None:
    params = as_callback(CREATED)
    # What a proxy-unaware check would accept: the request's own URL.
    own_url = f"http://callkpi.test{ROUTE}"
    response = await post(client, params, SIGNER.compute_signature(own_url, params))
    assert response.status_code == 403
    assert stored_ids(store) == []


async def test_a_signature_with_another_token_is_refused(client, store) -> None:
    params = as_callback(CREATED)
    forged = RequestValidator("not-the-token").compute_signature(WEBHOOK_URL, params)
    assert (await post(client, params, forged)).status_code == 403
    assert stored_ids(store) == []


async def test_a_replayed_callback_is_stored_once(client, store) -> None:
    params = as_callback(CREATED)
    signature = SIGNER.compute_signature(WEBHOOK_URL, params)
    answers = [(await post(client, params, signature)).status_code for _ in range(3)]
    assert answers == [204, 204, 204]
    assert stored_ids(store) == ["twtr-" + CREATED["sid"]]


async def test_a_callback_that_cannot_be_read_is_quarantined(client, store) -> None:
    params = {**as_callback(CREATED), "Timestamp": "soon"}
    del params["TimestampMs"]
    response = await post(client, params, SIGNER.compute_signature(WEBHOOK_URL, params))
    assert response.status_code == 204
    with store.reading() as connection:
        quarantined = list_quarantined(connection, CustomerHasher(TEST_HMAC_KEY).seal(QUARANTINE_SEAL))
    assert stored_ids(store) == []
    assert [row.reasons for row in quarantined] == [("Timestamp = 'soon': expected Unix time in seconds",)]


async def test_a_form_is_required(client) -> None:
    response = await client.post(ROUTE, json={"EventType": "task.created"})
    assert response.status_code == 415


async def test_the_messy_day_by_webhook_matches_the_pull(client, store, callkpi_pm) -> None:
    for item in fixture_events():
        if "event_date_ms" not in item:
            continue  # the garbage-dated item has no callback form
        params = as_callback(item)
        response = await post(client, params, SIGNER.compute_signature(WEBHOOK_URL, params))
        assert response.status_code == 204, response.text
    connector = callkpi_pm.catalog.connectors.get("twilio-taskrouter")
    with serve_events_api(fixture_events()) as api:
        config = {"account_sid": "AC" + "0123456789abcdef" * 2, "auth_token": AUTH_TOKEN,
                  "start_date": "2025-10-25T00:00:00Z"}
        pulled = {e.payload["id"] for e in connector.events(api.url, config, ConnectorRun(api.url))
                  if isinstance(e, RawEvent) and e.error is None}
    # The same 23 canonical events, with the same ids: webhook and pull can be combined.
    assert set(stored_ids(store)) == pulled and len(pulled) == 23
    answered = select(func.count(), func.avg(ContactFact.wait_s), func.avg(ContactFact.handle_s)
                      ).where(ContactFact.outcome == "answered")
    with store.transaction() as connection:
        # Answered 2; ASA (20 + 10) / 2 = 15; AHT (340 + 720) / 2 = 530.
        assert tuple(connection.execute(answered).one()) == (2, 15, 530)


async def test_routes_are_not_mounted_without_a_config(store) -> None:
    app = make_app(store, {})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://callkpi.test") as client:
        response = await post(client, as_callback(CREATED), "anything")
    app.state.callkpi.store.dispose()
    assert response.status_code == 404


def test_a_bad_config_stops_the_app_at_start_up(store, tmp_path) -> None:
    config = write_config(tmp_path, 'webhook_url = "callkpi.example.org"\n')
    with pytest.raises(InvalidConfig) as raised:
        make_app(store, {"twilio-taskrouter": config})
    assert raised.value.errors == [
        "/: 'auth_token' is a required property",
        "/webhook_url: 'callkpi.example.org' does not match '^https?://'",
    ]
