"""The reporting API's test set-up: an app on the test store with two centres, keys for
each, and a small hand-worked timeline posted through ``POST /v1/events``.

Centre ``north`` (UTC; enabled KPIs aht, service_level, occupancy; service_level target 85,
sales 90), threshold 20 s:

=========  ==========  =====  ==================================  ==================
contact    day         agent  what happened                       handle (talk + ACW)
=========  ==========  =====  ==================================  ==================
c1 sales   2026-01-05  a1     answered after 10 s (fast)          100 + 20 = 120
c2 sales   2026-01-05  a2     answered after 30 s (slow)          200 + 40 = 240
c3 sales   2026-01-05         abandoned after 5 s (fast, short)
c4 sales   2026-01-05         abandoned after 60 s
c5 support 2026-01-05  a1     answered after 5 s (fast)           300 + 30 = 330
c6 billing 2026-01-05         abandoned after 8 s (fast, short)
c7 sales   2026-01-06  a2     answered after 15 s (fast)          60 + 30 = 90
=========  ==========  =====  ==================================  ==================

Centre ``south`` (UTC): s1 sales 2026-01-05, agent b1, answered after 50 s, 400 + 0 s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI

from callkpi.api.main import create_app
from callkpi.settings import Settings
from callkpi.store.apikeys import create_api_key
from callkpi.store.centres import CentreSettings, KpiTarget, add_centre
from callkpi.store.db import Store
from callkpi.testing import TEST_HMAC_KEY, abandoned_contact, contact_timeline, event_factory

MONDAY = datetime.fromisoformat("2026-01-05T09:00:00+00:00")
TUESDAY = MONDAY + timedelta(days=1)
NORTH = CentreSettings(
    enabled_kpis=["aht", "service_level", "occupancy"],
    kpi_targets={"service_level": KpiTarget(value=85, queues={"sales": 90})},
)
PROBLEM = "application/problem+json"


def north_timeline() -> list[dict]:
    make = event_factory("north")

    def at(minutes: int) -> datetime:
        return MONDAY + timedelta(minutes=minutes)

    return [
        *contact_timeline(make, "c1", MONDAY, wait_s=10, talk_s=100, acw_s=20, agentid="a1"),
        *contact_timeline(make, "c2", at(5), wait_s=30, talk_s=200, acw_s=40, agentid="a2"),
        *abandoned_contact(make, "c3", at(10), wait_s=5),
        *abandoned_contact(make, "c4", at(15), wait_s=60),
        *contact_timeline(make, "c5", at(20), wait_s=5, talk_s=300, acw_s=30, queue="support"),
        *abandoned_contact(make, "c6", at(25), wait_s=8, queue="billing"),
        *contact_timeline(make, "c7", TUESDAY, wait_s=15, talk_s=60, acw_s=30, agentid="a2"),
    ]


def south_timeline() -> list[dict]:
    return contact_timeline(event_factory("south"), "s1", MONDAY, wait_s=50, talk_s=400, acw_s=0, agentid="b1")


def make_app(store: Store, **settings) -> FastAPI:
    """The app on ``store`` with centres north and south."""
    with store.transaction() as connection:
        add_centre(connection, "north", "UTC", NORTH)
        add_centre(connection, "south", "UTC")
    return create_app(Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex(), _env_file=None, **settings))


def make_keys(store: Store) -> dict[str, str]:
    """Keys by name: ``read``, ``admin`` and ``ingest`` of north, ``south_read``, ``south_ingest``."""
    with store.transaction() as connection:
        keys = {scope: create_api_key(connection, scope, "north")[0] for scope in ("read", "admin", "ingest")}
        for scope in ("read", "ingest"):
            keys[f"south_{scope}"] = create_api_key(connection, scope, "south")[0]
    return keys


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@asynccontextmanager
async def asgi_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://callkpi.test") as client:
        yield client


async def post_timelines(client: httpx.AsyncClient, keys: dict[str, str]) -> None:
    """Ingest both centres' timelines through the API, each with its centre's ingest key."""
    for key, events in ((keys["ingest"], north_timeline()), (keys["south_ingest"], south_timeline())):
        response = await client.post("/v1/events", json=events, headers=bearer(key))
        assert response.status_code == 200, response.text
