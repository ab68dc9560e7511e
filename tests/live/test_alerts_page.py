"""The /alerts page of the dashboard: behind the session, it lists the rules with their
state and the latest changes, inside the dashboard's layout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from callkpi.live.alerts.cycle import evaluate_centre
from callkpi.testing import event_factory

pytestmark = pytest.mark.anyio



@pytest.fixture
async def signed_in(app, keys) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://callkpi.test") as client:
        response = await client.post("/login", data={"key": keys["read"], "next": "/alerts"})
        assert response.status_code == 303
        yield client


async def test_without_a_session_the_page_asks_to_sign_in(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://callkpi.test") as client:
        response = await client.get("/alerts")

    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/alerts")


async def test_rules_and_changes_are_listed(signed_in, store, centre, feed, configure, live_pm):
    configure(alerts={"rules": ["waiting >= 1", "abandon_rate > 10 %"]})
    make = event_factory("page")
    feed([make("contact.offered", "2026-01-05T09:00:00Z", contactid="c1", queue="sales", channel="voice")])
    evaluate_centre(store, live_pm, centre, datetime(2026, 1, 5, 9, 1, tzinfo=UTC))

    page = (await signed_in.get("/alerts")).text

    assert '<a class="brand"' in page  # the dashboard's layout
    assert '<tr data-status="firing"><td><code>waiting &gt;= 1</code></td><td>firing</td>' in page
    assert '<tr data-status="ok"><td><code>abandon_rate &gt; 10 %</code></td><td>ok</td>' in page
    assert "2026-01-05 09:01:00 UTC" in page


async def test_a_read_key_cannot_open_another_centres_page(signed_in):
    response = await signed_in.get("/alerts", params={"centre": "utrecht"})

    assert response.status_code == 403


async def test_without_rules_the_page_shows_a_command_that_runs(signed_in, centre):
    """The hint is copy-paste runnable: the centre goes in --centre, not as an argument."""
    page = (await signed_in.get("/alerts")).text

    assert f'callkpi alerts add "service_level &lt; 80 for 2 intervals" --centre {centre}' in page
