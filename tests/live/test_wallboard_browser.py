"""The wallboard in headless Chromium against a real server: it changes within 5 s of events
POSTed to /v1/events, turns red past the centre's target, signs in with a session too, and
lays out without overlapping tiles or sideways scrolling at 1280×800 and 390×844.

The SQLite store only: the browser checks the page, the store tests cover both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from callkpi.store.db import Store
from callkpi.testing import event_factory
from live_server import live_server

WITHIN_S = 5_000  # ms: the wallboard must show a new event this soon
LAYOUTS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'callkpi.db'}")
    yield opened
    opened.dispose()


@pytest.fixture
def server(app, configure) -> Iterator[str]:
    # at most 2 waiting contacts; a third turns the tile red
    configure(kpi_targets={"waiting": {"value": 2}})
    with live_server(app) as base_url:
        yield base_url


def post_waiting(base_url: str, key: str, *contacts: str) -> None:
    make = event_factory("wall-" + "-".join(contacts))  # ids unique per call
    events = [make("contact.offered", datetime.now(UTC), contactid=c, queue="sales", channel="voice") for c in contacts]
    response = httpx.post(f"{base_url}/v1/events", json=events, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text


def tile(page: Page, name: str):
    return page.locator(f'[data-tile="{name}"]')


def test_wallboard_follows_posted_events_and_turns_red(page: Page, server: str, keys: dict[str, str]):
    page.goto(f"{server}/wallboard/rotterdam?key={keys['read']}")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=WITHIN_S)
    expect(tile(page, "waiting").locator(".value")).to_have_text("0")
    expect(tile(page, "waiting")).to_have_attribute("data-status", "good")

    post_waiting(server, keys["ingest"], "c1")
    expect(tile(page, "waiting").locator(".value")).to_have_text("1", timeout=WITHIN_S)
    expect(page.locator("#queue-rows th")).to_have_text(["sales"], timeout=WITHIN_S)

    post_waiting(server, keys["ingest"], "c2", "c3")
    expect(tile(page, "waiting").locator(".value")).to_have_text("3", timeout=WITHIN_S)
    expect(tile(page, "waiting")).to_have_attribute("data-status", "bad", timeout=WITHIN_S)
    assert tile(page, "waiting").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(153, 27, 27)"
    page.goto("about:blank")  # closes the stream before the server stops


def test_staffed_today_includes_an_agent_still_logged_in(page: Page, server: str, keys: dict[str, str]):
    # a1 available since ten minutes ago, still open; a2 available then, on contact now (the data
    # end): staffed 600 s open + 600 s closed = 1,200 s = 0.3 h, of which 600 s still open. "Today"
    # is the centre's local day: just after its midnight, the episodes start at midnight instead
    now = datetime.now(UTC).replace(microsecond=0)
    local_midnight = now.astimezone(ZoneInfo("Europe/Amsterdam")).replace(hour=0, minute=0, second=0)
    since = max(now - timedelta(minutes=10), local_midnight.astimezone(UTC))
    open_s = int((now - since).total_seconds())
    make = event_factory("wall-staffed")
    events = [
        make("agent.state_changed", since, {"state": "available"}, agentid="a1"),
        make("agent.state_changed", since, {"state": "available"}, agentid="a2"),
        make("agent.state_changed", now, {"state": "on_contact"}, agentid="a2"),
    ]
    response = httpx.post(f"{server}/v1/events", json=events, headers={"Authorization": f"Bearer {keys['ingest']}"})
    assert response.status_code == 200, response.text
    page.goto(f"{server}/wallboard/rotterdam?key={keys['read']}")
    expect(tile(page, "staffed").locator(".value")).to_have_text(f"{2 * open_s / 3600:.1f} h", timeout=WITHIN_S)
    expect(tile(page, "staffed").locator(".note")).to_contain_text(f"includes {open_s} s still open at")
    expect(tile(page, "agents_available").locator(".value")).to_have_text("1")
    page.goto("about:blank")


def test_wallboard_with_a_session_and_without_access(page: Page, server: str, keys: dict[str, str]):
    page.goto(f"{server}/wallboard/rotterdam")
    expect(page).to_have_url(f"{server}/login?next=/wallboard/rotterdam")
    page.fill("#key", keys["read"])
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    expect(page).to_have_url(f"{server}/wallboard/rotterdam")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=WITHIN_S)

    other = page.goto(f"{server}/wallboard/rotterdam?key={keys['other']}")
    assert other is not None and other.status == 403
    bad = page.goto(f"{server}/wallboard/rotterdam?key=nonsense")
    assert bad is not None and bad.status == 401
    page.goto("about:blank")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_has_no_overlap_and_no_sideways_scroll(chromium, server, keys, layout, tmp_path):
    width, height = LAYOUTS[layout]
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    post_waiting(server, keys["ingest"], "c1", "c2", "c3")
    page.goto(f"{server}/wallboard/rotterdam?key={keys['read']}")
    expect(tile(page, "waiting")).to_have_attribute("data-status", "bad", timeout=WITHIN_S)
    page.screenshot(path=tmp_path / f"wallboard-{layout}.png", full_page=True)

    tiles = page.locator(".tile")
    boxes = [tiles.nth(i).bounding_box() for i in range(tiles.count())]
    assert len(boxes) == 13 and all(box is not None for box in boxes)  # with staffed and occupancy
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if _overlap(a, b)]
    assert overlaps == []
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= width for box in boxes)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # large type: a tile's number is at least 2.2rem (35 px) tall
    assert page.locator(".tile .value").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 35
    page.goto("about:blank")
    context.close()


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
