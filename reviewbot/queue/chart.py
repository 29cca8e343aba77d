"""A stacked bar chart as SVG shapes computed here: no JavaScript, nothing to build.

The template draws the shapes; every label goes through its autoescape,
so a subsystem or rule name can never become markup.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    total: int
    href: str
    segments: tuple[tuple[float, float, str, str, int], ...]  # x, width, colour, rule, count


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str, int], ...]  # rule, colour, y
    ticks: tuple[tuple[float, int], ...]
    axis_y: int


def stacked(by_label: dict[str, Counter[str]], links: dict[str, str], width: int = 760) -> Chart:
    """One horizontal bar per label (most findings first), one segment per rule."""
    rules = sorted({r for c in by_label.values() for r in c})
    colours = {r: PALETTE[i % len(PALETTE)] for i, r in enumerate(rules)}
    order = sorted(by_label, key=lambda k: (-sum(by_label[k].values()), k))
    left, bar_h, gap, top = 170, 22, 8, 10
    plot = width - left - 240  # room for the totals, then the legend
    most = max((sum(c.values()) for c in by_label.values()), default=0) or 1
    scale = plot / most
    bars = []
    for i, label in enumerate(order):
        y = top + i * (bar_h + gap)
        x = float(left)
        segs = []
        for r in rules:
            n = by_label[label][r]
            if n:
                segs.append((x, n * scale, colours[r], r, n))
                x += n * scale
        bars.append(Bar(label, y, sum(by_label[label].values()), links.get(label, ""), tuple(segs)))
    axis_y = top + len(order) * (bar_h + gap)
    step = max(1, round(most / 5))
    ticks = tuple((left + v * scale, v) for v in range(0, most + 1, step))
    legend = tuple((r, colours[r], top + i * 20) for i, r in enumerate(rules))
    height = max(axis_y + 30, top + len(rules) * 20 + 10)
    return Chart(width, height, left, tuple(bars), legend, ticks, axis_y)
