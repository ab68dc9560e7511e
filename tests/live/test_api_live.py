"""GET /v1/realtime and GET /v1/alerts through the ASGI app: the documented response, a read
key sees its own centre only, and RFC 9457 problems for the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from callkpi.testing import event_factory

PROBLEM = "application/problem+json"
pytestmark = pytest.mark.anyio



@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://callkpi.test") as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_realtime_counts_a_contact_posted_a_moment_ago(client, keys):
    make = event_factory("api")
    # offered a minute ago and still waiting (events carry times; realtime reads the real now)
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    events = [make("contact.offered", a_minute_ago, contactid="c1", queue="sales", channel="voice")]
    posted = await client.post("/v1/events", json=events, headers=bearer(keys["ingest"]))
    assert posted.status_code == 200

    response = await client.get("/v1/realtime", params={"centre": "rotterdam"}, headers=bearer(keys["read"]))

    assert response.status_code == 200
    body = response.json()
    assert body["centre"] == "rotterdam" and body["timezone"] == "Europe/Amsterdam"
    assert (body["total"]["waiting"], body["queues"][0]["queue"], body["queues"][0]["waiting"]) == (1, "sales", 1)
    assert 59 <= body["total"]["longest_wait_s"] < 120
    assert set(body["total"]) == {
        "queue", "waiting", "longest_wait_s", "agents_available", "agents_on_contact", "agents_acw",
        "agents_not_ready", "offered", "answered", "abandoned", "service_level", "abandon_rate", "targets",
        "staffed_s", "occupancy", "open_s", "agent_note",
    }


async def test_realtime_defaults_to_the_keys_centre(client, keys):
    response = await client.get("/v1/realtime", headers=bearer(keys["read"]))

    assert (response.status_code, response.json()["centre"]) == (200, "rotterdam")


async def test_a_read_key_sees_only_its_own_centre(client, keys):
    response = await client.get("/v1/realtime", params={"centre": "rotterdam"}, headers=bearer(keys["other"]))

    assert (response.status_code, response.headers["content-type"]) == (403, PROBLEM)
    problem = response.json()
    assert problem["detail"] == "centre = 'rotterdam': your key is bound to centre 'utrecht'; expected 'utrecht'"
    assert problem["errors"][0]["parameter"] == "centre"


async def test_an_admin_key_sees_other_centres(client, keys):
    response = await client.get("/v1/alerts", params={"centre": "utrecht"}, headers=bearer(keys["admin"]))

    assert response.status_code == 200
    assert response.json() == {"centre": "utrecht", "rules": [], "changes": []}


@pytest.mark.parametrize("path", ["/v1/realtime", "/v1/alerts"])
async def test_unknown_centre_wrong_scope_and_no_key_are_problems(client, keys, path):
    unknown = await client.get(path, params={"centre": "nowhere"}, headers=bearer(keys["admin"]))
    ingest_only = await client.get(path, headers=bearer(keys["ingest"]))
    anonymous = await client.get(path)

    assert (unknown.status_code, unknown.headers["content-type"]) == (404, PROBLEM)
    assert unknown.json()["detail"].startswith("centre = 'nowhere' is not a centre of this installation")
    assert (ingest_only.status_code, anonymous.status_code) == (403, 401)
    assert anonymous.headers["content-type"] == PROBLEM


async def test_alerts_lists_rules_not_yet_evaluated(client, keys, configure):
    configure(alerts={"rules": ["abandon_rate > 10 % queue=sales"]})

    response = await client.get("/v1/alerts", headers=bearer(keys["read"]))

    assert response.json()["rules"] == [
        {"id": response.json()["rules"][0]["id"], "rule": "abandon_rate > 10 % queue=sales", "status": "unknown",
         "since": None, "value": None, "evaluated_at": None}
    ]


def test_openapi_documents_both_responses(app):
    paths = app.openapi()["paths"]

    assert paths["/v1/realtime"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RealtimeSnapshot"
    }
    assert set(paths["/v1/alerts"]["get"]["responses"]) == {"200", "401", "403", "404", "422"}
