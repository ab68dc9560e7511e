"""Headless Chromium for browser tests: Debian's ``chromium`` driven by Playwright.

Never a downloaded browser: ``.ci/run`` installs ``chromium`` with apt-get. Without it
the browser tests fail (not skip), so a missing browser can't hide a broken page.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

# Chromium's own background connections would be refused on a machine without internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """A Playwright ``Browser`` on Debian's chromium, shared by one module's tests.

    Not by the session's: while Playwright's sync API runs, it owns the main thread's event
    loop, and every later async test (anyio, httpx.ASGITransport) would fail to start its own.
    Keep browser tests in modules of their own."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("no `chromium` on PATH; install it with `apt-get install chromium` (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium) -> Iterator[object]:
    """A fresh browser context and page (1280×800) for one test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()
