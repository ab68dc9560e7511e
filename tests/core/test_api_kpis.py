"""GET /v1/kpis and GET /v1/kpis/{id} through the ASGI app: the catalogue as a centre sees it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from api_app import PROBLEM, asgi_client, bearer, make_app, make_keys

pytestmark = pytest.mark.anyio



@pytest.fixture
def app(store):
    app = make_app(store)
    yield app
    app.state.callkpi.store.dispose()


@pytest.fixture
def keys(app, store) -> dict[str, str]:
    return make_keys(store)  # after make_app, which adds the centres


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


async def test_the_catalogue_says_what_the_keys_centre_reports(client, keys, callkpi_pm):
    response = await client.get("/v1/kpis", headers=bearer(keys["read"]))
    assert response.status_code == 200, response.text
    catalogue = response.json()
    assert catalogue["centre"] == "north"
    installed = [registered.kpi.id for registered in callkpi_pm.catalog.kpis]
    assert [kpi["id"] for kpi in catalogue["kpis"]] == installed
    # north enables aht, service_level and occupancy only (api_app.NORTH)
    enabled = {kpi["id"] for kpi in catalogue["kpis"] if kpi["enabled"]}
    assert enabled == {"aht", "service_level", "occupancy"}


async def test_another_centre_keeps_every_kpi_and_the_defaults(client, keys):
    response = await client.get("/v1/kpis", headers=bearer(keys["south_read"]))
    catalogue = response.json()
    assert catalogue["centre"] == "south"
    assert all(kpi["enabled"] for kpi in catalogue["kpis"])  # south never narrowed its list
    service_level = next(kpi for kpi in catalogue["kpis"] if kpi["id"] == "service_level")
    assert (service_level["target"], service_level["centre_target"], service_level["queue_targets"]) == (80, None, {})


async def test_one_kpi_with_variants_parameters_and_the_centres_targets(client, keys):
    response = await client.get("/v1/kpis/service_level", headers=bearer(keys["admin"]))
    assert response.status_code == 200, response.text
    kpi = response.json()
    assert (kpi["id"], kpi["unit"], kpi["higher_is_better"]) == ("service_level", "%", True)
    assert kpi["fact"] == "fact_contact_leg"  # service level counts queue legs
    assert kpi["default_variant"] == kpi["variants"][0]["name"] == "answered_over_offered"
    assert {"asterisk_sl", "exclude_short_abandons"} <= {v["name"] for v in kpi["variants"]}
    threshold = next(p for p in kpi["parameters"] if p["name"] == "threshold_s")
    assert (threshold["default"], threshold["minimum"]) == (20, 0)
    assert kpi["variants"][0]["parameters"] == {"threshold_s": 20}
    # the KPI's default 80; north's own 85, and 90 for sales
    assert (kpi["target"], kpi["centre_target"], kpi["queue_targets"]) == (80, 85, {"sales": 90})
    assert kpi["enabled"] is True and kpi["min_sample"] >= 0 and kpi["definition"]


async def test_an_unknown_kpi_is_a_404_naming_it_and_the_closest(client, keys):
    response = await client.get("/v1/kpis/servce_level", headers=bearer(keys["read"]))
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    detail = "kpi = 'servce_level' is not an installed KPI; did you mean 'service_level'?"
    problem = response.json()
    assert problem["detail"] == detail
    assert problem["errors"] == [{"detail": detail, "parameter": "kpi_id"}]


async def test_the_catalogue_needs_a_read_or_admin_key(client, keys):
    assert (await client.get("/v1/kpis")).status_code == 401
    response = await client.get("/v1/kpis/aht", headers=bearer(keys["ingest"]))
    assert response.status_code == 403 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["header"] == "Authorization"
