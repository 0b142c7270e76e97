"""The gate: every quality bar on every slice it names, and the budgets, each with a
one-line reason; `fail` when any must-level bar fails."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from standards import BarResult, Gate, ModelSummary, SliceResult
from standards.receipts import judge

from .._stats import certifiable_drop, paired_lower_bound


@dataclass
class SliceFlags:
    """Per-item outcomes on one slice, for the paired test."""

    student_correct: Sequence[bool] | None
    teacher_correct: Sequence[bool] | None


def _targets(bar: Any, slice_names: list[str]) -> list[str]:
    return ["all", *slice_names] if bar.slice == "*" else [bar.slice]


def _value(res: SliceResult, metric: str, role: str = "student") -> float | None:
    est = {
        "accuracy": res.student_accuracy if role == "student" else res.teacher_accuracy,
        "agreement": res.agreement if role == "student" else None,
        "token_f1": res.token_f1 if role == "student" else None,
    }[metric]
    return est.value if est is not None else None


def check_bar(bar: Any, name: str, res: SliceResult | None, flags: SliceFlags | None) -> BarResult:
    """One bar on one slice: its figures, then its outcome as `standards.receipts.judge`
    derives it from them (every reader derives it again the same way)."""
    metric = bar.metric.value
    base: dict[str, Any] = {"slice": name, "metric": metric, "level": bar.level.value, "minimum": bar.minimum,
                            "max_drop_vs_teacher": bar.max_drop_vs_teacher, "min_examples": bar.min_examples}
    if res is None:
        return BarResult(**base, n=0, passed=False, reason=f"slice {name!r} is not declared in the manifest")
    value = _value(res, metric)
    teacher_value = _value(res, metric, "teacher") if metric == "accuracy" else None
    base.update(n=res.n, value=value, teacher_value=teacher_value)
    lower = None
    if bar.max_drop_vs_teacher is not None:
        base["confidence"] = bar.confidence
        s_ok = flags.student_correct if flags is not None else None
        t_ok = flags.teacher_correct if flags is not None else None
        if s_ok and t_ok and res.n >= bar.min_examples:
            lower = paired_lower_bound(s_ok, t_ok, bar.confidence)
            discordant = sum(bool(a) != bool(b) for a, b in zip(s_ok, t_ok)) / len(s_ok)
            base["certifiable_drop"] = certifiable_drop(len(s_ok), discordant, bar.confidence)
        base["lower_bound"] = lower
    if value is None and res.n >= bar.min_examples:
        why = "the eval set has no gold labels" if metric == "accuracy" else f"no {metric} for this task"
        return BarResult(**base, passed=False, reason=f"{metric} cannot be measured: {why}")
    passed, failing, passing = judge(n=res.n, min_examples=bar.min_examples, value=value, minimum=bar.minimum,
                                     max_drop=bar.max_drop_vs_teacher, lower_bound=lower, metric=metric)
    return BarResult(**base, passed=passed, reason="; ".join([*failing, *passing]))


def check_budgets(budgets: Any, student: ModelSummary, n: int) -> list[BarResult]:
    """Latency and cost budgets of the student, as bars on the whole set (must-level)."""
    out = []
    if budgets.latency_p95_ms is not None:
        lat = student.latency
        base: dict[str, Any] = {"slice": "all", "metric": "latency_p95_ms", "level": "must",
                                "maximum": budgets.latency_p95_ms, "n": lat.calls if lat else 0, "min_examples": 1}
        if lat is None:
            out.append(BarResult(**base, passed=False, reason="the student's latency was not measured"))
        else:
            passed, failing, passing = judge(n=lat.calls, min_examples=1, value=lat.p95_ms,
                                             maximum=budgets.latency_p95_ms, metric="p95 ms")
            out.append(BarResult(**base, value=lat.p95_ms, passed=passed,
                                 reason="; ".join([*failing, *passing]) + f" over {lat.calls} calls at batch size 1"))
    if budgets.cost_per_1k_calls_usd is not None:
        cost = student.cost
        base = {"slice": "all", "metric": "cost_per_1k_calls_usd", "level": "must",
                "maximum": budgets.cost_per_1k_calls_usd, "n": n, "min_examples": 1}
        if cost is None:
            out.append(BarResult(**base, passed=False,
                                 reason="no cost for the student: add `cost_model` (local) or `pricing` (endpoint)"))
        else:
            passed, failing, passing = judge(n=n, min_examples=1, value=cost.usd_per_1k_calls,
                                             maximum=budgets.cost_per_1k_calls_usd, metric="USD per 1k calls")
            out.append(BarResult(**base, value=cost.usd_per_1k_calls, passed=passed,
                                 reason="; ".join([*failing, *passing])))
    return out


def run_gate(manifest: Any, results: dict[str, SliceResult], flags: dict[str, SliceFlags],
             student: ModelSummary, n: int) -> Gate:
    """Every bar on every slice it names, then the budgets; the verdict."""
    names = [s.name for s in manifest.slices]
    bars = [check_bar(bar, name, results.get(name), flags.get(name))
            for bar in manifest.quality_bars for name in _targets(bar, names)]
    budgets = check_budgets(manifest.budgets, student, n)
    failed = any(not b.passed and b.level == "must" for b in [*bars, *budgets])
    return Gate(verdict="fail" if failed else "pass", bars=bars, budgets=budgets)
