"""Server-drawn SVG charts and heat-map colours: scales, gaps, targets and escaping."""

from __future__ import annotations

import re

import pytest

from callkpi.dashboard.charts import HEIGHT, Chart, nice_ceiling, render_svg
from callkpi.dashboard.heatmap import EMPTY_COLOUR, cell_colour


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (3, 5), (7, 10), (180, 200), (201, 500), (1000, 1000)])
def test_nice_ceiling_rounds_up_to_1_2_5_steps(value, ceiling):
    assert nice_ceiling(value) == ceiling


def test_bars_scale_to_a_nice_ceiling():
    svg = render_svg(Chart("offered", "Offered", "n", "bar", ["a", "b"], [50, 100]))
    heights = [float(h) for h in re.findall(r'class="bar"[^>]*height="([0-9.]+)"', svg)]
    # plot height 220 − 12 − 30 = 178; the top is 100, so 50 is half as tall
    assert heights == [89.0, 178.0]


def test_a_line_breaks_where_a_slot_has_no_data_and_shows_its_target():
    svg = render_svg(Chart("sl", "Service level", "%", "line", ["1", "2", "3", "4", "5"], [50, 60, None, 70, 80],
                           target=80))
    assert svg.count("<polyline") == 2  # 1–2 and 4–5
    assert re.findall(r'data-value="([0-9.]+)"', svg) == ["50", "60", "70", "80"]
    y = float(re.search(r'class="target"[^>]*y1="([0-9.]+)"', svg).group(1))
    assert y == pytest.approx(12 + (HEIGHT - 12 - 30) * 0.2, abs=0.1)  # 80 of 100 %: a fifth down


def test_labels_are_escaped():
    svg = render_svg(Chart("q", "<b>Queue</b>", "n", "bar", ['<script>"x"</script>'], [1]))
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg


@pytest.mark.parametrize(
    ("value", "target", "colour"),
    [
        (None, 80, EMPTY_COLOUR),
        (80, 80, "hsl(130, 50%, 62%)"),  # just on target: light green
        (100, 80, "hsl(130, 50%, 42%)"),  # far above: dark green
        (65, 80, "hsl(20, 75%, 55%)"),  # 15 points under of 30: half-way to red
        (40, 80, "hsl(0, 75%, 55%)"),  # 30 or more under: red
        (50, None, "hsl(60, 60%, 50%)"),  # no target: a plain 0–100 % scale
    ],
)
def test_heat_map_cell_colour(value, target, colour):
    assert cell_colour(value, target) == colour
