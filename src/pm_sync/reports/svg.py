"""Bar charts as inline SVG: plain shapes and text, no script, nothing fetched at view time.

Every chart is a fixed-size `<svg>` on a light panel (`PANEL`), so a page that embeds it looks
the same in a browser, a mail client that allows SVG, or a docs site.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PANEL = "#f4f6fa"
GRID = "#d5dae3"
INK = "#2b2f36"
MUTED = "#5d6573"
WIDTH = 760
HEIGHT = 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 40, 44
MAX_BAR = 72.0


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[float | None]


def nice_step(top: float, ticks: int = 4, *, whole: bool = False) -> float:
    """A round axis step (1, 2 or 5 times a power of ten) giving about `ticks` grid lines;
    `whole` for counts, whose axis never shows halves."""
    if top <= 0:
        return 1.0
    raw = max(top / ticks, 1.0) if whole else top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


def _num(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _frame(title: str, desc: str, body: list[str], legend: Sequence[Series]) -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
        f'<rect class="panel" x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="{PANEL}"/>',
        f'<text x="{_LEFT}" y="22" font-size="14" font-weight="600" fill="{INK}">{escape(title)}</text>',
    ]
    x = WIDTH - _RIGHT
    for series in reversed(legend):
        width = 26 + 7 * len(series.name)
        x -= width
        parts.append(f'<rect x="{x}" y="12" width="11" height="11" fill="{series.colour}"/>')
        parts.append(f'<text x="{x + 15}" y="22" font-size="12" fill="{MUTED}">{escape(series.name)}</text>')
    return "\n".join([*parts, *body, "</svg>"])


def _axis(top: float, unit: str, *, whole: bool = False) -> tuple[list[str], float]:
    """Grid lines and labels for 0..top; returns them and the scale's maximum."""
    step = nice_step(top, whole=whole)
    maximum = step * max(1, math.ceil(top / step))
    plot_h = HEIGHT - _TOP - _BOTTOM
    out = []
    value = 0.0
    while value <= maximum + 1e-9:
        y = _TOP + plot_h - plot_h * value / maximum
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{MUTED}">{_num(value)}{escape(unit)}</text>'
        )
        value += step
    return out, maximum


def _labels(categories: Sequence[str]) -> tuple[list[str], float]:
    slot = (WIDTH - _LEFT - _RIGHT) / max(1, len(categories))
    out = [
        f'<text x="{_LEFT + slot * (i + 0.5):.1f}" y="{HEIGHT - _BOTTOM + 18}" font-size="11" '
        f'text-anchor="middle" fill="{MUTED}">{escape(label)}</text>'
        for i, label in enumerate(categories)
    ]
    return out, slot


def _empty(title: str) -> str:
    body = [
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" font-size="13" text-anchor="middle" '
        f'fill="{MUTED}">no data yet</text>'
    ]
    return _frame(title, "no data", body, [])


def stacked_bars(title: str, categories: Sequence[str], series: Sequence[Series], unit: str = "") -> str:
    """One bar per category, the series stacked bottom-up in order."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    if not categories or not any(totals):
        return _empty(title)
    grid, maximum = _axis(max(totals), unit, whole=True)
    labels, slot = _labels(categories)
    plot_h = HEIGHT - _TOP - _BOTTOM
    bars: list[str] = []
    for i, category in enumerate(categories):
        base = 0.0
        width = min(slot * 0.6, MAX_BAR)
        x = _LEFT + slot * (i + 0.5) - width / 2
        for s in series:
            value = s.values[i] or 0
            if value <= 0:
                continue
            h = plot_h * value / maximum
            y = _TOP + plot_h - plot_h * base / maximum - h
            bars.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{s.colour}"><title>{escape(category)}: {_num(value)} {escape(s.name)}</title></rect>'
            )
            base += value
    desc = "; ".join(
        f"{c}: " + ", ".join(f"{_num(s.values[i] or 0)} {s.name}" for s in series)
        for i, c in enumerate(categories)
    )
    return _frame(title, desc, [*grid, *bars, *labels], series)


def grouped_bars(
    title: str, categories: Sequence[str], series: Sequence[Series], unit: str = "", top: float | None = None
) -> str:
    """Side-by-side bars per category; a missing value leaves its gap (and says so on hover)."""
    values = [v for s in series for v in s.values if v is not None]
    if not categories or not values:
        return _empty(title)
    grid, maximum = _axis(top if top is not None else max(*values, 1.0), unit)
    labels, slot = _labels(categories)
    plot_h = HEIGHT - _TOP - _BOTTOM
    width = min(slot * 0.7 / len(series), MAX_BAR)
    bars: list[str] = []
    for i, category in enumerate(categories):
        start = _LEFT + slot * (i + 0.5) - width * len(series) / 2
        for n, s in enumerate(series):
            value = s.values[i]
            if value is None:
                continue
            h = max(plot_h * value / maximum, 1.0)
            x = start + width * n
            bars.append(
                f'<rect class="bar" x="{x:.1f}" y="{_TOP + plot_h - h:.1f}" width="{width:.1f}" '
                f'height="{h:.1f}" fill="{s.colour}"><title>{escape(category)}: {escape(s.name)} '
                f"{_num(value)}{escape(unit)}</title></rect>"
            )
    desc = "; ".join(
        f"{c}: "
        + ", ".join(f"{s.name} {'n/a' if s.values[i] is None else _num(s.values[i] or 0)}" for s in series)
        for i, c in enumerate(categories)
    )
    return _frame(title, desc, [*grid, *bars, *labels], series)
