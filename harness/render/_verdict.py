"""What a reader needs first: the verdict, and why. Shared by the Markdown and HTML reports.

Each gate bar becomes a `BarView`: its status (`pass`; a failed `should` bar is a `warn`,
amber; a failed `must` bar a `fail`, red), its reason split into clauses with the failing
ones first, and a short headline that leads with what failed ("typos · accuracy vs teacher:
student − teacher −38.6 pts at 95% confidence, allowed −3.0 pts"). Which clause failed is
re-derived from the bar's figures where they say it (value, minimum, maximum, lower bound),
so the display does not depend on the order the gate wrote its reason in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "warn", "fail"]

#: Words of each status, as shown in chips and tables.
LABEL: dict[str, str] = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "none": "NO VERDICT"}

# Words in a clause that say it did not hold, for clauses whose figures the bar does not carry.
_FAILED_WORDS = (" < ", " > ", "beyond", "cannot", "needs at least", "not declared", "not measured", "no paired",
                 "no cost")


@dataclass
class Clause:
    text: str
    failed: bool


@dataclass
class BarView:
    """One gate bar, ready to show."""

    slice: str
    metric: str
    level: str
    status: Status
    n: int
    threshold: str
    value: str
    headline: str
    clauses: list[Clause] = field(default_factory=list)
    shortfall: float = 0.0          # how far past its threshold, in the bar's own units (sorting only)
    bar: Any = None

    @property
    def label(self) -> str:
        return LABEL[self.status]

    @property
    def what(self) -> str:
        """`accuracy`, `accuracy vs teacher`, `latency_p95_ms` ..."""
        if getattr(self.bar, "max_drop_vs_teacher", None) is not None and getattr(self.bar, "minimum", None) is None:
            return f"{self.metric} vs teacher"
        return self.metric

    @property
    def reason(self) -> str:
        """The whole reason, failing clauses first."""
        return "; ".join(c.text for c in self.clauses)


@dataclass
class Verdict:
    """The report's verdict and the counts behind it."""

    verdict: str                      # pass | fail | none
    bars: list[BarView]               # every bar and budget: failures, then warnings, then passes
    must_failed: int
    should_warned: int
    total: int

    @property
    def problems(self) -> list[BarView]:
        return [b for b in self.bars if b.status != "pass"]

    @property
    def failing_slices(self) -> list[str]:
        """Slices with a failed must-level bar, worst first, each once."""
        return _unique(b.slice for b in self.bars if b.status == "fail")

    @property
    def warning_slices(self) -> list[str]:
        return _unique(b.slice for b in self.bars if b.status == "warn")

    @property
    def label(self) -> str:
        return LABEL.get(self.verdict, self.verdict.upper())

    @property
    def summary(self) -> str:
        """The counts, in a phrase: '12 must-level bars failed, 4 should-level bars warn'."""
        def count(n: int, one: str, many: str) -> str:
            return f"{n} {one if n == 1 else many}"

        if self.verdict == "none":
            return "no verdict: a teacher-only report judges no student"
        if not self.must_failed and not self.should_warned:
            return "every bar holds"
        return (count(self.must_failed, "must-level bar failed", "must-level bars failed") + ", "
                + count(self.should_warned, "should-level bar warns", "should-level bars warn"))

    @property
    def checked(self) -> str:
        slices = len(_unique(b.slice for b in self.bars))
        return f"{self.total} bar{'s' if self.total != 1 else ''} checked on {slices} slice{'s' if slices != 1 else ''}"


def _unique(items: Any) -> list[str]:
    seen: list[str] = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen


def _g(x: float) -> str:
    return f"{x:g}"


def _pts(x: float) -> str:
    return f"{100 * x:+.1f} pts".replace("-", "−")


def status_of(bar: Any) -> Status:
    if bar.passed:
        return "pass"
    return "warn" if bar.level == "should" else "fail"


def threshold_text(bar: Any) -> str:
    parts = []
    if bar.minimum is not None:
        parts.append(f"≥ {_g(bar.minimum)}")
    if bar.maximum is not None:
        parts.append(f"≤ {_g(bar.maximum)}")
    if bar.max_drop_vs_teacher is not None:
        parts.append(f"drop ≤ {_g(bar.max_drop_vs_teacher)}")
    return ", ".join(parts) or "–"


