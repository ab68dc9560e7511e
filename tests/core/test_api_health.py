"""GET /v1/health and the OpenAPI document, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib.resources import files

import httpx
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

import callkpi
from callkpi.api.main import create_app
from callkpi.settings import Settings
from callkpi.testing import TEST_HMAC_KEY

pytestmark = pytest.mark.anyio



@pytest.fixture
async def client(store) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex()))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://callkpi.test"
    ) as client:
        yield client
    app.state.callkpi.store.dispose()


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(files("callkpi") / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


async def test_health_names_the_store_revision_and_version(client, store):
    response = await client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "store": "reachable",
        "dialect": store.dialect,
        "schema_revision": head_revision(),
        "version": callkpi.__version__,
    }


async def test_openapi_documents_the_batch_endpoint(client):
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/events"]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "application/json",
        "application/cloudevents-batch+json",
    }
    assert {"200", "207", "400", "401", "403", "413", "422"} <= set(operation["responses"])
    assert (await client.get("/docs")).status_code == 200
