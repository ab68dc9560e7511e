"""GET and PUT /v1/centre/survey-agent-policy through the ASGI app, on a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from api_app import asgi_client, bearer, make_app, make_keys

from callkpi.store.centres import load_centres

pytestmark = pytest.mark.anyio
PATH = "/v1/centre/survey-agent-policy"


@pytest.fixture
def app(store):
    app = make_app(store)
    yield app
    app.state.callkpi.store.dispose()


@pytest.fixture
def keys(app, store) -> dict[str, str]:
    return make_keys(store)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


async def test_an_admin_key_sets_its_centres_policy(client, keys, store):
    read = await client.get(PATH, headers=bearer(keys["read"]))
    assert read.status_code == 200 and read.json() == {"policy": "last"}  # the default
    put = await client.put(PATH, json={"policy": "longest"}, headers=bearer(keys["admin"]))
    assert put.status_code == 200, put.text
    assert (await client.get(PATH, headers=bearer(keys["read"]))).json() == {"policy": "longest"}
    with store.transaction() as connection:
        assert load_centres(connection)["north"].settings.survey_agent_policy == "longest"


async def test_a_read_key_may_not_set_it_and_a_bad_policy_is_named(client, keys):
    refused = await client.put(PATH, json={"policy": "first"}, headers=bearer(keys["read"]))
    assert refused.status_code == 403
    bad = await client.put(PATH, json={"policy": "loudest"}, headers=bearer(keys["admin"]))
    assert bad.status_code == 400
    assert "loudest" in bad.text and "'last', 'first' or 'longest'" in bad.text


DEADLINE = "/v1/centre/survey-followup-deadline"


async def test_an_admin_key_sets_the_followup_deadline(client, keys, store):
    assert (await client.get(DEADLINE, headers=bearer(keys["read"]))).json() == {"hours": 48.0}  # the default
    put = await client.put(DEADLINE, json={"hours": 6}, headers=bearer(keys["admin"]))
    assert put.status_code == 200, put.text
    with store.transaction() as connection:
        assert load_centres(connection)["north"].settings.survey_followup_deadline_h == 6
    assert (await client.put(DEADLINE, json={"hours": 6}, headers=bearer(keys["read"]))).status_code == 403
    bad = await client.put(DEADLINE, json={"hours": 0}, headers=bearer(keys["admin"]))
    assert bad.status_code == 400 and "hours" in bad.text


QUEUE_MAP = "/v1/centre/queue-map"


async def test_an_admin_key_maps_queues_to_teams_and_sites(client, keys, store):
    assert (await client.get(QUEUE_MAP, headers=bearer(keys["read"]))).json() == {}
    put = await client.put(f"{QUEUE_MAP}/sales", json={"team": "red", "site": "ams"}, headers=bearer(keys["admin"]))
    assert put.status_code == 200, put.text
    await client.put(f"{QUEUE_MAP}/support", json={"team": "blue"}, headers=bearer(keys["admin"]))
    assert (await client.get(QUEUE_MAP, headers=bearer(keys["read"]))).json() == {
        "sales": {"team": "red", "site": "ams"},
        "support": {"team": "blue", "site": None},
    }
    removed = await client.delete(f"{QUEUE_MAP}/support", headers=bearer(keys["admin"]))
    assert removed.status_code == 200 and removed.json() == {"sales": {"team": "red", "site": "ams"}}
    with store.transaction() as connection:
        stored = load_centres(connection)["north"].settings.queue_map
    assert {queue: (a.team, a.site) for queue, a in stored.items()} == {"sales": ("red", "ams")}


async def test_queue_map_changes_need_an_admin_key_and_name_what_is_wrong(client, keys):
    refused = await client.put(f"{QUEUE_MAP}/sales", json={"team": "red"}, headers=bearer(keys["read"]))
    assert refused.status_code == 403
    empty = await client.put(f"{QUEUE_MAP}/sales", json={}, headers=bearer(keys["admin"]))
    assert empty.status_code == 400 and "team, site: neither given" in empty.text
    unknown = await client.put(f"{QUEUE_MAP}/sales", json={"tem": "red"}, headers=bearer(keys["admin"]))
    assert unknown.status_code == 400 and "tem" in unknown.text
    absent = await client.delete(f"{QUEUE_MAP}/billing", headers=bearer(keys["admin"]))
    assert absent.status_code == 404 and "queue = 'billing': not in centre north's queue map" in absent.text
