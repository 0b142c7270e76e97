"""Bar charts as inline SVG that fit any screen: no JavaScript, no external assets.

The charts are laid out in percentages of their own width, with text in pixels, so that
they shrink to a phone's width and the text stays legible (12 px) instead of scaling down
with a fixed `viewBox`. Each row is one item (a slice, a model): its name on a line of its
own, then one bar per series, each with its value at the right, its 95% interval as a
whisker and its bar's threshold as a vertical mark. Bars are coloured by meaning, the
same on every chart (`COLOURS`); the SVG carries classes and the page's CSS gives the
colours, so charts follow the page's light or dark scheme.

Geometry is computed here; the markup comes from `templates/_parts.html.j2` (autoescaped),
so every label from a manifest or report is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ._html import macro, one_line

#: What each colour means, everywhere: a bar's verdict, or no verdict at all.
COLOURS = {
    "pass": "a bar that passes",
    "warn": "a should-level bar that fails, or a report older than its cadence",
    "fail": "a must-level bar that fails",
    "ref": "the teacher (the reference), or a retired model",
    "measure": "a figure with no bar on it",
}

LABEL_H = 17        # the row's name
BAR_H = 13
BAR_GAP = 4
ROW_GAP = 9
AXIS_H = 20
PLOT = 66.0         # the bars' span, % of the chart's width (after the series tags); values follow it


@dataclass
class Bar:
    """One bar: ``value`` (None when missing) in the chart's units, coloured by ``css``."""

    series: str
    value: float | None
    css: str = "measure"
    text: str = ""
    low: float | None = None
    high: float | None = None
    threshold: float | None = None
    threshold_text: str = ""


@dataclass
class Row:
    label: str
    bars: list[Bar] = field(default_factory=list)


@dataclass
class _Drawn:
    y: float
    tag: str
    width: str                  # % of the chart
    css: str
    text: str
    title: str
    missing: bool
    whisker: tuple[str, str] | None
    threshold: str | None
    threshold_title: str


def _pct(x: float, lo: float, hi: float) -> float:
    return max(0.0, min(1.0, (x - lo) / ((hi - lo) or 1.0))) * PLOT


def bar_chart(title: str, rows: Sequence[Row], *, lo: float = 0.0, hi: float = 1.0,
              ticks: Sequence[tuple[float, str]] | None = None, tag_width: int = 0, css_class: str = "") -> str:
    """An SVG chart of ``rows`` on one line of markup.

    ``tag_width`` (px) reserves a column for each bar's series name; leave it 0 when every
    row has one unnamed bar. ``ticks`` are (value, label) pairs for the axis (default: five
    percentages over lo..hi)."""
    if ticks is None:
        ticks = [(lo + (hi - lo) * i / 4, f"{100 * (lo + (hi - lo) * i / 4):.0f}%") for i in range(5)]
    drawn_rows = []
    y = 0.0
    for row in rows:
        label_y = y + LABEL_H - 4
        y += LABEL_H
        bars = []
        for bar in row.bars:
            w = 0.0 if bar.value is None else _pct(bar.value, lo, hi)
            whisker = None
            if bar.low is not None and bar.high is not None and bar.value is not None:
                whisker = (f"{_pct(bar.low, lo, hi):.2f}%", f"{_pct(bar.high, lo, hi):.2f}%")
            thr = None if bar.threshold is None else f"{_pct(bar.threshold, lo, hi):.2f}%"
            bars.append(_Drawn(y=y, tag=bar.series if tag_width else "", width=f"{w:.2f}%", css=bar.css,
                               text=bar.text or ("n/a" if bar.value is None else f"{bar.value:g}"),
                               title=f"{row.label} · {bar.series}: {bar.text or 'n/a'}"
                               + (f" ({bar.threshold_text})" if bar.threshold_text else ""),
                               missing=bar.value is None, whisker=whisker, threshold=thr,
                               threshold_title=bar.threshold_text))
            y += BAR_H + BAR_GAP
        drawn_rows.append({"label": row.label, "label_y": label_y, "bars": bars})
        y += ROW_GAP
    axis_y = y
    height = y + AXIS_H
    axis = [{"x": f"{_pct(v, lo, hi):.2f}%", "label": text} for v, text in ticks]
    svg = macro("bar_chart")(title=title, rows=drawn_rows, axis=axis, axis_y=axis_y, height=height,
                             tag_width=tag_width, bar_h=BAR_H, plot=f"{PLOT:g}%", css_class=css_class)
    return one_line(str(svg))


def grouped_bars(title: str, groups: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
                 *, css: Sequence[Sequence[str]] | None = None,
                 thresholds: Sequence[Sequence[float | None]] | None = None, lo: float = 0.0,
                 hi: float = 1.0) -> str:
    """Per-group bars for several series (e.g. accuracy and agreement per slice), values in
    lo..hi shown as percentages. ``css[s][g]`` colours series s in group g (default: no
    verdict); ``thresholds[s][g]`` marks its bar's threshold."""
    rows = []
    for gi, group in enumerate(groups):
        bars = []
        for si, (name, values) in enumerate(series):
            v = values[gi]
            thr = thresholds[si][gi] if thresholds else None
            bars.append(Bar(series=name, value=v, css=css[si][gi] if css else "measure",
                            text="n/a" if v is None else f"{100 * v:.1f}%", threshold=thr,
                            threshold_text="" if thr is None else f"threshold {100 * thr:.1f}%"))
        rows.append(Row(group, bars))
    tag = round(max((len(name) for name, _ in series), default=0) * 6.5) + 6 if len(series) > 1 else 0
    return bar_chart(title, rows, lo=lo, hi=hi, tag_width=tag)


def _days(x: float) -> str:
    return f"{x:.0f} d"


def age_bars(title: str, rows: Sequence[tuple[str, float | None]], *, limit: float | None = None,
             retired: Sequence[bool] | None = None) -> str:
    """Days since each model's latest report: amber past ``limit`` (the cadence), grey for a
    retired model, "no report" when there is none; the limit drawn on every bar."""
    ages = [a for _, a in rows if a is not None]
    top = max([*ages, limit or 0.0, 1.0]) * 1.02
    out = []
    for i, (name, age) in enumerate(rows):
        gone = bool(retired and retired[i])
        css = "ref" if gone else ("warn" if limit is not None and age is not None and age > limit else "measure")
        text = "no report" if age is None else _days(age) + (" (retired)" if gone else "")
        out.append(Row(name, [Bar(series="age", value=age, css=css, text=text, threshold=limit,
                                  threshold_text="" if limit is None else f"cadence {_days(limit)}")]))
    step = _nice_step(top)
    ticks = [(k * step, _days(k * step)) for k in range(int(top // step) + 1)]
    return bar_chart(title, out, lo=0.0, hi=top, ticks=ticks)


def _nice_step(top: float) -> float:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 5:
            return float(step)
    return float(10 ** len(str(int(top))))
