"""Rendering the standard report: JSON (the record), Markdown (for reviews and the docs
site) and a self-contained HTML page (inline CSS and SVG, no external assets).

Every string that came from a manifest (names, slice names, pins, the command line) is
escaped where it is rendered: `md_escape` in Markdown, `html_escape` in HTML.
"""

from __future__ import annotations

import json
from pathlib import Path

from standards import BarResult, Estimate, EvalReport, ModelSummary, SliceResult

from .._io import atomic_write_text
from ._escape import html_escape as h, md_escape as md

REPORT_FILES = ("report.md", "report.html", "report.json")


def write_report(report: EvalReport, out_dir: Path) -> list[Path]:
    """Write the three files, each atomically; `report.json` (what `validate` reads) last."""
    out_dir = Path(out_dir)
    texts = {
        "report.md": report_markdown(report),
        "report.html": report_html(report),
        "report.json": report.model_dump_json(indent=2) + "\n",
    }
    return [atomic_write_text(out_dir / name, texts[name]) for name in REPORT_FILES]


def load_report(path: Path) -> EvalReport:
    """Read a `report.json` back."""
    return EvalReport.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))


# --- shared formatting ------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _est(e: Estimate | None) -> str:
    if e is None:
        return "–"
    if e.low is None or e.high is None:
        return _pct(e.value)
    return f"{_pct(e.value)} [{_pct(e.low)}, {_pct(e.high)}]"


def _num(x: float | None, fmt: str = ".3f") -> str:
    return "–" if x is None else format(x, fmt)


def _ms(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f} ms"


def _usd(x: float | None) -> str:
    return "–" if x is None else f"{x:.6f}"


def _int(x: int | None) -> str:
    return "–" if x is None else f"{x:,}"


def _paired(s: SliceResult) -> str:
    p = s.paired
    if p is None:
        return "–"
    pv = f", p={p.p_value:.3g}" if p.p_value is not None else ""
    return f"{100 * p.delta:+.1f} pts [{100 * p.low:+.1f}, {100 * p.high:+.1f}]{pv}"


def _threshold(b: BarResult) -> str:
    parts = []
    if b.minimum is not None:
        parts.append(f"≥ {b.minimum:g}")
    if b.maximum is not None:
        parts.append(f"≤ {b.maximum:g}")
    if b.max_drop_vs_teacher is not None:
        parts.append(f"drop ≤ {b.max_drop_vs_teacher:g}")
    return ", ".join(parts)


def _provenance_rows(r: EvalReport) -> list[tuple[str, str]]:
    """Where the figures came from, one (label, value) row each; both renderings use it."""
    p = r.provenance
    return [
        ("harness", p.harness_version), ("standards", p.standards_version), ("manifest sha256", p.manifest_sha256),
        ("teacher pin", p.teacher_pin), ("student sha256", p.student_sha256 or "–"),
        ("student pin", p.student_pin or "–"), ("eval set sha256", p.eval_set_sha256), ("device", p.device),
        ("started", p.started_at.isoformat()), ("finished", p.finished_at.isoformat()), ("command", p.command),
        ("libraries", ", ".join(f"{k} {v}" for k, v in sorted(p.libraries.items()))),
        ("training record", r.training_record or "–"),
    ]


def _model_rows(r: EvalReport) -> list[tuple[str, str, str]]:
    def lat(m: ModelSummary, f: str) -> str:
        return _ms(getattr(m.latency, f)) if m.latency else "–"

    t, s = r.teacher, r.student
    thr = [f"{m.latency.throughput_per_s:,.1f}/s (batch {m.latency.batch_size})"
           if m.latency and m.latency.throughput_per_s else "–" for m in (t, s)]
    return [
        ("kind", t.kind + (" (cached)" if t.from_cache else ""), s.kind),
        ("pin", t.pin, s.pin),
        ("parameters", _int(t.parameters), _int(s.parameters)),
        ("size on disk (bytes)", _int(t.size_bytes), _int(s.size_bytes)),
        ("latency p50 (batch 1)", lat(t, "p50_ms"), lat(s, "p50_ms")),
        ("latency p95", lat(t, "p95_ms"), lat(s, "p95_ms")),
        ("latency p99", lat(t, "p99_ms"), lat(s, "p99_ms")),
        ("timed calls", _int(t.latency.calls) if t.latency else "–", _int(s.latency.calls) if s.latency else "–"),
        ("batched throughput", thr[0], thr[1]),
        ("USD per 1k calls", _usd(t.cost.usd_per_1k_calls) if t.cost else "–",
         _usd(s.cost.usd_per_1k_calls) if s.cost else "–"),
        ("cost basis", t.cost.basis if t.cost else "–", s.cost.basis if s.cost else "–"),
    ]


