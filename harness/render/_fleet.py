"""The fleet report as Markdown: one renderer for `fleet.md` (written by `stillhouse fleet`)
and the docs site's fleet page, which passes `FleetPage` for links, charts and chips.

It leads with what to do: the share of models that are current, passing and owned, then
"Needs action", every model that needs it sorted by severity (a failing gate, then orphaned,
then fired triggers, then a stale or missing evaluation), then the table of every model in
the same order, the rollout figures, the evidence per model, and registry problems.

Every string from a manifest or registry file is escaped with `md_escape`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._escape import md_code, md_escape as e

#: Severity ranks, most severe first (lower sorts first).
FAILING, ORPHANED, TRIGGERED, STALE, OTHER, FINE, RETIRED = range(7)


@dataclass
class FleetPage:
    """What the docs site adds to the fleet report: each model's rendered report page
    (``links``: name -> href, relative to the page), the eval reports behind the charts,
    notes to show first, and the registry path as readers should see it."""

    links: Mapping[str, str] = field(default_factory=dict)
    reports: Mapping[str, Any] = field(default_factory=dict)
    notes: Sequence[str] = ()
    registry: str | None = None


def severity(m: Any) -> int:
    """How urgent a model is: `FAILING` ... `RETIRED` (see the module docstring)."""
    if m.status == "retired":
        return RETIRED
    if m.verdict == "fail":
        return FAILING
    if m.orphaned:
        return ORPHANED
    if m.triggers:
        return TRIGGERED
    if not m.evaluation_current:
        return STALE
    return OTHER if m.needs_action else FINE


def ordered(models: Sequence[Any]) -> list[Any]:
    """Models by severity, then by how many things are wrong, then by name."""
    return sorted(models, key=lambda m: (severity(m), -_count(m), m.name))


def _count(m: Any) -> int:
    return (m.verdict == "fail") + m.orphaned + len(m.triggers) + (not m.evaluation_current) + len(m.lifecycle_problems)


def flags(m: Any) -> list[tuple[str, str]]:
    """(status, word) for each thing wrong with ``m``: the chips of its row."""
    out: list[tuple[str, str]] = []
    if m.status == "retired":
        out.append(("none", "retired"))
    if m.verdict == "fail":
        out.append(("fail", "FAIL"))
    if m.orphaned:
        out.append(("fail", "orphaned"))
    out += [("warn", t.code.replace("_", " ")) for t in m.triggers]
    if m.status != "retired":
        if m.verdict == "none":
            out.append(("warn", "no report"))
        elif not m.evaluation_current:
            out.append(("warn", "stale"))
    if m.lifecycle_problems:
        out.append(("warn", "lifecycle"))
    return out


def todo(m: Any) -> str:
    """What the owner should do, in one line (the fleet's actions, else the reasons)."""
    if m.actions:
        return "; ".join(m.actions)
    parts = [t.reason for t in m.triggers]
    if m.orphaned:
        parts.append(m.orphan_reason or "no active owner")
    if m.verdict == "fail":
        parts.append("the latest report fails its gate")
    if not m.evaluation_current and m.status != "retired":
        parts += m.not_current_reasons or ["no current evaluation"]
    return "; ".join(parts + list(m.lifecycle_problems)) or "see the details below"


def _with_commands(text: str) -> str:
    """``text`` escaped, its `backticked` commands as code spans: the parts between backticks
    hold no backtick, so a code span cannot swallow the text around it. Only the first part
    can start a line."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: all of it as text
        return e(text)
    return "".join(md_code(p) if i % 2 and p.strip() else e(p, mid_line=i > 0) for i, p in enumerate(parts))


def _chips(items: Sequence[tuple[str, str]], html: bool) -> str:
    if not html:
        return ", ".join(f"**{w}**" if s == "fail" else w for s, w in items)
    from ._html import macro

    chip = macro("chip")
    return " ".join(str(chip(s, w)) for s, w in items)


def _verdict_cell(m: Any, html: bool) -> str:
    status = {"pass": "pass", "fail": "fail"}.get(m.verdict, "none")
    word = {"pass": "PASS", "fail": "FAIL"}.get(m.verdict, "no report")
    if html:
        from ._html import macro

        return str(macro("chip")(status, word))
    return f"**{word}**" if status == "fail" else word.lower() if status == "pass" else word


def fleet_markdown(report: Any, site: FleetPage | None = None) -> str:
    """`fleet.md`, or with ``site`` the docs site's fleet page: what needs action first, then
    every model, the rollout figures, the evidence and the registry's problems. Every string
    from a manifest or registry file is escaped."""
    html = site is not None
    r = report.rollout
    links = site.links if site is not None else {}

    def name(m: Any) -> str:
        text = e(m.name)
        return f"[{text}]({links[m.name]})" if m.name in links else text

    def owner(m: Any) -> str:
        out = e(m.owner) if m.owner else ("*none*" if html else "—")
        return out + (f" ({e(m.team)})" if m.team else "")

    title = "Fleet" if html else (f"Fleet report: {e(report.name)}" if report.name else "Fleet report")
    if html and report.name:
        title += f": {e(report.name)}"
    clock = {"now": "now", "as_of": "the registry's `as_of` date", "given": "the time given"}[report.clock]
    registry = site.registry if site is not None and site.registry else report.registry
    # The site's page gives its tables the width a table of contents would take.
    lines = ["---", "hide:", "  - toc", "---", "", f"# {title}", ""] if html else [f"# {title}", ""]
    for note in site.notes if site is not None else ():
        lines += [f"!!! note \"Fleet\"\n    {note}", ""]  # notes escape what they quote
    models = ordered(report.models)
    acting = [m for m in models if m.needs_action]
    lines += [
        f"As of {report.generated_at:%Y-%m-%d %H:%M} UTC ({clock}) · registry {md_code(registry)} · "
        f"standards {report.standards_version or '–'}", "",
        f"**{r.current_passing_owned} of {r.active_models} active models ({r.share_current_passing_owned:.0%}) "
        f"have a current, passing evaluation and an active owner.** {len(acting)} need action · "
        f"{r.orphaned} orphaned · {r.problems} registry problem{'s' if r.problems != 1 else ''}.", "",
    ]
    lines += [f"## Needs action ({len(acting)})", ""]
    if acting:
        lines += ["Most severe first: a failing gate, then no active owner, then fired redistillation triggers, "
                  "then a stale or missing evaluation.", ""]
        for m in acting:
            lines.append(f"- {_chips(flags(m), html)} · **{name(m)}** · {owner(m)} · {e(m.status)}: "
                         f"{_with_commands(todo(m))}")
        lines.append("")
    else:
        lines += ["Nothing: every model has a current, passing evaluation, an active owner and no fired trigger.", ""]
    lines += ["## Models", "", f"All {len(models)} models, in the same order.", "",
              "| model | verdict | needs action | triggers fired | evaluation current | orphaned | report age (days) "
              "| owner | status |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for m in models:
        age = f"{m.report_age_days:.0f}" if m.report_age_days is not None else "—"
        trig = ", ".join(t.code.replace("_", " ") for t in m.triggers) or "—"
        action = "**yes**" if m.needs_action else "no"
        orphan = "**yes**" if m.orphaned else "no"
        current = "yes" if m.evaluation_current else ("**no**" if m.status != "retired" else "no")
        lines.append(f"| {name(m)} | {_verdict_cell(m, html)} | {action} | {trig} | {current} | {orphan} | {age} | "
                     f"{owner(m)} | {e(m.status)} |")
    lines.append("")
    lines += ["## Rollout", "", "| figure | value |", "| --- | --- |",
              f"| registered models | {r.models} ({r.active_models} not retired) |",
              f"| current, passing evaluation and an active owner | {r.current_passing_owned} of {r.active_models} "
              f"({r.share_current_passing_owned:.0%}) |",
              f"| orphaned | {r.orphaned} |",
              f"| need action | {r.needs_action} |",
              "| median days from creation to first passing report | "
              + (f"{r.median_days_to_first_pass:g} ({r.models_with_first_pass} models) |"
                 if r.median_days_to_first_pass is not None else "none yet |"),
              "| open triggers | " + (", ".join(f"{e(k.replace('_', ' '))}: {v}" for k, v in r.open_triggers.items())
                                      or "none") + " |",
              f"| registry problems | {r.problems} |", ""]
    flagged = [m for m in models if m.needs_action or m.notes]
    if flagged:
        lines += ["## What needs doing", "", "The evidence behind each model's flags, in the same order.", ""]
        for m in flagged:
            lines += [f"### {e(m.name)}", ""]
            if m.description:
                lines += [f"{e(m.description)}", ""]
            for t in m.triggers:
                ev = ", ".join(f"{e(k)}={e(v)}" for k, v in t.evidence.items() if v is not None)
                lines.append(f"- trigger **{t.code}**: {e(t.reason)}" + (f" ({ev})" if ev else ""))
            if m.orphaned:
                lines.append(f"- **orphaned**: {e(m.orphan_reason)}")
            if m.verdict == "fail":
                lines.append("- **gate fails**: the latest report fails a must-level bar")
            for p in m.lifecycle_problems:
                lines.append(f"- lifecycle: {e(p)}")
            if not m.evaluation_current and m.status != "retired":
                lines.append("- evaluation not current: " + e("; ".join(m.not_current_reasons) or "no report"))
            for a in m.actions:
                lines.append(f"- action: {_with_commands(a)}")
            for n in m.notes:
                lines.append(f"- note: {e(n)}")
            lines.append("")
    if report.problems:
        lines += ["## Registry problems", "", "Entries that could not be read; they hide nothing else.", "",
                  "| entry | file | field | problem |", "| --- | --- | --- | --- |"]
        for prob in report.problems:
            lines.append(f"| {e(prob.entry)} | {e(prob.file or '')} | {e(prob.field or '')} | {e(prob.message)} |")
        lines.append("")
    if site is not None:
        lines += _charts(report, models, site)
    return "\n".join(lines)


def _charts(report: Any, models: Sequence[Any], site: FleetPage) -> list[str]:
    from ._charts import age_bars, grouped_bars
    from ._html import macro, one_line
    from ._report import _slice_status, _threshold
    from ._verdict import verdict_of

    legend = macro("legend")
    cadences = [float(c) for m in report.models for t in m.triggers
                if t.code == "cadence_elapsed" and isinstance(c := t.evidence.get("cadence_days"), (int, float))]
    limit = max(cadences) if cadences else None
    by_age = sorted(models, key=lambda m: (m.report_age_days is None, -(m.report_age_days or 0.0), m.name))
    lines = ["## Report age", "",
             "Days since each model's latest evaluation report, oldest first"
             + (f"; the line is the longest cadence declared in the fleet ({limit:g} days)." if limit else "."), ""]
    key = [("measure", "within its cadence"), ("warn", "older than the cadence"), ("ref", "retired")]
    svg = age_bars("Report age per model (days)", [(m.name, m.report_age_days) for m in by_age], limit=limit,
                   retired=[m.status == "retired" for m in by_age])
    lines += ['<div class="sh-charts">' + svg + one_line(str(legend(key + [("thr", "cadence")]))) + "</div>", ""]
    lines += ["## Per-slice accuracy and agreement", "",
              "The student's accuracy against gold labels and its agreement with the teacher, per slice (`all` is "
              "the whole eval set), from each model's latest report. Bars are coloured by the verdict of the "
              "report's bar on that slice; the mark on a bar is its threshold.", ""]
    from markupsafe import Markup

    figures = []
    figure = macro("model_figure")
    for m in models:
        rep = site.reports.get(m.name)
        if rep is None:
            continue
        v = verdict_of(rep)
        slices = rep.slices
        acc = [s.student_accuracy.value if s.student_accuracy else None for s in slices]
        agr = [s.agreement.value if s.agreement else None for s in slices]
        css = [[_slice_status(v, s.name, metric) for s in slices] for metric in ("accuracy", "agreement")]
        thr = [[_threshold(v, s, metric)[0] for s in slices] for metric in ("accuracy", "agreement")]
        svg = grouped_bars(f"{m.name}: per-slice accuracy and agreement", [s.name for s in slices],
                           [("accuracy", acc), ("agreement", agr)], css=css, thresholds=thr)
        figures.append(one_line(str(figure(m.name, site.links.get(m.name), v.verdict, Markup(svg)))))
    if figures:
        key = [("pass", "passes"), ("warn", "warns"), ("fail", "fails"), ("measure", "no bar"),
               ("thr", "threshold")]
        lines += [one_line(str(legend(key))), "", '<div class="sh-chart-grid">' + "".join(figures) + "</div>", ""]
    else:
        lines += ["No model in the registry has a readable evaluation report yet.", ""]
    return lines
