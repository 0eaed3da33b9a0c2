"""The supervisor's charts as geometry for inline SVG: the template draws rectangles and text
from these numbers (no JavaScript library, no inline style: the CSP forbids both, and a
server-drawn chart prints and reads without scripts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import formats


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str  # what the axis or the row says
    title: str  # what a screen reader and the tooltip say


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    empty: bool
    left: float = 0
    bottom: float = 0


def _nice_max(value: int) -> int:
    """The axis top: the smallest of 1, 2, 5 × 10^n at or above `value` (at least 1)."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if magnitude * step >= value:
                return magnitude * step
        magnitude *= 10


def column_chart(
    points: Sequence[tuple[date, int]], *, width: int = 720, height: int = 220
) -> Chart:
    """Columns, one per day (requests per day): axis on the left, a date label every
    seventh day."""
    left, bottom, top_pad = 36.0, 24.0, 8.0
    plot_w, plot_h = width - left - 4, height - bottom - top_pad
    peak = _nice_max(max((n for _d, n in points), default=0))
    slot = plot_w / max(len(points), 1)
    bars = []
    for i, (day, count) in enumerate(points):
        h = plot_h * count / peak
        shown = formats.date_format(day, "SHORT_DATE_FORMAT")
        bars.append(
            Bar(
                x=round(left + i * slot + slot * 0.15, 1),
                y=round(top_pad + plot_h - h, 1),
                width=round(slot * 0.7, 1),
                height=round(h, 1),
                value=count,
                label=formats.date_format(day, "d/m") if i % 7 == 0 else "",
                title=f"{shown} : {count}",
            )
        )
    values = [0, peak // 2, peak] if peak >= 2 else [0, peak]
    ticks = [Tick(y=round(top_pad + plot_h - plot_h * v / peak, 1), label=str(v)) for v in values]
    return Chart(width=width, height=height, bars=bars, ticks=ticks,
                 empty=not any(n for _d, n in points), left=left,
                 bottom=top_pad + plot_h)  # fmt: skip


def bar_chart(rows: Sequence[tuple[str, int]], *, width: int = 720, row: int = 28) -> Chart:
    """Horizontal bars, one per row (the vendors with the most missed deadlines)."""
    left = 220.0
    plot_w = width - left - 48
    peak = max((n for _label, n in rows), default=0) or 1
    bars = [
        Bar(
            x=left,
            y=i * row + 4,
            width=round(max(plot_w * n / peak, 2), 1),
            height=row - 10,
            value=n,
            label=label[:32],
            title=f"{label} : {n}",
        )
        for i, (label, n) in enumerate(rows)
    ]
    return Chart(width=width, height=max(len(rows), 1) * row + 4, bars=bars, ticks=[],
                 empty=not rows, left=left)  # fmt: skip


def share_bars(rows: Sequence[tuple[Any, Any]], *, width: int = 720, row: int = 40) -> Chart:
    """One bar per party on a 0–100 % scale: the share of answers in time (an `OnTime`)."""
    left = 220.0
    plot_w = width - left - 64
    bars = []
    for i, (label, figures) in enumerate(rows):
        share = figures.share
        percent = round(share * 100) if share is not None else None
        bars.append(
            Bar(
                x=left,
                y=i * row + 6,
                width=round(plot_w * (share or 0), 1),
                height=row - 14,
                value=percent if percent is not None else -1,
                label=str(label),
                title=f"{label} : {percent} %" if percent is not None else f"{label} : —",
            )
        )
    return Chart(width=width, height=len(rows) * row + 6, bars=bars, ticks=[],
                 empty=all(f.total == 0 for _l, f in rows), left=left + plot_w)  # fmt: skip