def _methods(r: EvalReport) -> list[str]:
    paired = next((s.paired.method for s in r.slices if s.paired), None)
    out = ["Accuracy and agreement: 95% Wilson score intervals."]
    if r.task == "generation":
        out.append("Generation: accuracy is exact match with the reference and agreement exact match with the "
                   "teacher, after SQuAD normalisation (lower case, no punctuation or articles); token F1 has a "
                   "normal 95% interval.")
    else:
        out.append("JS divergence in bits (0 to 1); KL(teacher ‖ student) in nats; both averaged over items.")
    if paired:
        out.append(f"Student − teacher accuracy: {paired}; bars with `max_drop_vs_teacher` use the one-sided "
                   "lower bound at the bar's confidence.")
    threads = {m.latency.threads for m in (r.teacher, r.student) if m.latency and m.latency.threads}
    on = f" on {', '.join(map(str, sorted(threads)))} CPU thread(s)" if threads else ""
    out.append(f"Latency: wall time per call at batch size 1 after 3 warm-up calls{on}; cost per call from the "
               "manifest's cost model and the mean latency (local) or tokens (endpoint).")
    return out


# --- Markdown ---------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return out


def report_markdown(report: EvalReport) -> str:
    """The report as Markdown (every manifest string escaped)."""
    r, p = report, report.provenance
    verdict = "PASS" if r.gate.verdict == "pass" else "FAIL"
    lines = [f"# Evaluation report: {md(r.project)}", "",
             f"**Gate: {verdict}** · task {md(r.task)} · {r.slices[0].n if r.slices else 0} examples · "
             f"finished {p.finished_at:%Y-%m-%d %H:%M:%S} UTC", ""]
    lines += ["## Slices", ""]
    gen = r.task == "generation"
    head = ["slice", "n", "teacher accuracy", "student accuracy", "agreement",
            "token F1 vs teacher" if gen else "JS (bits)", "token F1 vs reference" if gen else "KL (nats)",
            "student − teacher"]
    rows = []
    for s in r.slices:
        rows.append([md(s.name), str(s.n), _est(s.teacher_accuracy), _est(s.student_accuracy), _est(s.agreement),
                     _est(s.token_f1) if gen else _num(s.js_divergence, ".4f"),
                     _est(s.reference_token_f1) if gen else _num(s.kl_divergence, ".4f"), _paired(s)])
    lines += _table(head, rows) + [""]
    lines += ["## Gate", ""]
    rows = [[md(b.slice), md(b.metric), b.level, _threshold(b), str(b.n),
             "–" if b.value is None else f"{b.value:.4g}", "pass" if b.passed else "**FAIL**", md(b.reason)]
            for b in [*r.gate.bars, *r.gate.budgets]]
    lines += _table(["slice", "metric", "level", "threshold", "n", "value", "result", "reason"], rows) + [""]
    lines += ["## Teacher and student", ""]
    lines += _table(["", "teacher", "student"], [[a, md(b), md(c)] for a, b, c in _model_rows(r)])
    if r.cost_ratio is not None:
        lines += ["", f"Student cost per call is {r.cost_ratio:.3g}× the teacher's."]
    lines += ["", "## Methods", ""] + [f"- {md(x)}" for x in _methods(r)]
    lines += ["", "## Provenance", ""]
    lines += _table(["", ""], [[a, md(b)] for a, b in _provenance_rows(r)]) + [""]
    return "\n".join(lines)


