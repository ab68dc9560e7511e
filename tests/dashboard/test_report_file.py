"""``callkpi report --format html|png``: one self-contained HTML file that renders offline in
Chromium with the report's tiles and charts, and a PNG of the charts that decodes at its size."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_seed import CENTRE, seed
from PIL import Image
from typer.testing import CliRunner, Result

from callkpi.cli import app as cli
from callkpi.dashboard.chart_image import IMAGE_SIZE_PX
from callkpi.dashboard.charts import BAR_COLOUR
from callkpi.store.db import Store
from callkpi.testing import TEST_HMAC_KEY

TUESDAY = ("--from", "2026-11-03", "--centre", CENTRE)


@pytest.fixture
def database(tmp_path: Path, pm, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A seeded SQLite store, and the CLI's settings isolated in tmp_path with the seed's HMAC key."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLKPI_CONFIG", raising=False)
    monkeypatch.setenv("CALLKPI_HMAC_KEY", TEST_HMAC_KEY.hex())
    store = Store.open(f"sqlite:///{tmp_path / 'callkpi.db'}")
    seed(store, pm)
    store.dispose()
    yield store.url


def report(database: str, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["report", *args, "--database", database])
    return result


def open_offline(chromium, path: Path):
    """A page showing ``path`` with every request but file:// refused; returns (page, context, refused URLs)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    refused: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    page.goto(path.as_uri())
    return page, context, refused


def test_html_file_renders_tiles_and_charts_offline(chromium, database, tmp_path):
    output = tmp_path / "report.html"
    result = report(database, *TUESDAY, "--kpi", "offered,service_level,asa", "--format", "html",
                    "--output", str(output))
    assert result.exit_code == 0, result.output
    page, context, refused = open_offline(chromium, output)
    try:
        tiles = page.locator(".tile")
        assert tiles.locator(".tile-title").all_inner_texts() == [
            "Contacts offered", "Service level", "Average speed of answer"]
        # 4 offered, 2 answered within 20 s, ASA (10 + 50 + 5) ÷ 3
        assert tiles.locator(".tile-value").all_inner_texts() == ["4", "50.0 %", "21.7 s"]
        assert page.locator('.tile[data-kpi="service_level"]').get_attribute("data-state") == "missed"
        bars = page.locator('svg[data-chart="offered-by-interval30"] rect.bar')
        assert [b.get_attribute("data-value") for b in bars.all()] == ["2", "1", "1"]
        assert bars.first.bounding_box()["height"] > 0  # drawn, not just present
        assert page.locator(".hm-cell").count() == 7 * 24
    finally:
        context.close()
    assert refused == []  # nothing but the file itself was needed
    assert "<link" not in output.read_text() and "src=" not in output.read_text()


def test_grouped_html_report_adds_its_table_under_the_totals(chromium, database, tmp_path):
    output = tmp_path / "by-queue.html"
    result = report(database, *TUESDAY, "--kpi", "offered,abandon_rate", "--by", "queue", "--format", "html",
                    "--output", str(output))
    assert result.exit_code == 0, result.output
    page, context, _ = open_offline(chromium, output)
    try:
        assert page.locator(".tile-value").all_inner_texts() == ["4", "25.0 %"]  # the whole centre
        rows = page.locator('table[data-table="report"] tbody tr')
        # sales: c1, c2 answered; support: c3 answered, c4 abandoned
        assert [r.inner_text().split("\t") for r in rows.all()] == [["sales", "2", "0.0 %"],
                                                                      ["support", "2", "50.0 %"]]
    finally:
        context.close()


def test_png_is_a_chart_image_of_the_stated_size(database, tmp_path):
    output = tmp_path / "report.png"
    result = report(database, *TUESDAY, "--format", "png", "--output", str(output))
    assert result.exit_code == 0, result.output
    with Image.open(output) as image:
        assert image.format == "PNG"
        assert image.size == IMAGE_SIZE_PX
        colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    bar = tuple(int(BAR_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    assert bar in colours  # the bars of contacts offered are drawn


def test_png_needs_an_output_file(database):
    result = report(database, *TUESDAY, "--format", "png")
    assert result.exit_code != 0
    assert "--format png writes a file; expected --output FILE.png" in result.output
