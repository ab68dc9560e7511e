"""Trend charts drawn on the server as inline SVG: no JavaScript, no chart library, no network.

Server-side SVG renders the same in the dashboard, in the self-contained HTML report
(e-mail clients run no scripts) and in print. Colours are attributes rather than CSS so
a copied chart keeps them. Every bar and point carries ``data-label``/``data-value`` and
a ``<title>`` tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from .display import value_text

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 10, 12, 30
MAX_X_LABELS = 8
BAR_COLOUR, LINE_COLOUR, TARGET_COLOUR, GRID_COLOUR = "#3b6fb6", "#1b7f5a", "#c0392b", "#d9dde3"


@dataclass(frozen=True)
class Chart:
    """One series over labelled slots: bars (counts) or a line (rates), with an optional target line."""

    name: str
    title: str
    unit: str
    kind: str
    labels: Sequence[str]
    values: Sequence[float | None]
    target: float | None = None

    @property
    def empty(self) -> bool:
        return all(value is None for value in self.values)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (1 for nothing to show)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


class _Frame:
    """Maps slot indexes and values to SVG coordinates."""

    def __init__(self, chart: Chart):
        highest = max([v for v in chart.values if v is not None] + [chart.target or 0])
        self.top = 100.0 if chart.unit == "%" else nice_ceiling(highest)
        self.slots = max(len(chart.values), 1)
        self.slot_width = (WIDTH - LEFT - RIGHT) / self.slots

    def x(self, index: int) -> float:
        return LEFT + (index + 0.5) * self.slot_width

    def y(self, value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - min(value, self.top) / self.top)


def render_svg(chart: Chart) -> Markup:
    """The chart as an ``<svg>`` element scaling to its container's width."""
    frame = _Frame(chart)
    parts = [*_grid(chart, frame), *_x_labels(chart, frame)]
    parts += _bars(chart, frame) if chart.kind == "bar" else _line(chart, frame)
    if chart.target is not None:
        y = frame.y(chart.target)
        parts.append(
            f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{TARGET_COLOUR}" stroke-dasharray="6 4"><title>target {chart.target:g}</title></line>'
        )
    title = escape(chart.title)
    return Markup(
        f'<svg class="chart" data-chart="{escape(chart.name)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="11">{"".join(parts)}</svg>'
    )


def _grid(chart: Chart, frame: _Frame) -> list[str]:
    lines = []
    for fraction in (0, 0.5, 1):
        value = frame.top * fraction
        y = frame.y(value)
        lines.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{_tick(value, chart.unit)}</text>'
        )
    return lines


def _tick(value: float, unit: str) -> str:
    text = f"{value:g}"
    return text + (" %" if unit == "%" else " s" if unit == "s" else "")


def _x_labels(chart: Chart, frame: _Frame) -> list[str]:
    every = max(1, math.ceil(len(chart.labels) / MAX_X_LABELS))
    return [
        f'<text x="{frame.x(i):.1f}" y="{HEIGHT - 10}" text-anchor="middle" fill="#555">{escape(label)}</text>'
        for i, label in enumerate(chart.labels)
        if i % every == 0
    ]


def _bars(chart: Chart, frame: _Frame) -> list[str]:
    width = frame.slot_width * 0.7
    bottom = frame.y(0)
    bars = []
    for i, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        if value is None:
            continue
        y = frame.y(value)
        bars.append(
            f'<rect class="bar" data-label="{escape(label)}" data-value="{value:g}" '
            f'x="{frame.x(i) - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" height="{bottom - y:.1f}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {value_text(value, chart.unit)}</title></rect>'
        )
    return bars


def _line(chart: Chart, frame: _Frame) -> list[str]:
    """A polyline per run of slots with values (a slot without data breaks the line) and a dot per value."""
    runs: list[list[str]] = [[]]
    dots = []
    for i, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        if value is None:
            runs.append([])
            continue
        x, y = frame.x(i), frame.y(value)
        runs[-1].append(f"{x:.1f},{y:.1f}")
        dots.append(
            f'<circle class="point" data-label="{escape(label)}" data-value="{value:g}" cx="{x:.1f}" '
            f'cy="{y:.1f}" r="3" fill="{LINE_COLOUR}"><title>{escape(label)}: '
            f"{value_text(value, chart.unit)}</title></circle>"
        )
    lines = [
        f'<polyline class="line" points="{" ".join(run)}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2"/>'
        for run in runs
        if len(run) > 1
    ]
    return lines + dots
