"""Charts drawn on the server as inline SVG: they work offline, need no script, and every label
is escaped text. Each chart is drawn twice, for a wide and a phone-sized screen, so its words stay
readable on both (CSS shows the one that fits)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Sequence

from markupsafe import Markup

PALETTE = ("#1f6fb2", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c", "#0b7285", "#e67700", "#495057")
RED = "#c92a2a"  # bad news: a rise, a critical alert, a limit not to cross
NOT_ENOUGH = "not enough history yet"


@dataclass
class Series:
    label: str
    points: list[tuple[date, float]]
    color: str = ""
    dashed: bool = False


@dataclass
class Marker:
    """An alert as it was sent, pinned on its series' line at the night it happened."""

    day: date
    value: float
    label: str  # the message, shown on hover
    color: str = RED


@dataclass
class Chart:
    series: list[Series]
    y_label: str  # "USD per bd ft"
    format_value: Callable[[float], str]  # tick labels: "$22.00"
    markers: list[Marker] = field(default_factory=list)
    title: str = ""

    def has_data(self) -> bool:
        return sum(len(s.points) for s in self.series) >= 2


def limit_line(label: str, points: Sequence[tuple[date, float]], value: float) -> Series:
    """A dashed red line at ``value`` across the span of ``points``: a limit the owner set."""
    return Series(label, [(points[0][0], value), (points[-1][0], value)], RED, dashed=True)


def sparkline(values: Sequence[float], width: int = 120, height: int = 30, label: str = "") -> Markup:
    """A small trend line: rising red, falling green, flat grey; text when there is too little."""
    if len(values) < 2:
        return Markup('<span class="muted small">{}</span>').format(NOT_ENOUGH)
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 4) / (len(values) - 1)
    points = " ".join(f"{2 + i * step:.1f},{height - 3 - (v - low) / span * (height - 6):.1f}" for i, v in enumerate(values))
    color = RED if values[-1] > values[0] * 1.005 else "#2b8a3e" if values[-1] < values[0] * 0.995 else "#868e96"
    last_x, last_y = points.split()[-1].split(",")
    return Markup(
        '<svg class="spark" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}"><title>{label}</title>'
        '<polyline fill="none" stroke="{c}" stroke-width="2" points="{p}"/><circle cx="{x}" cy="{y}" r="2.5" fill="{c}"/></svg>'
    ).format(w=width, h=height, label=label, c=color, p=points, x=last_x, y=last_y)


def _nice_ticks(low: float, high: float, count: int) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten apart) covering [low, high]."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    value = math.floor(low / step) * step
    ticks = []
    while value <= high + step * 1e-6:
        if value >= low - step * 1e-6:
            ticks.append(round(value, 10))
        value += step
    return ticks


def _date_ticks(first: date, last: date, count: int) -> list[date]:
    days = max((last - first).days, 1)
    step = max(1, round(days / max(count, 1)))
    if step > 20:  # month starts read better than arbitrary days
        ticks, month = [], date(first.year, first.month, 1)
        every = max(1, round(step / 30))
        while month <= last:
            if month >= first:
                ticks.append(month)
            for _ in range(every):
                month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        return ticks
    return [first + timedelta(days=k) for k in range(0, days + 1, step)]


def _date_label(day: date, span_days: int) -> str:
    if span_days > 300:
        return f"{day:%b %Y}"
    return f"{day.day} {day:%b}"


