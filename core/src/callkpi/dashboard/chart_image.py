"""The trend charts as one PNG image (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # before pyplot: render to memory, never to a window

import matplotlib.pyplot as plt  # after matplotlib.use: the backend must be chosen first

from .charts import BAR_COLOUR, LINE_COLOUR, TARGET_COLOUR, Chart

IMAGE_SIZE_PX = (1200, 800)
DPI = 100
MAX_X_LABELS = 8


def charts_png(charts: Sequence[Chart], title: str) -> bytes:
    """``charts`` in a grid of two columns, ``IMAGE_SIZE_PX`` pixels, as PNG bytes."""
    rows = max(1, math.ceil(len(charts) / 2))
    width, height = IMAGE_SIZE_PX
    figure, axes = plt.subplots(rows, 2, figsize=(width / DPI, height / DPI), dpi=DPI, squeeze=False)
    try:
        figure.suptitle(title)
        for index, ax in enumerate(axes.flat):
            if index < len(charts):
                _draw(ax, charts[index])
            else:
                ax.set_axis_off()
        figure.tight_layout()
        buffer = io.BytesIO()
        # no bbox_inches="tight": it would change the image size
        figure.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _draw(ax, chart: Chart) -> None:
    ax.set_title(chart.title, fontsize=10)
    positions = range(len(chart.values))
    if chart.empty:
        ax.text(0.5, 0.5, "no data in this period", ha="center", va="center", transform=ax.transAxes)
    elif chart.kind == "bar":
        ax.bar(positions, [v or 0 for v in chart.values], color=BAR_COLOUR)
    else:
        ax.plot(positions, [math.nan if v is None else v for v in chart.values], color=LINE_COLOUR, marker="o",
                markersize=3)
    if chart.target is not None:
        ax.axhline(chart.target, color=TARGET_COLOUR, linestyle="--", linewidth=1)
    if chart.unit == "%":
        ax.set_ylim(0, 100)
    every = max(1, math.ceil(len(chart.labels) / MAX_X_LABELS))
    ax.set_xticks(list(positions)[::every], list(chart.labels)[::every], fontsize=8)
    ax.grid(axis="y", color="#d9dde3")