# --- HTML ---------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1b1f24;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:700}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff}
.verdict.pass{background:#1a7f37;color:#fff}.verdict.fail{background:#cf222e;color:#fff}
.muted{color:#57606a}code{font-size:12px;word-break:break-all}figure{margin:1rem 0}
figcaption{font-weight:600;margin-bottom:.3rem}svg text{font:12px system-ui,sans-serif;fill:#1b1f24}
"""

_TEACHER, _STUDENT, _AGREE = "#8250df", "#0969da", "#1a7f37"


def _bar_chart(title: str, groups: list[tuple[str, list[tuple[str, Estimate | None, str]]]]) -> str:
    """Horizontal grouped bars, 0-100%, with confidence whiskers: pure inline SVG."""
    label_w, plot_w, bar_h, gap = 150, 520, 14, 10
    series = len(groups[0][1]) if groups else 0
    group_h = series * bar_h + gap
    height = 30 + group_h * len(groups) + 30
    width = label_w + plot_w + 80
    out = [f'<figure><figcaption>{h(title)}</figcaption>'
           f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" aria-label="{h(title)}">']
    for tick in range(0, 101, 20):
        x = label_w + plot_w * tick / 100
        out.append(f'<line x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{height - 25}" stroke="#d0d7de"/>'
                   f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{tick}%</text>')
    y = 25
    for name, bars in groups:
        out.append(f'<text x="{label_w - 8}" y="{y + series * bar_h / 2 + 4:.1f}" text-anchor="end">{h(name)}</text>')
        for label, est, colour in bars:
            if est is not None:
                w = plot_w * est.value
                out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour}">'
                           f'<title>{h(name)} · {h(label)}: {h(_est(est))}</title></rect>')
                if est.low is not None and est.high is not None:
                    x1, x2 = label_w + plot_w * est.low, label_w + plot_w * est.high
                    cy = y + (bar_h - 2) / 2
                    out.append(f'<line x1="{x1:.1f}" y1="{cy:.1f}" x2="{x2:.1f}" y2="{cy:.1f}" stroke="#1b1f24"/>')
                out.append(f'<text x="{label_w + w + 4 + (plot_w * ((est.high or est.value) - est.value)):.1f}" '
                           f'y="{y + bar_h - 4}">{_pct(est.value)}</text>')
            y += bar_h
        y += gap
    out.append("</svg>")
    legend = " ".join(f'<span style="color:{c}">■</span> {h(lab)}' for lab, _, c in (groups[0][1] if groups else []))
    out.append(f'<div class="muted">{legend}; whiskers: 95% Wilson intervals</div></figure>')
    return "".join(out)


def _html_table(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{h(x)}</th>" for x in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(report: EvalReport) -> str:
    """The report as one self-contained HTML page: inline CSS, inline SVG charts, no scripts,
    no external assets; every manifest string escaped."""
    r, p = report, report.provenance
    gen = r.task == "generation"
    verdict = r.gate.verdict
    acc_groups = [(s.name, [("teacher accuracy", s.teacher_accuracy, _TEACHER),
                            ("student accuracy", s.student_accuracy, _STUDENT)]) for s in r.slices]
    agree_groups = [(s.name, [("agreement with the teacher", s.agreement, _AGREE)]) for s in r.slices]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Evaluation report: {h(r.project)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Evaluation report: {h(r.project)}</h1>",
        f'<p><span class="verdict {verdict}">gate: {verdict.upper()}</span> '
        f'<span class="muted">task {h(r.task)} · {r.slices[0].n if r.slices else 0} examples · finished '
        f"{h(p.finished_at.strftime('%Y-%m-%d %H:%M:%S'))} UTC</span></p>",
    ]
    if any(s.teacher_accuracy or s.student_accuracy for s in r.slices):
        parts.append(_bar_chart("Task accuracy by slice" + (" (exact match with the reference)" if gen else ""),
                                acc_groups))
    parts.append(_bar_chart("Agreement with the teacher by slice" + (" (exact match)" if gen else " (top-1)"),
                            agree_groups))
    parts.append("<h2>Slices</h2>")
    head = ["slice", "n", "teacher accuracy", "student accuracy", "agreement",
            "token F1 vs teacher" if gen else "JS (bits)", "token F1 vs reference" if gen else "KL (nats)",
            "student − teacher"]
    rows = [[h(s.name), str(s.n), h(_est(s.teacher_accuracy)), h(_est(s.student_accuracy)), h(_est(s.agreement)),
             h(_est(s.token_f1) if gen else _num(s.js_divergence, ".4f")),
             h(_est(s.reference_token_f1) if gen else _num(s.kl_divergence, ".4f")), h(_paired(s))] for s in r.slices]
    parts.append(_html_table(head, rows, {1}))
    parts.append("<h2>Gate</h2>")
    rows = [[h(b.slice), h(b.metric), h(b.level), h(_threshold(b)), str(b.n),
             "–" if b.value is None else f"{b.value:.4g}",
             '<span class="pass">pass</span>' if b.passed else '<span class="fail">FAIL</span>', h(b.reason)]
            for b in [*r.gate.bars, *r.gate.budgets]]
    parts.append(_html_table(["slice", "metric", "level", "threshold", "n", "value", "result", "reason"], rows, {4, 5}))
    parts.append("<h2>Teacher and student</h2>")
    parts.append(_html_table(["", "teacher", "student"], [[h(a), h(b), h(c)] for a, b, c in _model_rows(r)]))
    if r.cost_ratio is not None:
        parts.append(f"<p>Student cost per call is {r.cost_ratio:.3g}× the teacher's.</p>")
    parts.append("<h2>Methods</h2><ul>" + "".join(f"<li>{h(x)}</li>" for x in _methods(r)) + "</ul>")
    parts.append("<h2>Provenance</h2>")
    parts.append(_html_table(["", ""], [[h(a), f"<code>{h(b)}</code>"] for a, b in _provenance_rows(r)]))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
