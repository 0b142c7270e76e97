"""The report renderings read verdict first, fit a phone, and stay safe: `harness.render`."""

from __future__ import annotations

import html
import random
import re

import markdown
from hypothesis import given, settings, strategies as st

from harness import report_html, report_markdown
from harness.render import md_text, verdict_markdown
from harness.render._verdict import verdict_of
from standards import BarResult, EvalReport, PairedComparison

from .fleet_data import make_report

EXTENSIONS = ["tables", "attr_list", "md_in_html", "admonition", "pymdownx.tasklist", "pymdownx.inlinehilite",
              "pymdownx.superfences"]


def failing_report() -> EvalReport:
    """Every slice passes its accuracy minimum; `typos` fails a must-level drop bar (its
    reason written passing clause first, as reports before 1.1 did), `email` misses a
    should-level agreement bar, and the latency budget fails."""
    report = make_report("router", random.Random(5), slices=("all", "email", "typos"))
    for s in report.slices:
        s.student_accuracy.value = 0.9
    report.slices[2].paired = PairedComparison(metric="accuracy", delta=-0.346, low=-0.39, high=-0.30, confidence=0.95,
                                               method="paired bootstrap (2000 resamples)")
    bars = [BarResult(slice=s.name, metric="accuracy", level="must", minimum=0.6, n=s.n, min_examples=30,
                      value=0.9, passed=True, reason="accuracy 0.900 ≥ 0.600") for s in report.slices]
    bars[2] = BarResult(slice="typos", metric="accuracy", level="must", minimum=0.6, max_drop_vs_teacher=0.03,
                        n=399, min_examples=30, value=0.604, teacher_value=0.95, confidence=0.95, lower_bound=-0.386,
                        passed=False, reason="accuracy 0.604 ≥ 0.600; student − teacher ≥ -0.386 at 95% confidence "
                                             "(beyond the allowed drop of 0.030)")
    bars.append(BarResult(slice="email", metric="agreement", level="should", minimum=0.9, n=120, min_examples=30,
                          value=0.877, passed=False, reason="agreement 0.877 < 0.900"))
    report.gate.bars = bars
    report.gate.budgets = [BarResult(slice="all", metric="latency_p95_ms", level="must", maximum=5.0, n=100,
                                     min_examples=1, value=6.0, passed=False,
                                     reason="p95 6.00 ms > 5 ms over 100 calls at batch size 1")]
    report.gate.verdict = "fail"
    return report


def test_the_verdict_counts_must_failures_and_should_warnings() -> None:
    v = verdict_of(failing_report())
    assert (v.verdict, v.must_failed, v.should_warned) == ("fail", 2, 1)
    # Failures first, furthest past their threshold first; then warnings; then passes.
    assert [(b.slice, b.status) for b in v.bars[:3]] == [("typos", "fail"), ("all", "fail"), ("email", "warn")]
    assert all(b.status == "pass" for b in v.bars[3:])
    assert v.failing_slices == ["typos", "all"] and v.warning_slices == ["email"]
    typos = v.bars[0]
    # The clause that failed leads, re-derived from the bar's figures whatever the reason's order.
    assert typos.clauses[0].text.startswith("student − teacher") and typos.clauses[0].failed
    assert not typos.clauses[1].failed
    assert typos.headline == ("student − teacher −38.6 pts at 95% confidence (measured −34.6 pts), "
                              "allowed −3.0 pts")


def test_a_report_from_before_1_1_still_leads_with_the_failing_clause() -> None:
    report = failing_report()
    report.gate.bars[2].lower_bound = None  # older reports carry it only in the reason
    typos = next(b for b in verdict_of(report).bars if b.slice == "typos")
    assert typos.status == "fail" and typos.clauses[0].text.startswith("student − teacher")
    assert "−38.6 pts" in typos.headline


def test_markdown_opens_with_the_verdict_and_reads_as_text() -> None:
    md = report_markdown(failing_report())
    head = md[:md.index("## Gate")]
    assert head.index("**FAIL**") < head.index("**Failing slices:** typos, all")
    assert "2 must-level bars failed, 1 should-level bar warns" in head
    first = [line for line in head.splitlines() if re.match(r"\d+\. ", line)]
    assert first[0].startswith("1. **FAIL** **typos · accuracy**: student − teacher −38.6 pts")
    assert first[2].startswith("3. **WARN** **email · agreement**: 0.877, below the minimum 0.900")
    gate = md[md.index("## Gate"):md.index("## Slices")]
    assert gate.splitlines()[2] == "| slice | result | reason | metric | level | threshold | n | value |"
    # Plain-text readable: no backslash before characters that cannot change the rendering.
    assert "latency_p95_ms" in md and "\\_" not in md and "\\(" not in md and "\\+" not in md
    # Our own code spans stay code spans.
    assert "`max_drop_vs_teacher`" in md and "\\`" not in md


def test_html_opens_with_the_verdict_and_colours_by_level() -> None:
    page = report_html(failing_report())
    verdict = page[page.index('<section class="sh-verdict fail"'):page.index("</section>")]
    assert "Failing slices:</strong> typos, all" in verdict and "Warnings on:</strong> email" in verdict
    assert verdict.index("typos · accuracy") < verdict.index("all · latency_p95_ms") < verdict.index("email · agreement")
    assert '<span class="sh-chip warn">WARN</span> <strong>email' in verdict
    assert page.index("</section>") < page.index('<h2 id="gate">')  # the verdict before any table
    gate = page[page.index('<h2 id="gate">'):page.index('<h2 id="slices">')]
    assert re.search(r"<th>slice</th><th>result</th><th>reason</th>", gate)
    assert '<span class="sh-clause failed">student − teacher' in gate
    # Charts: one per figure, a threshold mark on every bar that has one, bars coloured by verdict.
    assert page.count("<svg") == 2
    assert 'class="sh-bar fail"' in page and 'class="sh-bar warn"' in page and 'class="sh-bar ref"' in page
    assert page.count('class="sh-thr"') == 4  # three accuracy bars, one agreement bar
    assert "viewBox" not in page and 'width="100%"' in page
    assert "<code>max_drop_vs_teacher</code>" in page and "`" not in page.split("<h2 id=\"methods\">")[1][:800]


