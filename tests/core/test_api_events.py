"""POST /v1/events through the ASGI app, on SQLite and PostgreSQL: status codes, per-event
results, problem details, API-key scopes and the key's centre binding."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from callkpi.api.main import create_app
from callkpi.settings import Settings
from callkpi.store.apikeys import create_api_key, revoke_api_key
from callkpi.store.centres import add_centre
from callkpi.store.tables import QuarantinedInput, StoredEvent
from callkpi.testing import TEST_HMAC_KEY

PROBLEM = "application/problem+json"
pytestmark = pytest.mark.anyio



@pytest.fixture
def app(store):
    with store.transaction() as connection:
        add_centre(connection, "rotterdam", "Europe/Amsterdam")
    app = create_app(Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex()))
    yield app
    app.state.callkpi.store.dispose()


@pytest.fixture
def keys(store) -> dict[str, str]:
    """One key per scope, all bound to centre rotterdam, plus a revoked one."""
    with store.transaction() as connection:
        made = {
            scope: create_api_key(connection, scope, "rotterdam")[0]
            for scope in ("ingest", "read", "admin")
        }
        made["revoked"], record = create_api_key(connection, "ingest", "rotterdam")
        revoke_api_key(connection, record.prefix)
    return made


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://callkpi.test"
    ) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def offered(event_id: str, **extensions: str) -> dict:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "pbx",
        "type": "contact.offered",
        "time": "2026-01-05T09:00:00Z",
        "contactid": f"c-{event_id}",
        "queue": "sales",
        "data": {},
        **extensions,
    }


def count(store, table, **where: str) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(getattr(table, column) == value)
    with store.transaction() as connection:
        return connection.execute(query).scalar_one()


async def test_all_stored_is_200_and_events_without_centre_get_the_keys_centre(client, keys, store):
    response = await client.post(
        "/v1/events", json=[offered("a1"), offered("a2")], headers=bearer(keys["ingest"])
    )
    assert response.status_code == 200
    body = response.json()
    assert [(r["index"], r["id"], r["status"]) for r in body["results"]] == [
        (0, "a1", "accepted"),
        (1, "a2", "accepted"),
    ]
    assert body["accepted"] == 2 and "problem" not in body["results"][0]
    # Neither event named a centre, so both belong to the key's centre.
    assert count(store, StoredEvent, centre="rotterdam") == 2


async def test_resending_a_batch_reports_duplicates_with_200(client, keys, store):
    batch = [offered("d1"), offered("d2")]
    await client.post("/v1/events", json=batch, headers=bearer(keys["ingest"]))
    response = await client.post("/v1/events", json=batch, headers=bearer(keys["admin"]))
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["duplicate", "duplicate"]
    assert response.json()["duplicates"] == 2
    assert count(store, StoredEvent) == 2


async def test_mixed_batch_is_207_with_a_problem_pointing_at_the_bad_field(client, keys, store):
    naive_time = offered("m2", time="2026-01-05T09:00:00")
    response = await client.post(
        "/v1/events", json=[offered("m1"), naive_time], headers=bearer(keys["ingest"])
    )
    assert response.status_code == 207
    good, bad = response.json()["results"]
    assert good["status"] == "accepted" and bad["status"] == "quarantined" and bad["id"] == "m2"
    assert bad["problem"]["status"] == 422
    (error,) = bad["problem"]["errors"]
    assert error["pointer"] == "/1/time" and "UTC offset" in error["detail"]
    assert count(store, StoredEvent) == 1 and count(store, QuarantinedInput) == 1


async def test_nothing_stored_is_422_problem_and_every_input_is_kept(client, keys, store):
    batch = [{"id": "x1", "type": "contact.ofered"}, "not an event"]
    response = await client.post("/v1/events", json=batch, headers=bearer(keys["ingest"]))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["title"] == "No event stored" and problem["instance"] == "/v1/events"
    assert [r["status"] for r in problem["results"]] == ["quarantined", "quarantined"]
    assert problem["results"][0]["id"] == "x1"
    assert all(error["pointer"].startswith(("/0", "/1")) for error in problem["errors"])
    # Nothing is lost: both inputs are in quarantine.
    assert count(store, QuarantinedInput) == 2 and count(store, StoredEvent) == 0


async def test_events_of_another_centre_are_rejected_not_stored_nor_quarantined(
    client, keys, store
):
    batch = [offered("c1"), offered("c2", centre="default"), offered("c3", centre="rotterdam")]
    response = await client.post("/v1/events", json=batch, headers=bearer(keys["ingest"]))
    assert response.status_code == 207
    assert [r["status"] for r in response.json()["results"]] == ["accepted", "rejected", "accepted"]
    rejected = response.json()["results"][1]["problem"]
    assert rejected["status"] == 403 and rejected["errors"][0]["pointer"] == "/1/centre"
    assert count(store, StoredEvent) == 2 and count(store, QuarantinedInput) == 0

    only_foreign = await client.post(
        "/v1/events", json=[offered("c4", centre="default")], headers=bearer(keys["ingest"])
    )
    assert only_foreign.status_code == 422


async def test_cloudevents_batch_media_type_is_accepted(client, keys):
    content = (
        b'[{"specversion":"1.0","id":"ce1","source":"s","type":"contact.offered",'
        b'"time":"2026-01-05T09:00:00Z","contactid":"c1","data":{}}]'
    )
    headers = {**bearer(keys["ingest"]), "Content-Type": "application/cloudevents-batch+json"}
    response = await client.post("/v1/events", content=content, headers=headers)
    assert response.status_code == 200


async def test_other_media_type_is_415(client, keys):
    headers = {**bearer(keys["ingest"]), "Content-Type": "text/csv"}
    response = await client.post("/v1/events", content=b"id,type\n", headers=headers)
    assert response.status_code == 415
    assert response.json()["errors"] == [
        {"detail": "unsupported media type", "header": "Content-Type"}
    ]


async def test_more_than_1000_events_is_413_and_nothing_is_stored(client, keys, store):
    batch = [offered(f"big-{n}") for n in range(1001)]
    response = await client.post("/v1/events", json=batch, headers=bearer(keys["ingest"]))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert "1001 events; expected at most 1000" in response.json()["detail"]
    assert count(store, StoredEvent) == 0 and count(store, QuarantinedInput) == 0


async def test_bad_json_is_400_problem(client, keys):
    headers = {**bearer(keys["ingest"]), "Content-Type": "application/json"}
    response = await client.post("/v1/events", content=b"[{", headers=headers)
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "urn:callkpi:problem:invalid-json" and problem["status"] == 400
    assert problem["errors"][0]["pointer"] == ""


async def test_a_single_object_instead_of_an_array_is_400(client, keys):
    response = await client.post("/v1/events", json=offered("one"), headers=bearer(keys["ingest"]))
    assert response.status_code == 400
    assert "expected an array of events" in response.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "Authorization header missing"),
        ({"Authorization": "Bearer ck_nosuchkey"}, "API key unknown"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, "not a bearer token"),
    ],
)
async def test_missing_or_unknown_key_is_401(client, headers, expected):
    response = await client.post("/v1/events", json=[offered("u1")], headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert expected in response.json()["detail"]
    assert response.json()["errors"][0]["header"] == "Authorization"


async def test_revoked_key_is_401(client, keys):
    response = await client.post(
        "/v1/events", json=[offered("r1")], headers=bearer(keys["revoked"])
    )
    assert response.status_code == 401
    assert "was revoked" in response.json()["detail"]


async def test_read_scope_may_not_ingest_403(client, keys, store):
    response = await client.post("/v1/events", json=[offered("s1")], headers=bearer(keys["read"]))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert "scope 'read'; expected 'ingest' or 'admin'" in response.json()["detail"]
    assert count(store, StoredEvent) == 0


async def test_unknown_route_is_a_problem_too(client):
    response = await client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Not Found"
