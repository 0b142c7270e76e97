"""A report is a receipt: what binds it to the manifest it was made for, how its verdict is
recomputed by every reader, and its optional signature.

What a verdict depends on (the *verdict inputs*, recorded in every report as written and
as a sha256): the task and labels, the eval set (path, hash, columns), the slices, the
quality bars, the budgets, the cost model, the generation settings (sampling included), the
teacher's and the student's pins, and how repeated runs combine. Changing any of them makes the report stale: `validate`, the fleet,
`drift` and `publish` say which field changed and ask for `stillhouse eval` again.
Owners, descriptions, lifecycle, triggers and approvals do not change a verdict, so
editing them never invalidates a report.

Every reader re-derives each bar's outcome from the figures the report records (the
student's value, the paired lower bound, the number of examples) and the manifest's
*current* bars, and the verdict from those outcomes. A report whose recorded `passed`
or `verdict` disagrees with its own figures was edited after it was written; a bar of the
manifest that the report does not hold means the bars changed since. Either way the
report does not count as passing, and the reader says why.

Signatures (optional): an HMAC-SHA256 over the report's canonical JSON (the report without
its `signature`, as pydantic serialises it), with a key from the `STILLHOUSE_SIGNING_KEY`
environment variable: a CI secret. A registry with `require_signed_reports: true` treats
an unsigned report, or one whose signature does not verify with the key it holds, as
failing. The threat this answers: an owner who can write to their own repository and to
the registry, but cannot read the CI secret, cannot register a forged passing report.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_json

from .report import BarResult, EvalReport, Signature, combine_verdicts

SIGNING_KEY_ENV = "STILLHOUSE_SIGNING_KEY"
#: The manifest fields a verdict depends on, in the order reports record them.
VERDICT_FIELDS = ("task", "labels", "eval_set", "slices", "quality_bars", "budgets", "cost_model", "generation",
                  "teacher_pin", "student_pin", "repeats")


def verdict_inputs(manifest: Any) -> dict[str, Any]:
    """The fields of ``manifest`` (a current-version manifest) that change a verdict, as JSON data."""
    def dump(x: Any) -> Any:
        return x.model_dump(mode="json", exclude_defaults=False) if x is not None else None

    return {
        "task": manifest.task.value,
        "labels": list(manifest.labels) if manifest.labels else None,
        "eval_set": {"path": manifest.eval_set.path, "sha256": str(manifest.eval_set.sha256).lower(),
                     "fields": dump(manifest.eval_set.fields)},
        "slices": [{"name": s.name, "rule": s.rule.model_dump(mode="json", exclude_none=True)} for s in manifest.slices],
        "quality_bars": [dump(b) for b in manifest.quality_bars],
        "budgets": dump(manifest.budgets),
        "cost_model": dump(manifest.cost_model),
        "generation": dump(manifest.generation),
        "teacher_pin": manifest.teacher.pin(),
        "student_pin": manifest.student.pin(),
        "repeats": dump(getattr(manifest, "repeats", None)),
    }


def digest(data: Any) -> str:
    """sha256 of the canonical JSON of ``data`` (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def changed_fields(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The verdict inputs that differ between a report and the manifest, one line each."""
    out = []
    for key in VERDICT_FIELDS:
        a, b = recorded.get(key), current.get(key)
        if a == b:
            continue
        if isinstance(a, list) and isinstance(b, list) and key in ("slices", "quality_bars"):
            if len(a) != len(b):
                out.append(f"{key}: {len(a)} in the report, {len(b)} in the manifest")
                continue
            for i, (x, y) in enumerate(zip(a, b)):
                if x != y and isinstance(x, dict) and isinstance(y, dict):
                    diff = sorted(k for k in {*x, *y} if x.get(k) != y.get(k))
                    out += [f"{key}[{i}].{k} was {json.dumps(x.get(k))[:80]}, now {json.dumps(y.get(k))[:80]}"
                            for k in diff]
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            diff = sorted(k for k in {*a, *b} if a.get(k) != b.get(k))
            out.append(f"{key}.{', '.join(diff)} changed")
            continue
        out.append(f"{key} was {json.dumps(a)[:120]}, now {json.dumps(b)[:120]}")
    return out


# --- one bar, judged from its figures ------------------------------------------------------


def judge(*, n: int, min_examples: int, value: float | None, minimum: float | None = None,
          maximum: float | None = None, max_drop: float | None = None, lower_bound: float | None = None,
          metric: str = "") -> tuple[bool, list[str], list[str]]:
    """Whether a bar passes, from its figures alone: (passed, failing clauses, passing clauses).

    The gate calls this when it writes a report, and every reader calls it again on the
    figures the report holds, so a bar means the same thing wherever it is read."""
    failing: list[str] = []
    passing: list[str] = []
    if n < min_examples:
        failing.append(f"{n} example(s) in the slice; the bar needs at least {min_examples}")
        return False, failing, passing
    if value is None:
        failing.append(f"{metric or 'the metric'} was not measured")
        return False, failing, passing
    if minimum is not None:
        (passing if value >= minimum else failing).append(
            f"{metric} {value:.3f} {'≥' if value >= minimum else '<'} {minimum:.3f}")
    if maximum is not None:
        (passing if value <= maximum else failing).append(
            f"{metric} {value:.4g} {'≤' if value <= maximum else '>'} {maximum:g}")
    if max_drop is not None:
        if lower_bound is None:
            failing.append("no paired accuracy to compare with the teacher")
        else:
            ok = lower_bound >= -max_drop
            (passing if ok else failing).append(
                f"student − teacher ≥ {100 * lower_bound:+.1f} pts ({'within' if ok else 'beyond'} the allowed "
                f"drop of {100 * max_drop:.1f})")
    return not failing, failing, passing


def _judge_result(b: BarResult) -> bool:
    passed, _, _ = judge(n=b.n, min_examples=b.min_examples, value=b.value, minimum=b.minimum, maximum=b.maximum,
                         max_drop=b.max_drop_vs_teacher, lower_bound=b.lower_bound, metric=b.metric)
    return passed


# --- a whole report against a manifest --------------------------------------------------------


@dataclass
class Recheck:
    """What a reader concludes about a report: the verdict it supports now, and why not."""

    verdict: str                                         # "pass" | "fail"
    tampered: list[str] = field(default_factory=list)    # the report contradicts its own figures
    stale: list[str] = field(default_factory=list)       # the manifest changed since (run eval again)
    unsigned: list[str] = field(default_factory=list)    # a signature is required and missing or wrong

    @property
    def passing(self) -> bool:
        return self.verdict == "pass" and not (self.tampered or self.stale or self.unsigned)

    def reasons(self) -> list[str]:
        return [*self.tampered, *self.unsigned, *self.stale]


def _targets(bar: Any, slice_names: list[str]) -> list[str]:
    return ["all", *slice_names] if bar.slice == "*" else [bar.slice]


def self_check(report: EvalReport) -> tuple[str, list[str]]:
    """What ``report``'s own figures support, with no manifest: (verdict, contradictions).

    Each bar's `passed` must follow from its figures, and the verdict from the bars. A
    report that contradicts itself was edited after it was written, and counts as failing."""
    tampered: list[str] = []

    def implied_by(gate: Any) -> str:
        must_failed = False
        for b in [*gate.bars, *gate.budgets]:
            passed = _judge_result(b)
            if passed != b.passed:
                tampered.append(f"bar {b.slice} · {b.metric} says {'passed' if b.passed else 'failed'} but its "
                                f"figures say {'passed' if passed else 'failed'}: the report was edited")
            must_failed |= not passed and b.level == "must"
        return "fail" if must_failed else "pass"

    if report.teacher_only:
        implied = "none"
    elif report.repeats is not None:
        runs = [implied_by(g) for g in report.repeats.gates]
        if runs != list(report.repeats.verdicts):
            tampered.append("the runs' verdicts do not follow from their bars: the report was edited")
        implied = combine_verdicts(runs, report.repeats.rule)
    else:
        implied = implied_by(report.gate)
    if implied != report.gate.verdict:
        tampered.append(f"the verdict says {report.gate.verdict!r} but the bars say {implied!r}: the report was edited")
    vi = report.provenance.verdict_inputs
    if vi is not None and report.provenance.verdict_inputs_sha256 != digest(vi):
        tampered.append("the report's verdict inputs do not match their own hash: the report was edited")
    if tampered:
        return ("none" if report.teacher_only else "fail"), tampered
    return implied, tampered


def stale_against(bar_keys_in_report: list[list[Any]], inputs_in_report: dict[str, Any] | None,
                  bar_keys_wanted: list[list[Any]], inputs_now: dict[str, Any]) -> list[str]:
    """Why a report is not current for a manifest: its verdict inputs changed, or the bars it
    judged are not the bars the manifest asks for now."""
    if inputs_in_report is not None:
        changed = changed_fields(inputs_in_report, inputs_now)
        if changed:
            return changed  # what changed says it best; the bars that differ follow from it
    out = []
    have = {tuple(k) for k in bar_keys_in_report}
    missing = [k for k in bar_keys_wanted if tuple(k) not in have]
    for k in missing[:5]:
        out.append(f"the manifest's bar {k[0]} · {k[1]} ({k[2]}) is not in the report")
    if len(missing) > 5:
        out.append(f"… and {len(missing) - 5} more bar(s)")
    extra = len(have - {tuple(k) for k in bar_keys_wanted})
    if extra:
        out.append(f"{extra} bar(s) in the report are no longer in the manifest")
    if inputs_in_report is None:
        out.append("the report records no verdict inputs (made by an older harness)")
    return out


def recheck(report: EvalReport, manifest: Any, *, require_signature: bool = False,
            key: bytes | None = None) -> Recheck:
    """Re-derive ``report``'s verdict from its figures and ``manifest``'s current bars."""
    verdict, tampered = self_check(report)
    out = Recheck(verdict=verdict, tampered=tampered)
    if report.teacher_only:
        out.stale.append("it is a teacher-only report (`eval --teacher-only`): it judges no student")
        return out
    wanted = []
    names = [s.name for s in manifest.slices]
    for bar in manifest.quality_bars:
        for name in _targets(bar, names):
            wanted.append([name, bar.metric.value, bar.level.value, bar.minimum, bar.max_drop_vs_teacher,
                           bar.min_examples])
    have = [[b.slice, b.metric, b.level, b.minimum, b.max_drop_vs_teacher, b.min_examples] for b in report.gate.bars]
    out.stale += stale_against(have, report.provenance.verdict_inputs, wanted, verdict_inputs(manifest))
    if require_signature:
        out.unsigned += signature_problems(report, key)
        if out.unsigned and out.verdict == "pass":
            out.verdict = "fail"
    return out


# --- signatures -------------------------------------------------------------------------------


def signing_key() -> bytes | None:
    """The signing key from the environment, or None when none is set."""
    value = os.environ.get(SIGNING_KEY_ENV, "")
    return value.encode("utf-8") if value else None


def key_id(key: bytes) -> str:
    """A short public name of a key (the first 16 hex digits of its sha256), never the key."""
    return hashlib.sha256(key).hexdigest()[:16]


def canonical_bytes(report: EvalReport) -> bytes:
    """What a signature covers: the report without its signature, as pydantic serialises it."""
    return report.model_dump_json(exclude={"signature"}).encode("utf-8")


def mac(key: bytes, canonical_sha256: str) -> str:
    """The HMAC-SHA256 of a report, computed over the sha256 of its canonical bytes (so a
    reader that keeps that digest can check a signature without the report at hand)."""
    return hmac.new(key, f"stillhouse-report-v1:{canonical_sha256}".encode(), hashlib.sha256).hexdigest()


def sign(report: EvalReport, key: bytes) -> EvalReport:
    """``report`` with an HMAC-SHA256 signature under ``key``."""
    value = mac(key, hashlib.sha256(canonical_bytes(report)).hexdigest())
    return report.model_copy(update={"signature": Signature(algorithm="hmac-sha256", key_id=key_id(key), value=value)})


def signature_problems_of(canonical_sha256: str, signature: Signature | dict[str, str] | None,
                          key: bytes | None) -> list[str]:
    """Why a signature (of a report whose canonical bytes hash to ``canonical_sha256``) does
    not stand under ``key`` (empty when it verifies)."""
    if signature is None:
        return ["the report is not signed, and signed reports are required"]
    sig_key = signature["key_id"] if isinstance(signature, dict) else signature.key_id
    sig_value = signature["value"] if isinstance(signature, dict) else signature.value
    if key is None:
        return [f"the report is signed (key {sig_key}) but no key is set to check it ({SIGNING_KEY_ENV})"]
    if sig_key != key_id(key):
        return [f"the report is signed with key {sig_key}, not the expected key {key_id(key)}"]
    if not hmac.compare_digest(mac(key, canonical_sha256), sig_value):
        return ["the report's signature does not verify: it was changed after it was signed"]
    return []


def signature_problems(report: EvalReport, key: bytes | None) -> list[str]:
    """Why ``report``'s signature does not stand (empty when it verifies under ``key``)."""
    return signature_problems_of(hashlib.sha256(canonical_bytes(report)).hexdigest(), report.signature, key)


#: Rows per block of `predictions_digest`: bounded memory on any size of eval set.
DIGEST_BLOCK_ROWS = 4096


def predictions_digest(ids: list[str], teacher: list[Any], student: list[Any] | None) -> str:
    """sha256 over every row's id and both models' outputs (and probabilities): binds the
    report's figures to the answers they were computed from. The rows, each
    ``[id, teacher output, teacher probs(, student output, student probs)]``, go in blocks
    of `DIGEST_BLOCK_ROWS`, each block a compact JSON array as pydantic serialises it (the
    encoder of `canonical_bytes`, one call per block)."""
    h = hashlib.sha256(b"stillhouse-predictions-v2\n")
    for start in range(0, len(ids), DIGEST_BLOCK_ROWS):
        end = min(start + DIGEST_BLOCK_ROWS, len(ids))
        if student is None:
            rows = [[ids[i], teacher[i].output, teacher[i].probs] for i in range(start, end)]
        else:
            rows = [[ids[i], teacher[i].output, teacher[i].probs, student[i].output, student[i].probs]
                    for i in range(start, end)]
        h.update(to_json(rows))
    return h.hexdigest()
