"""Small inline SVG charts for the site: no JavaScript, no external assets.

Every label that comes from a manifest or report is escaped with `html_escape`; an
SVG is returned on one line so that Markdown passes it through as one raw HTML block.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._escape import html_escape

# Two series colours with enough contrast on white and on Material's slate scheme.
SERIES = ("#3f6ec6", "#e08a1e")


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def grouped_bars(title: str, groups: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
                 *, width: int = 360, bar_h: int = 8, lo: float = 0.0, hi: float = 1.0) -> str:
    """Horizontal grouped bars: one group per slice, one bar per series (values in lo..hi).

    A missing value (None) is drawn as a short grey tick and labelled "n/a"."""
    label_w, value_w = 110, 40
    plot_w = width - label_w - value_w
    group_h = bar_h * len(series) + 6
    legend_h = 16
    height = legend_h + group_h * len(groups) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sh-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{html_escape(title)}</title>'
    ]
    x = label_w
    for (name, _), colour in zip(series, SERIES):
        parts.append(f'<rect x="{x}" y="3" width="10" height="8" fill="{colour}"/>'
                     f'<text x="{x + 13}" y="11" font-size="10">{html_escape(name)}</text>')
        x += 14 + 7 * len(name) + 12
    span = (hi - lo) or 1.0
    for gi, group in enumerate(groups):
        y0 = legend_h + gi * group_h
        label = group if len(group) <= 18 else group[:17] + "…"
        parts.append(f'<text x="{label_w - 4}" y="{y0 + group_h / 2 + 3:.1f}" font-size="10" '
                     f'text-anchor="end">{html_escape(label)}</text>')
        for si, ((name, values), colour) in enumerate(zip(series, SERIES)):
            v = values[gi]
            y = y0 + si * bar_h
            if v is None:
                parts.append(f'<rect x="{label_w}" y="{y}" width="2" height="{bar_h - 1}" fill="#999"/>'
                             f'<text x="{label_w + 5}" y="{y + bar_h - 1}" font-size="8">n/a</text>')
                continue
            w = max(0.0, min(1.0, (v - lo) / span)) * plot_w
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 1}" fill="{colour}">'
                         f'<title>{html_escape(group)}: {html_escape(name)} {v:.3f}</title></rect>'
                         f'<text x="{label_w + w + 3:.1f}" y="{y + bar_h - 1}" font-size="8">{v:.3f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def age_bars(title: str, rows: Sequence[tuple[str, float | None]], *, limit: float | None = None,
             width: int = 560, bar_h: int = 12) -> str:
    """Horizontal bars of report age in days, one per model; a dashed line at ``limit``."""
    label_w, value_w = 170, 50
    plot_w = width - label_w - value_w
    ages = [a for _, a in rows if a is not None]
    top = max([*ages, limit or 0.0, 1.0])
    height = bar_h * len(rows) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sh-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{html_escape(title)}</title>'
    ]
    for i, (name, age) in enumerate(rows):
        y = 4 + i * bar_h
        label = name if len(name) <= 28 else name[:27] + "…"
        parts.append(f'<text x="{label_w - 4}" y="{y + bar_h - 3}" font-size="10" '
                     f'text-anchor="end">{html_escape(label)}</text>')
        if age is None:
            parts.append(f'<text x="{label_w + 3}" y="{y + bar_h - 3}" font-size="9">no report</text>')
            continue
        w = age / top * plot_w
        colour = SERIES[1] if limit is not None and age > limit else SERIES[0]
        parts.append(f'<rect x="{label_w}" y="{y + 1}" width="{w:.1f}" height="{bar_h - 3}" fill="{colour}">'
                     f'<title>{html_escape(name)}: {_num(age)} days</title></rect>'
                     f'<text x="{label_w + w + 3:.1f}" y="{y + bar_h - 3}" font-size="9">{_num(age)} d</text>')
    if limit is not None:
        lx = label_w + limit / top * plot_w
        parts.append(f'<line x1="{lx:.1f}" y1="0" x2="{lx:.1f}" y2="{height - 14}" stroke="#c0392b" '
                     f'stroke-dasharray="3,2"/><text x="{lx:.1f}" y="{height - 3}" font-size="9" '
                     f'text-anchor="middle">{_num(limit)} d</text>')
    parts.append("</svg>")
    return "".join(parts)
