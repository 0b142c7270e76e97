"""Rendering the standard report: JSON (the record), Markdown (for reviews, terminals and
the docs site) and a self-contained HTML page (inline CSS and SVG, no external assets).

Both readings open with the verdict and why: the counts of failed `must` bars and of
`should` warnings, the failing slices, then each failed bar with the clause that failed
first (`_verdict.py`). HTML comes from the Jinja2 templates in `templates/` (autoescaped);
the Markdown escapes every string from a manifest or report with `md_text`, which keeps it
readable as plain text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from standards import Estimate, EvalReport, ModelSummary, SliceResult

from .._io import atomic_write_text
from ._escape import md_text as md
from ._verdict import LABEL, BarView, Verdict, verdict_of

REPORT_FILES = ("report.md", "report.html", "report.json")

#: A notice shown above the verdict: (level, text) with level `info`, `warn` or `fail`.
Notice = tuple[str, str]

#: Failed bars listed in the verdict block before "and N more".
MAX_LISTED = 12


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


def _examples(r: EvalReport) -> int:
    return r.slices[0].n if r.slices else 0


def _meta(r: EvalReport) -> str:
    p = r.provenance
    return (f"task {r.task} · {_examples(r):,} examples · finished {p.finished_at:%Y-%m-%d %H:%M:%S} UTC · "
            f"standards {p.standards_version} · harness {p.harness_version}")


def _verdict_sentence(v: Verdict) -> str:
    """What the gate says, in words a reader acts on."""
    if v.verdict == "none":
        return "No verdict: a teacher-only report judges no student."
    if v.verdict == "fail":
        return "The gate fails."
    return "The gate passes, with warnings." if v.should_warned else "The gate passes."


def _verdict_css(v: Verdict) -> str:
    if v.verdict in ("fail", "none"):
        return v.verdict
    return "warn" if v.should_warned else "pass"


def _own_notices(r: EvalReport) -> list[Notice]:
    out: list[Notice] = []
    if getattr(r, "teacher_only", False):
        out.append(("info", "Teacher-only report: the teacher's quality per slice before any student exists. "
                            "It never satisfies EVAL-005."))
    return out


def _provenance_rows(r: EvalReport) -> list[tuple[str, str]]:
    """Where the figures came from, one (label, value) row each; both renderings use it.
    Fields a newer report carries are shown when present."""
    p = r.provenance
    rows = [
        ("harness", p.harness_version), ("standards", p.standards_version), ("manifest sha256", p.manifest_sha256),
        ("teacher pin", p.teacher_pin), ("student sha256", p.student_sha256 or "–"),
        ("student pin", p.student_pin or "–"), ("eval set sha256", p.eval_set_sha256), ("device", p.device),
        ("started", p.started_at.isoformat()), ("finished", p.finished_at.isoformat()), ("command", p.command),
        ("libraries", ", ".join(f"{k} {v}" for k, v in sorted(p.libraries.items()))),
        ("training record", r.training_record or "–"),
    ]
    for label, name in (("teacher sha256", "teacher_sha256"), ("verdict inputs sha256", "verdict_inputs_sha256"),
                        ("predictions sha256", "predictions_sha256")):
        value = getattr(p, name, None)
        if value:
            rows.append((label, str(value)))
    caches = getattr(p, "caches_used", None)
    if caches is not None:
        rows.append(("caches used", "yes" if caches else "no"))
    sig = getattr(r, "signature", None)
    rows.append(("signature", f"{sig.algorithm}, key {sig.key_id}" if sig is not None else "not signed"))
    return rows


def _model_rows(r: EvalReport) -> list[tuple[str, str, str]]:
    def lat(m: ModelSummary | None, f: str) -> str:
        return _ms(getattr(m.latency, f)) if m is not None and m.latency else "–"

    def thr(m: ModelSummary | None) -> str:
        if m is None or m.latency is None or not m.latency.throughput_per_s:
            return "–"
        return f"{m.latency.throughput_per_s:,.1f}/s (batch {m.latency.batch_size})"

    def get(m: ModelSummary | None, fn: Any) -> str:
        return "–" if m is None else fn(m)

    t, s = r.teacher, r.student
    return [
        ("kind", t.kind + (" (cached)" if t.from_cache else ""), get(s, lambda m: m.kind)),
        ("pin", t.pin, get(s, lambda m: m.pin)),
        ("parameters", _int(t.parameters), get(s, lambda m: _int(m.parameters))),
        ("size on disk (bytes)", _int(t.size_bytes), get(s, lambda m: _int(m.size_bytes))),
        ("latency p50 (batch 1)", lat(t, "p50_ms"), lat(s, "p50_ms")),
        ("latency p95", lat(t, "p95_ms"), lat(s, "p95_ms")),
        ("latency p99", lat(t, "p99_ms"), lat(s, "p99_ms")),
        ("timed calls", _int(t.latency.calls) if t.latency else "–",
         get(s, lambda m: _int(m.latency.calls) if m.latency else "–")),
        ("batched throughput", thr(t), thr(s)),
        ("USD per 1k calls", _usd(t.cost.usd_per_1k_calls) if t.cost else "–",
         get(s, lambda m: _usd(m.cost.usd_per_1k_calls) if m.cost else "–")),
        ("cost basis", t.cost.basis if t.cost else "–", get(s, lambda m: m.cost.basis if m.cost else "–")),
    ]


def _repeats(r: EvalReport) -> tuple[str, list[str], list[list[str]]] | None:
    """Repeated runs of a sampling student: a sentence, then per slice how stable it was."""
    rep = r.repeats
    if rep is None:
        return None
    passed = sum(v == "pass" for v in rep.verdicts)
    rule = "every run must pass" if rep.rule == "all" else "more than half of the runs must pass"
    sentence = (f"The student ran {rep.runs} times: {passed} of {rep.runs} runs passed "
                f"({', '.join(rep.verdicts)}); {rule}, so the verdict is {r.gate.verdict}.")
    head = ["slice", "answers that changed", "runs agreeing on the slice's outcome", "runs with every bar passing"]
    rows = [[s.name, f"{s.changed_share:.1%}", f"{s.verdict_agreement:.0%}", f"{s.passed_runs} of {rep.runs}"]
            for s in rep.slices]
    return sentence, head, rows


def _slice_table(r: EvalReport) -> tuple[list[str], list[list[str]]]:
    gen = r.task == "generation"
    head = ["slice", "n", "teacher accuracy", "student accuracy", "agreement",
            "token F1 vs teacher" if gen else "JS (bits)", "token F1 vs reference" if gen else "KL (nats)",
            "student − teacher"]
    rows = [[s.name, f"{s.n:,}", _est(s.teacher_accuracy), _est(s.student_accuracy), _est(s.agreement),
             _est(s.token_f1) if gen else _num(s.js_divergence, ".4f"),
             _est(s.reference_token_f1) if gen else _num(s.kl_divergence, ".4f"), _paired(s)] for s in r.slices]
    return head, rows


# A methods line is a list of segments: ("text", ours), ("code", ours), ("data", from the report).
Segment = tuple[str, str]


def _ours(text: str) -> list[Segment]:
    """Our own sentence with `code` spans marked."""
    parts = re.split(r"`([^`]+)`", text)
    return [("code" if i % 2 else "text", part) for i, part in enumerate(parts) if part]


def _methods(r: EvalReport) -> list[list[Segment]]:
    paired = next((s.paired.method for s in r.slices if s.paired), None)
    out = [_ours("Accuracy and agreement: 95% Wilson score intervals.")]
    if r.task == "generation":
        out.append(_ours("Generation: accuracy is exact match with the reference and agreement exact match with "
                         "the teacher, after SQuAD normalisation (lower case, no punctuation or articles); token F1 "
                         "has a normal 95% interval."))
    else:
        out.append(_ours("JS divergence in bits (0 to 1); KL(teacher ‖ student) in nats; both averaged over items."))
    if paired:
        out.append([("text", "Student − teacher accuracy: "), ("data", paired),
                    *_ours("; bars with `max_drop_vs_teacher` use the one-sided lower bound at the bar's "
                           "confidence.")])
    threads = {m.latency.threads for m in (r.teacher, r.student) if m is not None and m.latency and m.latency.threads}
    on = f" on {', '.join(map(str, sorted(threads)))} CPU thread(s)" if threads else ""
    out.append(_ours(f"Latency: wall time per call at batch size 1 after 3 warm-up calls{on}; cost per call from "
                     "the manifest's cost model and the mean latency (local) or tokens (endpoint)."))
    return out


def _cost_sentence(r: EvalReport) -> str:
    return "" if r.cost_ratio is None else f"Student cost per call is {r.cost_ratio:.3g}× the teacher's."


# --- charts -------------------------------------------------------------------------------------

_WORST = {"fail": 3, "warn": 2, "pass": 1}


def _slice_status(v: Verdict, slice_name: str, metric: str) -> str:
    """The worst verdict among the bars on this slice and metric; `measure` when none."""
    found = [b.status for b in v.bars if b.slice == slice_name and b.metric == metric]
    return max(found, key=lambda s: _WORST[s]) if found else "measure"


def _threshold(v: Verdict, s: SliceResult, metric: str) -> tuple[float | None, str]:
    """The strictest threshold on the student's point value for this slice and metric: a
    bar's minimum, or the teacher's value less the allowed drop."""
    found: list[tuple[float, str]] = []
    for b in v.bars:
        bar = b.bar
        if b.slice != s.name or b.metric != metric:
            continue
        if bar.minimum is not None:
            found.append((bar.minimum, f"minimum {_pct(bar.minimum)}"))
        if bar.max_drop_vs_teacher is not None and s.teacher_accuracy is not None and metric == "accuracy":
            found.append((s.teacher_accuracy.value - bar.max_drop_vs_teacher,
                          f"teacher less the allowed drop of {100 * bar.max_drop_vs_teacher:g} pts "
                          "(judged on the paired lower bound)"))
    if not found:
        return None, ""
    return max(found)


def _legend(statuses: Sequence[str], *, teacher: bool) -> list[tuple[str, str]]:
    words = {"pass": "passes", "warn": "warns (should)", "fail": "fails (must)", "measure": "no bar"}
    items = [("ref", "teacher")] if teacher else []
    items += [(s, ("student " if teacher else "") + words[s]) for s in ("pass", "warn", "fail", "measure")
              if s in statuses]
    return items + [("thr", "threshold"), ("whisker", "95% interval")]


def _charts(r: EvalReport, v: Verdict) -> list[dict[str, Any]]:
    from markupsafe import Markup

    from ._charts import Bar, Row, bar_chart

    gen = r.task == "generation"
    out = []
    if any(s.teacher_accuracy or s.student_accuracy for s in r.slices):
        rows, used = [], set()
        for s in r.slices:
            css = _slice_status(v, s.name, "accuracy")
            used.add(css)
            thr, thr_text = _threshold(v, s, "accuracy")
            bars = []
            if s.teacher_accuracy is not None:
                t = s.teacher_accuracy
                bars.append(Bar("teacher", t.value, "ref", _pct(t.value), t.low, t.high))
            e = s.student_accuracy
            bars.append(Bar("student", None if e is None else e.value, css, _pct(e.value) if e else "n/a",
                            e.low if e else None, e.high if e else None, thr, thr_text))
            rows.append(Row(s.name, bars))
        title = "Task accuracy by slice" + (" (exact match with the reference)" if gen else "")
        out.append({"title": title, "svg": Markup(bar_chart(title, rows, tag_width=58)),
                    "legend": _legend(sorted(used), teacher=True)})
    rows, used = [], set()
    for s in r.slices:
        css = _slice_status(v, s.name, "agreement")
        used.add(css)
        thr, thr_text = _threshold(v, s, "agreement")
        e = s.agreement
        rows.append(Row(s.name, [Bar("agreement", None if e is None else e.value, css, _pct(e.value) if e else "n/a",
                                     e.low if e else None, e.high if e else None, thr, thr_text)]))
    title = "Agreement with the teacher by slice" + (" (exact match)" if gen else " (top-1)")
    out.append({"title": title, "svg": Markup(bar_chart(title, rows)), "legend": _legend(sorted(used), teacher=False)})
    return out


# --- Markdown ---------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table; cells are already escaped (or are ours)."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def _md_segments(segments: Sequence[Segment]) -> str:
    return "".join(f"`{t}`" if kind == "code" else md(t) if kind == "data" else t for kind, t in segments)


def _md_chip(status: str, chips: bool, *, loud: bool = False) -> str:
    """A verdict word: a coloured chip on the site; in plain Markdown FAIL and WARN in bold
    and a passing bar's "pass" quiet (``loud`` for the report's own verdict)."""
    if chips:
        from ._html import macro

        return str(macro("chip")(status))
    return f"**{LABEL[status]}**" if status != "pass" or loud else "pass"


def _md_reason(b: BarView) -> str:
    failed = [md(c.text) for c in b.clauses if c.failed]
    held = [md(c.text) for c in b.clauses if not c.failed]
    return "; ".join([*(f"**{t}**" for t in failed), *held])


def verdict_markdown(report: EvalReport, *, chips: bool = False, notices: Sequence[Notice] = ()) -> str:
    """The report's opening: the verdict, its counts, the failing slices and each failed bar
    with what failed first. `report_markdown` starts with it; a notebook can show it alone."""
    v = verdict_of(report)
    lines = [f"{_md_chip(v.verdict, chips, loud=True)} **{_verdict_sentence(v)}** {v.summary.capitalize()} "
             f"({v.checked}).", ""]
    for level, text in [*_own_notices(report), *notices]:
        word = {"fail": "Needs action", "warn": "Warning"}.get(level, "Note")
        lines += [f"> **{word}:** {md(text)}", ""]
    if v.failing_slices:
        lines += [f"**Failing slices:** {', '.join(md(s) for s in v.failing_slices)}.", ""]
    if v.warning_slices:
        lines += [f"**Warnings on:** {', '.join(md(s) for s in v.warning_slices)}.", ""]
    problems = v.problems
    for i, b in enumerate(problems[:MAX_LISTED], 1):
        lines.append(f"{i}. {_md_chip(b.status, chips)} **{md(b.slice)} · {md(b.what)}**: {md(b.headline)}")
    if len(problems) > MAX_LISTED:
        lines.append(f"{MAX_LISTED + 1}. … and {len(problems) - MAX_LISTED} more in the Gate table.")
    if problems:
        lines.append("")
    return "\n".join(lines)


def report_markdown(report: EvalReport, *, chips: bool = False, notices: Sequence[Notice] = (),
                    heading_level: int = 1) -> str:
    """The report as Markdown, verdict first; every string from the manifest or report
    escaped (`md_text`), so it reads cleanly as plain text too.

    ``chips`` renders verdicts as coloured HTML chips (for the docs site, whose CSS styles
    them); ``notices`` are warnings shown under the verdict (retired, stale);
    ``heading_level`` is the level of the title (2 when the report sits inside a page)."""
    r = report
    v = verdict_of(r)
    h1, h2 = "#" * heading_level, "#" * (heading_level + 1)
    lines = [f"{h1} Evaluation report: {md(r.project)}", "", md(_meta(r)), "",
             verdict_markdown(r, chips=chips, notices=notices)]
    lines += [f"{h2} Gate", ""]
    rows = [[md(b.slice), _md_chip(b.status, chips), _md_reason(b), md(b.metric), b.level, b.threshold, str(b.n),
             b.value] for b in v.bars]
    table = _table(["slice", "result", "reason", "metric", "level", "threshold", "n", "value"], rows)
    if chips:  # on the site: give the reason column room (docs/assets/stillhouse.css)
        table = ['<div class="sh-gate" markdown="1">', "", *table, "", "</div>"]
    lines += table + [""]
    lines += [f"{h2} Slices", ""]
    head, srows = _slice_table(r)
    lines += _table(head, [[md(c) for c in row] for row in srows]) + [""]
    repeats = _repeats(r)
    if repeats is not None:
        sentence, rhead, rrows = repeats
        lines += [f"{h2} Repeated runs", "", md(sentence), ""]
        lines += _table(rhead, [[md(c) for c in row] for row in rrows]) + [""]
    lines += [f"{h2} Teacher and student", ""]
    lines += _table(["", "teacher", "student"], [[a, md(b), md(c)] for a, b, c in _model_rows(r)])
    if r.cost_ratio is not None:
        lines += ["", _cost_sentence(r)]
    lines += ["", f"{h2} Methods", ""] + [f"- {_md_segments(x)}" for x in _methods(r)]
    lines += ["", f"{h2} Provenance", ""]
    lines += _table(["", ""], [[a, md(b)] for a, b in _provenance_rows(r)]) + [""]
    return "\n".join(lines)


# --- HTML ---------------------------------------------------------------------------------------


def report_html(report: EvalReport, *, notices: Sequence[Notice] = (), back: tuple[str, str] | None = None,
                site_root: str | None = None) -> str:
    """The report as one self-contained HTML page: inline CSS, inline SVG charts, no external
    assets; every string from the manifest or report escaped (Jinja2 autoescape).

    ``notices`` are shown above the verdict (a retired or stale model). A copy published on
    the docs site passes ``back`` (href, text) for a way back, and ``site_root`` (the
    relative URL of the site's root), which adds a small inline script so the page follows
    the site's light/dark toggle; a report written by `stillhouse eval` has no script."""
    from ._html import render

    r = report
    v = verdict_of(r)
    head, srows = _slice_table(r)
    return render(
        "report.html.j2",
        project=r.project, meta=_meta(r), verdict=v, verdict_sentence=_verdict_sentence(v),
        verdict_css=_verdict_css(v), notices=[*_own_notices(r), *notices], max_listed=MAX_LISTED,
        charts=_charts(r, v), slice_header=head, slice_rows=srows, model_rows=_model_rows(r),
        cost_sentence=_cost_sentence(r), methods=[[(t, k == "code") for k, t in m] for m in _methods(r)],
        provenance=_provenance_rows(r), back=back, site_root=site_root, repeats=_repeats(r),
    ) + "\n"