# "student − teacher ≥ -0.386 at 95% confidence": how reports before 1.1 carry the lower bound.
_LOWER_RE = re.compile(r"student [−-] teacher ≥ ([+−-]?[0-9.]+) at ([0-9.]+)% confidence")


def lower_bound(bar: Any) -> tuple[float | None, float | None]:
    """The paired lower bound of student − teacher and its confidence: the bar's fields
    (report 1.1), else read from its reason (older reports)."""
    lower, conf = getattr(bar, "lower_bound", None), getattr(bar, "confidence", None)
    if lower is None and bar.max_drop_vs_teacher is not None:
        m = _LOWER_RE.search(bar.reason or "")
        if m:
            lower = float(m.group(1).replace("−", "-"))
            conf = conf if conf is not None else float(m.group(2)) / 100
    return lower, conf


def _clause_failed(text: str, bar: Any) -> bool:
    value, (lower, _) = bar.value, lower_bound(bar)
    if "student − teacher" in text or "student - teacher" in text:
        if lower is not None and bar.max_drop_vs_teacher is not None:
            return lower < -bar.max_drop_vs_teacher
    elif text.startswith(bar.metric) and value is not None and bar.minimum is not None:
        return value < bar.minimum
    elif bar.maximum is not None and value is not None and any(ch in text for ch in "≤>"):
        return value > bar.maximum
    return any(w in text for w in _FAILED_WORDS)


def clauses(bar: Any) -> list[Clause]:
    """The reason's clauses, failing ones first (stable otherwise)."""
    texts = [c.strip() for c in (bar.reason or "").split("; ") if c.strip()] or ["no reason given"]
    if bar.passed:
        return [Clause(t, False) for t in texts]
    flags = [_clause_failed(t, bar) for t in texts]
    if not any(flags):  # nothing says which: every clause is suspect
        flags = [True] * len(texts)
    out = [Clause(t, f) for t, f in zip(texts, flags)]
    return [c for c in out if c.failed] + [c for c in out if not c.failed]


def _headline(bar: Any, cl: list[Clause]) -> tuple[str, float]:
    """What failed, in a phrase, and by how much (for sorting); for a passing bar, its reason."""
    if bar.passed:
        return cl[0].text, 0.0
    lower, conf = lower_bound(bar)
    drop = bar.max_drop_vs_teacher
    if drop is not None and lower is not None and lower < -drop:
        at = f" at {conf:.0%} confidence" if conf else ""
        measured = ""
        if bar.value is not None and bar.teacher_value is not None:
            measured = f" (measured {_pts(bar.value - bar.teacher_value)})"
        text = f"student − teacher {_pts(lower)}{at}{measured}, allowed −{100 * drop:.1f} pts"
        return text, -drop - lower
    if bar.minimum is not None and bar.value is not None and bar.value < bar.minimum:
        return f"{bar.value:.3f}, below the minimum {bar.minimum:.3f}", bar.minimum - bar.value
    if bar.maximum is not None and bar.value is not None and bar.value > bar.maximum:
        over = (bar.value - bar.maximum) / bar.maximum if bar.maximum else 1.0
        return f"{bar.value:.4g}, above the maximum {bar.maximum:g}", over
    return "; ".join(c.text for c in cl if c.failed), 1.0  # not measurable at all: as bad as it gets


def bar_view(bar: Any) -> BarView:
    cl = clauses(bar)
    headline, shortfall = _headline(bar, cl)
    return BarView(slice=bar.slice, metric=bar.metric, level=bar.level, status=status_of(bar), n=bar.n,
                   threshold=threshold_text(bar), value="–" if bar.value is None else f"{bar.value:.4g}",
                   headline=headline, clauses=cl, shortfall=shortfall, bar=bar)


_ORDER = {"fail": 0, "warn": 1, "pass": 2}


def verdict_of(report: Any) -> Verdict:
    """Every bar and budget of ``report``, failures first (furthest past their threshold
    first), then warnings, then passes in the gate's order."""
    views = [bar_view(b) for b in [*report.gate.bars, *report.gate.budgets]]
    order = sorted(range(len(views)), key=lambda i: (_ORDER[views[i].status],
                                                      -views[i].shortfall if views[i].status != "pass" else 0.0, i))
    ordered = [views[i] for i in order]
    return Verdict(verdict=report.gate.verdict, bars=ordered,
                   must_failed=sum(v.status == "fail" for v in views),
                   should_warned=sum(v.status == "warn" for v in views), total=len(views))
