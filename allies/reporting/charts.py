"""The dashboards' charts as geometry for inline SVG (the template draws rectangles, lines and
text from these numbers; no JavaScript, no inline style: the CSP forbids both).

Like `allies.backoffice.charts` (whose horizontal bars the rankings reuse), but for amounts
in euros (French formatting from `core.money.format_eur`, compact on the axis: "12 k€"),
possibly negative (a day whose commission given back exceeds the commission earned), and
series of any length (axis labels thinned to about a dozen).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from allies.core.money import NBSP, format_eur

Number = Decimal | int


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    label: str  # axis label under the column ("" when thinned out)
    label_x: float  # centre of the column, for the label
    title: str  # "novembre 2026 : 12 345,00 €", for the tooltip and screen readers
    negative: bool


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: float  # x of the value axis
    right: float
    baseline: float  # y of the zero line
    label_y: float  # y of the axis labels
    columns: list[Column]
    ticks: list[Tick]
    empty: bool


@dataclass(frozen=True)
class HBar:
    y: float
    width: float
    height: float
    label: str
    value: str
    title: str


@dataclass(frozen=True)
class HBarChart:
    width: int
    height: int
    left: float  # x where the bars start
    bars: list[HBar]
    empty: bool


def nice_ceiling(value: float) -> float:
    """The axis top: the smallest of 1, 2, 2.5, 5 × 10^n at or above `value` (1 for 0)."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if magnitude * step >= value * (1 - 1e-9):
            return magnitude * step
    return magnitude * 10


def _lang() -> str:
    return "en" if (get_language() or "fr").startswith("en") else "fr"


def money(value: Number, lang: str | None = None) -> str:
    """An amount as read in a table: 12 345,67 €."""
    return format_eur(Decimal(value), language=lang or _lang())


def money_compact(value: float) -> str:
    """An axis label: 0 €, 500 €, 12 k€, 1,5 M€ (or €12k in English)."""
    lang = _lang()
    sign = "-" if value < 0 else ""
    value = abs(value)
    for size, unit in ((1_000_000, "M"), (1_000, "k")):
        if value >= size:
            shown = f"{value / size:.1f}".rstrip("0").rstrip(".")
            if lang == "en":
                return f"{sign}€{shown}{unit.lower() if unit == 'k' else unit}"
            return f"{sign}{shown.replace('.', ',')}{NBSP}{unit}€"
    shown = f"{value:.0f}" if value == int(value) else f"{value:.2f}"
    return f"{sign}€{shown}" if lang == "en" else f"{sign}{shown.replace('.', ',')}{NBSP}€"


def count_label(value: float) -> str:
    return f"{value:,.0f}".replace(",", NBSP if _lang() == "fr" else ",")


