"""The dashboard in headless Chromium against a real server on 127.0.0.1 (SQLite store seeded
with :mod:`dashboard_seed`): sign in, filter, tiles and charts, sorting, CSV export, the
survey page, and the layout at desktop and phone sizes."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import combinations

import pytest
from dashboard_seed import CENTRE, COMMENT, Keys, seed

from callkpi.api.main import create_app
from callkpi.settings import Settings
from callkpi.store.db import Store
from callkpi.testing import TEST_HMAC_KEY
from live_server import live_server

TUESDAY_VIEW = f"/?centre={CENTRE}&from=2026-11-03&to=2026-11-03"
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture
def served(tmp_path, pm) -> Iterator[tuple[str, Keys]]:
    """The app on a real socket: its base URL and the seeded keys."""
    store = Store.open(f"sqlite:///{tmp_path / 'callkpi.db'}")
    keys = seed(store, pm)
    app = create_app(Settings(database_url=store.url, hmac_key=TEST_HMAC_KEY.hex()), pm=pm)
    try:
        with live_server(app) as base_url:
            yield base_url, keys
    finally:
        app.state.callkpi.store.dispose()
        store.dispose()


def signed_in(page, base_url: str, key: str, path: str = TUESDAY_VIEW):
    """Open ``path``, get sent to the login page, sign in and come back to ``path``."""
    page.goto(base_url + path)
    assert "/login?next=" in page.url
    page.fill("#key", key)
    page.click("form button[type=submit]")
    page.wait_for_url(base_url + path)
    return page


def tile(page, kpi: str) -> tuple[str, str]:
    element = page.locator(f'.tile[data-kpi="{kpi}"]')
    return element.locator(".tile-value").inner_text(), element.get_attribute("data-state")


def bars(page, chart: str) -> list[tuple[str, str]]:
    rects = page.locator(f'svg[data-chart="{chart}"] rect.bar')
    return [(r.get_attribute("data-label"), r.get_attribute("data-value")) for r in rects.all()]


def test_sign_in_then_filters_update_tiles_and_charts(page, served):
    base_url, keys = served
    signed_in(page, base_url, keys.read)
    assert tile(page, "service_level") == ("50.0 %", "missed")  # 2 of 4 within 20 s
    assert tile(page, "asa") == ("21.7 s", "missed")  # (10 + 50 + 5) ÷ 3
    assert tile(page, "occupancy") == ("–", "nodata")
    assert bars(page, "offered-by-interval30") == [("09:00", "2"), ("10:00", "1"), ("11:30", "1")]

    page.select_option('select[name="queue"]', "sales")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**queue=sales**")
    assert tile(page, "offered") == ("2", "plain")  # c1, c2
    assert tile(page, "asa") == ("30.0 s", "missed")  # (10 + 50) ÷ 2
    assert page.locator('.tile[data-kpi="occupancy"]').count() == 0  # no queue on agent intervals
    assert bars(page, "offered-by-interval30") == [("09:00", "2")]

    page.fill('input[name="to"]', "2026-11-04")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**to=2026-11-04**")
    assert tile(page, "offered") == ("3", "plain")  # c5 on Wednesday too
    points = page.locator('svg[data-chart="service_level-by-date"] circle.point')
    # Tuesday: c1 fast, c2 not → 50 %; Wednesday: c5 fast → 100 %
    assert [p.get_attribute("data-value") for p in points.all()] == ["50", "100"]
    assert "queue=sales" in page.url and "from=2026-11-03" in page.url  # the view is a shareable URL


def test_tables_sort_by_a_clicked_column(page, served):
    base_url, keys = served
    signed_in(page, base_url, keys.read)
    agents = page.locator('table[data-table="agents"]')
    first_column = agents.locator("tbody th")
    assert first_column.all_inner_texts() == ["Anna (a1)", "Bram (a2)", "(none)"]
    header = agents.locator("thead th", has_text="Average handle time")
    header.click()  # ascending: Bram 120 s, Anna 300 s; no value last
    assert first_column.all_inner_texts() == ["Bram (a2)", "Anna (a1)", "(none)"]
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert first_column.all_inner_texts() == ["Anna (a1)", "Bram (a2)", "(none)"]
    assert header.get_attribute("aria-sort") == "descending"


def test_export_a_table_as_csv(page, served):
    base_url, keys = served
    signed_in(page, base_url, keys.read)
    with page.expect_download() as download_info:
        page.locator('section[aria-labelledby="table-agents"] a.export').click()
    download = download_info.value
    assert download.suggested_filename == "callkpi-rotterdam-agents-2026-11-03-2026-11-03.csv"
    with open(download.path(), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    anna = next(row for row in rows if row["agent"] == "a1")
    # c1: 200 + 40, c3: 300 + 60 → (240 + 360) ÷ 2
    assert (anna["Contacts answered [n]"], anna["Average handle time [s]"]) == ("2", "300.0")
    assert [row["agent"] for row in rows] == ["a1", "a2", "(none)"]


def test_survey_page(page, served):
    base_url, keys = served
    signed_in(page, base_url, keys.read)
    page.click('nav.mainnav a:has-text("Surveys")')
    page.wait_for_url("**/surveys**")
    assert tile(page, "nps") == ("25", "plain")  # (20 − 10) ÷ 40
    assert page.locator('.tile[data-kpi="nps"] .tile-interval').inner_text().startswith("95 % CI ")
    assert tile(page, "survey_response_rate")[0] == "80.0 %"  # 40 of 50 delivered
    assert page.locator('table[data-table="comments"] td.comment').all_inner_texts() == [COMMENT]
    assert page.locator('table[data-table="detractors"] tbody tr').count() == 10


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_layout_has_no_overlapping_tiles_and_no_sideways_scroll(chromium, served, tmp_path, viewport):
    base_url, keys = served
    width, height = VIEWPORTS[viewport]
    context = chromium.new_context(viewport={"width": width, "height": height})
    requests: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        for path in (TUESDAY_VIEW, TUESDAY_VIEW.replace("/?", "/surveys?")):
            signed_in(page, base_url, keys.read, path) if path == TUESDAY_VIEW else page.goto(base_url + path)
            _check_layout(page, width, tmp_path / f"{viewport}-{path.split('?')[0].strip('/') or 'dashboard'}.png")
    finally:
        context.close()
    assert all(url.startswith(base_url) for url in requests), "the pages fetch nothing from elsewhere"


def _check_layout(page, width: int, screenshot) -> None:
    boxes = [page.locator(".tile").nth(i).bounding_box() for i in range(page.locator(".tile").count())]
    assert len(boxes) >= 4
    for a, b in combinations(boxes, 2):
        apart = (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                 or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])
        assert apart, f"tiles overlap: {a} and {b}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(screenshot), full_page=True)
    from PIL import Image

    with Image.open(screenshot) as image:
        assert image.width == width  # a full-page shot widens when something overflows