def test_a_passing_report_says_so_and_a_teacher_only_one_has_no_verdict() -> None:
    report = make_report("fine", random.Random(1))
    for b in report.gate.bars:
        b.passed, b.value = True, 0.9
    report.gate.verdict = "pass"
    assert "**PASS** **The gate passes.** Every bar holds" in report_markdown(report)
    solo = report.model_copy(deep=True)
    solo.student, solo.teacher_only, solo.gate.verdict = None, True, "none"
    solo.gate.bars = []
    page = report_html(solo)
    assert "NO VERDICT" in page and "Teacher-only report" in page
    assert "No verdict" in report_markdown(solo)


def test_notices_and_the_site_copy() -> None:
    report = failing_report()
    standalone = report_html(report)
    assert "<script" not in standalone and "←" not in standalone
    page = report_html(report, notices=[("warn", "<b>retired</b> 200 days ago")], back=("../", "Fleet"),
                       site_root="../../")
    assert "&lt;b&gt;retired&lt;/b&gt; 200 days ago" in page
    assert page.index("200 days ago") < page.index('<section class="sh-verdict')
    assert page.count("<script") == 1 and '"../../"' in page and '<a href="../">← Fleet</a>' in page
    md = verdict_markdown(report, notices=[("warn", "stale [x](y)")])
    assert "> **Warning:** stale \\[x\\]\\(y)" in md


def _elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element of ``page`` with its attributes, as a browser's parser sees them."""
    from html.parser import HTMLParser

    found: list[tuple[str, dict[str, str | None]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Collect().feed(page)
    return found


def test_every_manifest_string_is_escaped_in_both_renderings() -> None:
    evil = '<img src=x onerror=alert(1)>|[a](javascript:b) {: onclick="x"} *b* _c_'
    report = failing_report()
    report.project = evil
    report.slices[1].name = evil
    report.gate.bars[0].slice = evil
    report.gate.bars[0].reason = evil
    for page in (report_html(report), markdown.markdown(report_markdown(report), extensions=EXTENSIONS),
                 markdown.markdown(report_markdown(report, chips=True), extensions=EXTENSIONS)):
        elements = _elements(page)
        assert not [t for t, _ in elements if t in ("img", "script", "em")]
        assert not [a for _, a in elements if {"onerror", "onclick"} & set(a)]
        assert not [a for t, a in elements if t == "a" and "javascript" in (a.get("href") or "")]
        assert "&lt;img src=x" in page


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ab _*`[](){}<>&|\\#!+-.:=~^\"'\n;/") + ["&amp;", "&#65;", "  ", "__init__",
                                                                                "a_b", "](", "{: x}"]),
                max_size=20).map("".join))
def test_md_text_renders_back_to_the_text_it_escaped(text: str) -> None:
    """Whatever the text, Markdown renders md_text(text) as exactly that text: no tag, link,
    emphasis, attribute or entity comes out of it, mid-sentence and in a table cell."""
    shown = " ".join(text.splitlines())
    out = markdown.markdown("x " + md_text(text) + " y", extensions=EXTENSIONS)
    assert out.startswith("<p>") and out.endswith("</p>") and "<" not in out[3:-4].replace("&lt;", "")
    assert html.unescape(out[3:-4]) == ("x " + shown + " y").strip()
    table = markdown.markdown("| a | b |\n|---|---|\n| " + md_text(text) + " | z |", extensions=EXTENSIONS)
    assert table.count("<td>") == 2 and table.count("<td>z</td>") == 1


_COMMONMARK = None


def _commonmark(text: str) -> str:
    """GitHub's reading of Markdown (CommonMark with tables and strikethrough), as a registry
    repository shows `fleet.md` and `report.md`."""
    global _COMMONMARK
    if _COMMONMARK is None:
        from markdown_it import MarkdownIt

        _COMMONMARK = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    return _COMMONMARK.render(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["- ", "+ ", "* ", "# ", "> ", "1. ", "2) ", "~~~", "```", "    ", "\t", "=", "---",
                                 ": ", "!!! note ", "??? ", "a", "b c", "~~d~~", "\x1b[2J", "\u202e", "|", "\n", "<b>",
                                 "1.2", "-5%"]),
                min_size=1, max_size=6).map("".join))
def test_a_value_that_starts_a_line_starts_no_block(text: str) -> None:
    """Where a value begins a line (a model's description under its heading, a checklist
    detail on a line of its own), both escapers keep it one paragraph of exactly its text,
    in the site's Markdown and in GitHub's."""
    from hypothesis import assume

    from harness.render import md_escape
    from harness.render._escape import visible

    shown = visible(" ".join(text.splitlines()))
    assume(shown.strip())
    for escape in (md_text, md_escape):
        for page in (markdown.markdown("### x\n\n" + escape(text), extensions=EXTENSIONS),
                     _commonmark("### x\n\n" + escape(text))):
            body = page.split("</h3>", 1)[1].strip()
            assert body.startswith("<p>") and body.endswith("</p>") and body.count("<p>") == 1, (escape, body)
            inner = body[3:-4]
            assert "<" not in inner.replace("&lt;", ""), (escape, body)
            # renderers may expand a tab or keep a blank run: the words are what must match
            assert html.unescape(inner).split() == shown.split(), (escape, body)
