"""/docs (Swagger UI) and /redoc (ReDoc) in headless Chromium with every request that
does not go to the server on 127.0.0.1 blocked: the pages render from the server's own
assets and try to reach no one else."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from callkpi.api.main import create_app
from callkpi.settings import Settings
from callkpi.testing import TEST_HMAC_KEY
from live_server import live_server


@pytest.fixture
def base_url(tmp_path) -> Iterator[str]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'callkpi.db'}", hmac_key=TEST_HMAC_KEY.hex()))
    try:
        with live_server(app) as url:
            yield url
    finally:
        app.state.callkpi.store.dispose()


@pytest.fixture
def outside_requests(page, base_url) -> list[str]:
    """Every request the page makes to a host other than the test server, aborted."""
    ours = urlsplit(base_url).netloc
    blocked: list[str] = []

    def only_ours(route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == ours or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.route("**/*", only_ours)
    return blocked


def test_swagger_ui_renders_offline(page, base_url, outside_requests):
    page.goto(base_url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title")

    assert "callkpi" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-summary-path", has_text="/v1/reports").count() >= 1
    assert outside_requests == []


def test_redoc_renders_offline(page, base_url, outside_requests):
    page.goto(base_url + "/redoc")
    page.wait_for_selector("h1", timeout=30_000)

    assert "callkpi" in page.locator("h1").first.inner_text()
    assert page.get_by_text("/v1/reports").count() >= 1
    assert outside_requests == []