def column_chart(
    points: Sequence[tuple[str, str, Number]],
    *,
    is_money: bool = True,
    shown: Sequence[str] | None = None,
    width: int = 720,
    height: int = 240,
    max_labels: int = 12,
) -> ColumnChart:
    """Columns, one per (axis label, long label, value): a value axis on the left with three
    or four ticks, a zero line, and about `max_labels` axis labels."""
    left, right, top, bottom = 64.0, width - 6.0, 10.0, 26.0
    plot_h = height - top - bottom
    values = [float(v) for _a, _l, v in points]
    high = nice_ceiling(max([v for v in values if v > 0], default=0))
    low_raw = -min([v for v in values if v < 0], default=0)
    low = nice_ceiling(low_raw) if low_raw > 0 else 0.0
    span = high + low
    baseline = top + plot_h * high / span
    slot = (right - left) / max(len(points), 1)
    every = max(1, -(-len(points) // max_labels))  # ceil
    fmt = money_compact if is_money else count_label
    lang = _lang()
    columns = []
    for i, (axis, long, value) in enumerate(points):
        v = float(value)
        h = plot_h * abs(v) / span
        x = left + i * slot + slot * 0.15
        text = (
            shown[i] if shown is not None else (money(value, lang) if is_money else count_label(v))
        )
        columns.append(
            Column(
                x=round(x, 1),
                y=round(baseline - h if v >= 0 else baseline, 1),
                width=round(max(slot * 0.7, 1.0), 1),
                height=round(h, 1),
                label=axis if i % every == 0 else "",
                label_x=round(left + i * slot + slot / 2, 1),
                title=f"{long} : {text}" if lang == "fr" else f"{long}: {text}",
                negative=v < 0,
            )
        )
    tick_values = [high, high / 2, 0.0] + ([-low] if low else [])
    ticks = [Tick(y=round(baseline - plot_h * t / span, 1), label=fmt(t)) for t in tick_values]
    return ColumnChart(
        width=width,
        height=height,
        left=left,
        right=right,
        baseline=round(baseline, 1),
        label_y=height - 8.0,
        columns=columns,
        ticks=ticks,
        empty=not any(values),
    )


def hbar_chart(
    rows: Sequence[tuple[str, Number]], *, is_money: bool = True, width: int = 720, row: int = 28
) -> HBarChart:
    """Horizontal bars, one per (label, value), on a scale from 0 to the largest value; the
    value written at the end of the row (a negative value draws no bar)."""
    left = 230.0
    plot_w = width - left - 110
    peak = max((float(v) for _l, v in rows), default=0) or 1.0
    bars = []
    for i, (label, value) in enumerate(rows):
        shown = money(value) if is_money else count_label(float(value))
        bars.append(
            HBar(
                y=i * row + 4,
                width=round(max(plot_w * max(float(value), 0) / peak, 0), 1),
                height=row - 10,
                label=label if len(label) <= 30 else label[:29] + "…",
                value=shown,
                title=f"{label} : {shown}" if _lang() == "fr" else f"{label}: {shown}",
            )
        )
    return HBarChart(
        width=width,
        height=max(len(rows), 1) * row + 4,
        left=left,
        bars=bars,
        empty=not any(float(v) for _l, v in rows),
    )


def figure_chart(
    *,
    id: str,
    title: str,
    description: str,
    points: Sequence[Any],
    key: str,
    total: Number | None,
    total_label: str,
    is_money: bool = True,
) -> dict[str, object]:
    """One figure over time (`points`: `reporting.selectors.Point`s), ready for the template
    `reporting/_columns.html`: the chart, the rows of its table and the total."""
    raw = [getattr(p, key) for p in points]
    values = [(p.label, p.title, v or 0) for p, v in zip(points, raw, strict=True)]
    lang = _lang()

    def show(value: Number | None) -> str:
        if value is None:
            return "—"
        return money(value, lang) if is_money else count_label(float(value))

    texts = [show(v) for v in raw]
    chart = column_chart(values, is_money=is_money, shown=texts)
    return {
        "id": id,
        "title": title,
        "description": description,
        "chart": chart,
        "svg": columns_svg(chart, labelledby=f"{id}-title {id}-desc"),
        "rows": [(p.title, text) for p, text in zip(points, texts, strict=True)],
        # The table's body, written here for the same reason as the SVG (hundreds of rows).
        "tbody": mark_safe(  # noqa: S308 - escaped
            "".join(
                f'<tr><th scope="row">{escape(p.title)}</th>'
                f'<td class="num">{escape(text)}</td></tr>'
                for p, text in zip(points, texts, strict=True)
            )
        ),
        "total": show(total),
        "total_label": total_label,
    }


# --- SVG markup ---------------------------------------------------------------------------
# Written here rather than in a template loop: a year per day is 365 columns × 6 charts, and
# Django's template engine would spend most of the page's time on them. Every text is
# escaped; the markup has no style attribute (CSP), only classes of reporting/dashboard.css.


def escape(value: object) -> str:
    """HTML-escaped text, as `django.utils.html.escape` writes it (quotes included), without
    its lazy-argument wrapper and SafeString: called thousands of times per chart page."""
    return html.escape(str(value))


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def columns_svg(chart: ColumnChart, *, labelledby: str) -> SafeString:
    parts = [
        f'<svg class="rp-chart" viewBox="0 0 {chart.width} {chart.height}" role="img" '
        f'aria-labelledby="{escape(labelledby)}" preserveAspectRatio="xMinYMin meet">'
    ]
    for t in chart.ticks:
        parts.append(
            f'<line class="rp-grid" x1="{_n(chart.left)}" x2="{_n(chart.right)}" '
            f'y1="{_n(t.y)}" y2="{_n(t.y)}"/>'
            f'<text class="rp-axis" x="{_n(chart.left - 6)}" y="{_n(t.y)}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(t.label)}</text>'
        )
    for c in chart.columns:
        css = "rp-col rp-col-neg" if c.negative else "rp-col"
        parts.append(
            f'<rect class="{css}" x="{_n(c.x)}" y="{_n(c.y)}" width="{_n(c.width)}" '
            f'height="{_n(c.height)}">'
            f"<title>{escape(c.title)}</title></rect>"
        )
        if c.label:
            parts.append(
                f'<text class="rp-axis" x="{_n(c.label_x)}" y="{_n(chart.label_y)}" '
                'text-anchor="middle">'
                f"{escape(c.label)}</text>"
            )
    parts.append(
        f'<line class="rp-zero" x1="{_n(chart.left)}" x2="{_n(chart.right)}" '
        f'y1="{_n(chart.baseline)}" '
        f'y2="{_n(chart.baseline)}"/></svg>'
    )
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def hbars_svg(chart: HBarChart, *, labelledby: str, bad: bool = False) -> SafeString:
    css = "rp-bar rp-bar-bad" if bad else "rp-bar"
    parts = [
        f'<svg class="rp-chart" viewBox="0 0 {chart.width} {chart.height}" role="img" '
        f'aria-labelledby="{escape(labelledby)}" preserveAspectRatio="xMinYMin meet">'
    ]
    for b in chart.bars:
        text_y = _n(b.y + 14)
        parts.append(
            f'<text class="rp-label" x="0" y="{text_y}">{escape(b.label)}</text>'
            f'<rect class="{css}" x="{_n(chart.left)}" y="{_n(b.y)}" width="{_n(b.width)}" '
            f'height="{_n(b.height)}">'
            f"<title>{escape(b.title)}</title></rect>"
            f'<text class="rp-value" x="{chart.width - 4}" y="{text_y}" text-anchor="end">'
            f"{escape(b.value)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