def draw(chart: Chart, width: int, height: int, font: int, y_ticks: int, x_ticks: int, css_class: str) -> Markup:
    """One rendering of ``chart`` in a ``width`` x ``height`` box."""
    values = [v for s in chart.series for _, v in s.points] + [m.value for m in chart.markers]
    days = [d for s in chart.series for d, _ in s.points] + [m.day for m in chart.markers]
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or abs(high) * 0.05 or 1.0
    ticks = _nice_ticks(low - pad, high + pad, y_ticks)
    y_min, y_max = min(ticks[0], low - pad), max(ticks[-1], high + pad)
    labels = [chart.format_value(t) for t in ticks]
    left = int(max(len(t) for t in labels) * font * 0.62) + 8
    top, bottom, right = font * 2 + 4, font + 12, 10
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: date) -> float:
        return left + (day - first).days / span * plot_w

    def y(value: float) -> float:
        return top + (1 - (value - y_min) / ((y_max - y_min) or 1)) * plot_h

    parts = [Markup('<svg class="chart {cls}" role="img" viewBox="0 0 {w} {h}" preserveAspectRatio="xMinYMin meet" '
                    'font-size="{f}"><title>{t}</title>').format(cls=css_class, w=width, h=height, f=font, t=chart.title or chart.y_label)]
    parts.append(Markup('<text x="0" y="{y}" class="axis-title">{label}</text>').format(y=font + 2, label=chart.y_label))
    for tick, label in zip(ticks, labels):
        parts.append(Markup('<line x1="{l}" x2="{r}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                            '<text x="{tx}" y="{ty:.1f}" text-anchor="end" class="tick">{label}</text>').format(
            l=left, r=width - right, y=y(tick), tx=left - 6, ty=y(tick) + font * 0.35, label=label))
    for day in _date_ticks(first, last, x_ticks):
        parts.append(Markup('<text x="{x:.1f}" y="{y}" text-anchor="middle" class="tick">{label}</text>').format(
            x=min(max(x(day), left + font * 1.5), width - right - font * 1.5), y=height - 4, label=_date_label(day, span)))
    for number, series in enumerate(chart.series):
        if not series.points:
            continue
        color = series.color or PALETTE[number % len(PALETTE)]
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in series.points)
        dash = ' stroke-dasharray="6 4"' if series.dashed else ""
        parts.append(Markup('<polyline fill="none" stroke="{c}" stroke-width="2"{dash} points="{p}"><title>{t}</title></polyline>').format(
            c=color, dash=Markup(dash), p=path, t=series.label))
        if len(series.points) == 1:
            d, v = series.points[0]
            parts.append(Markup('<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}"/>').format(x=x(d), y=y(v), c=color))
    for marker in chart.markers:
        cx, cy = x(marker.day), y(marker.value)
        size = font * 0.55
        parts.append(Markup('<path class="marker" d="M{x0:.1f},{y0:.1f} L{x1:.1f},{y1:.1f} L{x2:.1f},{y1:.1f} Z" fill="{c}" '
                            'data-x="{cx:.1f}" data-y="{cy:.1f}"><title>{t}</title></path>').format(
            x0=cx, y0=cy - size * 0.2, x1=cx - size, x2=cx + size, y1=cy - size * 1.9, c=marker.color, cx=cx, cy=cy,
            t=f"{marker.day:%d %b %Y}: {marker.label}"))
        parts.append(Markup('<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}" class="marker-dot"/>').format(x=cx, y=cy, c=marker.color))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def render(chart: Chart) -> Markup:
    """The chart for a wide screen and for a phone, with a legend in HTML (it wraps), or a note
    when there is too little history to draw a line."""
    if not chart.has_data():
        return Markup('<p class="no-chart">{}</p>').format(NOT_ENOUGH.capitalize() + ": a chart needs prices from two nights or more.")
    legend = Markup("").join(
        Markup('<li><span class="swatch{dash}" style="background:{c}"></span>{label}</li>').format(
            c=s.color or PALETTE[i % len(PALETTE)], label=s.label, dash=" dashed" if s.dashed else "")
        for i, s in enumerate(chart.series) if s.points)
    if chart.markers:
        legend += Markup('<li><span class="swatch marker-swatch"></span>an alert sent that night (tap or point at it for its message)</li>')
    return Markup('<figure class="chart-box">{wide}{narrow}<ul class="legend">{legend}</ul></figure>').format(
        wide=draw(chart, 900, 320, 13, 6, 8, "wide"), narrow=draw(chart, 360, 260, 12, 4, 3, "narrow"), legend=legend)
