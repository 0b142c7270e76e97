"""The standard evaluation report: what `stillhouse eval` writes as `report.json`.

One schema for every project, so results are comparable across people and projects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from ._base import StrictModel

#: 1.1 adds the receipt (verdict inputs, predictions digest, signature), each bar's paired
#: lower bound and the smallest drop its slice can certify, and teacher-only reports.
REPORT_VERSION = "1.1"


class Estimate(StrictModel):
    """A proportion or mean with its 95% confidence interval."""

    value: float = Field(description="Point estimate.")
    low: float | None = Field(default=None, description="Lower end of the interval.")
    high: float | None = Field(default=None, description="Upper end of the interval.")
    method: str | None = Field(default=None, description="How the interval was computed (e.g. `wilson`).")


class PairedComparison(StrictModel):
    """Student minus teacher on the same items."""

    metric: str = Field(description="Metric compared, e.g. `accuracy`.")
    delta: float = Field(description="Student minus teacher.")
    low: float = Field(description="Lower confidence bound of the difference.")
    high: float = Field(description="Upper confidence bound of the difference.")
    confidence: float = Field(description="Confidence level of the bounds.")
    method: str = Field(description="e.g. `paired bootstrap (2000 resamples)` or `mcnemar`.")
    p_value: float | None = Field(default=None, description="Two-sided p-value of no difference, if computed.")


class SliceResult(StrictModel):
    """Every figure for one slice (`all` is the whole eval set)."""

    name: str = Field(description="Slice name; `all` is the whole set.")
    n: int = Field(ge=0, description="Examples in the slice.")
    teacher_accuracy: Estimate | None = Field(default=None, description="Teacher vs gold labels.")
    student_accuracy: Estimate | None = Field(default=None, description="Student vs gold labels.")
    agreement: Estimate | None = Field(default=None, description="Student's top-1 (or exact) agreement with the teacher.")
    js_divergence: float | None = Field(default=None, description="Mean Jensen-Shannon divergence (bits), when probabilities exist.")
    kl_divergence: float | None = Field(default=None, description="Mean KL(teacher || student), nats, when probabilities exist.")
    token_f1: Estimate | None = Field(default=None, description="Generation: token F1 of the student vs the teacher.")
    reference_token_f1: Estimate | None = Field(default=None, description="Generation: student token F1 vs the reference.")
    paired: PairedComparison | None = Field(default=None, description="Student vs teacher accuracy on the same items.")


class Latency(StrictModel):
    """Latency per call at batch size 1 after warm-up, and batched throughput."""

    p50_ms: float = Field(description="Median latency per call, ms.")
    p95_ms: float = Field(description="95th percentile, ms.")
    p99_ms: float = Field(description="99th percentile, ms.")
    calls: int = Field(description="Timed calls behind the percentiles.")
    throughput_per_s: float | None = Field(default=None, description="Batched examples per second.")
    batch_size: int | None = Field(default=None, description="Batch size of the throughput run.")
    threads: int | None = Field(default=None, description="CPU threads of the batch-size-1 calls (local models on CPU).")
    measured_on: str | None = Field(default=None, description="A run sharded over a Ray cluster: where the calls "
                                    "were timed, e.g. `one Ray worker` (alone, at batch size 1). None: in the "
                                    "evaluating process.")
    throughput_workers: int | None = Field(default=None, description="A run sharded over a Ray cluster: the "
                                           "throughput is the cluster's, rows over the wall time in which these "
                                           "many workers computed. None: one process's batched passes.")


class Cost(StrictModel):
    """Cost per call from the manifest's cost model."""

    usd_per_call: float = Field(description="USD per call.")
    usd_per_1k_calls: float = Field(description="USD per 1,000 calls.")
    basis: str = Field(description="How it was computed, e.g. `0.40 USD/h x 3.1 ms`.")
    input_tokens: int | None = Field(default=None, description="Endpoints: prompt tokens over the run.")
    output_tokens: int | None = Field(default=None, description="Endpoints: completion tokens over the run.")


class ModelSummary(StrictModel):
    """What the report knows about one model."""

    role: Literal["teacher", "student"]
    kind: str = Field(description="Adapter kind: local, hub, endpoint, recorded, callable.")
    pin: str = Field(description="The immutable pin the outputs came from.")
    parameters: int | None = Field(default=None, description="Parameter count, if known.")
    size_bytes: int | None = Field(default=None, description="Artifact size on disk, if local.")
    latency: Latency | None = Field(default=None, description="Measured latency (none for recorded outputs).")
    cost: Cost | None = Field(default=None, description="Cost per call, if a cost model applies.")
    from_cache: bool = Field(default=False, description="Teacher outputs came from the cache.")


class BarResult(StrictModel):
    """One quality bar on one slice."""

    slice: str
    metric: str
    level: Literal["must", "should"]
    minimum: float | None = None
    maximum: float | None = Field(default=None, description="Budgets: the largest allowed value.")
    max_drop_vs_teacher: float | None = None
    n: int
    min_examples: int
    value: float | None = Field(default=None, description="The student's value on the slice.")
    teacher_value: float | None = Field(default=None, description="The teacher's value, where it applies.")
    confidence: float | None = Field(default=None, description="Bars with `max_drop_vs_teacher`: the paired "
                                     "test's confidence.")
    lower_bound: float | None = Field(default=None, description="Bars with `max_drop_vs_teacher`: the one-sided "
                                      "lower confidence bound of student − teacher accuracy; the bar passes when it "
                                      "is at least −max_drop.")
    certifiable_drop: float | None = Field(default=None, description="Bars with `max_drop_vs_teacher`: the "
                                           "smallest drop this slice's size can certify at the bar's confidence, "
                                           "for a student that matches the teacher's accuracy. A bar tighter than "
                                           "this cannot pass, however good the student (BAR-004).")
    passed: bool
    reason: str = Field(description="One line: why it passed or failed, failing clauses first.")


class Gate(StrictModel):
    """The verdict against the manifest's quality bars and budgets: `fail` when a must-level
    bar fails; `none` for a teacher-only report, which judges no student."""

    verdict: Literal["pass", "fail", "none"]
    bars: list[BarResult] = Field(default_factory=list)
    budgets: list[BarResult] = Field(default_factory=list, description="Latency and cost budgets, as bars.")


class Provenance(StrictModel):
    """Where the figures came from: enough to reproduce them or to know they are stale."""

    harness_version: str
    standards_version: str = Field(description="Standards version of the manifest (after migration).")
    manifest_sha256: str
    teacher_pin: str
    student_sha256: str | None = None
    student_pin: str | None = Field(default=None, description="The student's pin (`standards.model_pin`).")
    eval_set_sha256: str
    libraries: dict[str, str] = Field(default_factory=dict)
    device: str
    started_at: dt.datetime
    finished_at: dt.datetime
    command: str
    teacher_sha256: str | None = Field(default=None, description="Artifact hash of the teacher's files, for kinds "
                                       "that have files (1.1).")
    verdict_inputs: dict[str, Any] | None = Field(
        default=None, description="The manifest fields the verdict depends on, as they were (1.1): task, labels, "
        "eval set, slices, quality bars, budgets, cost model, generation settings, both pins "
        "(`standards.receipts.VERDICT_FIELDS`). A reader compares them with the manifest's current ones.")
    verdict_inputs_sha256: str | None = Field(default=None, description="sha256 of `verdict_inputs` (canonical "
                                              "JSON) (1.1).")
    predictions_sha256: str | None = Field(default=None, description="sha256 over every row's id and both models' "
                                           "outputs and probabilities: binds the figures to the answers (1.1).")
    caches_used: bool | None = Field(default=None, description="Whether any output came from a cache (1.1). A "
                                     "signed report never does.")
    cluster: str | None = Field(default=None, description="The Ray cluster the models ran on (`stillhouse eval "
                                "--ray`): a local one started for the run or its address, with its CPUs and GPUs. "
                                "None: one process.")
    workers: int | None = Field(default=None, description="Ray workers each model's shards were spread over.")
    cluster_seconds: dict[str, float] | None = Field(default=None, description="A Ray run: where its time went, "
                                                     "in seconds per phase (cluster start, shipping models, "
                                                     "starting workers, computing, merging, latency on one "
                                                     "worker, shutdown), summed over the models.")


class SliceStability(StrictModel):
    """How one slice held up over repeated runs of a student that samples."""

    name: str
    changed_share: float = Field(description="Share of the slice's items whose answer was not the same in every run.")
    verdict_agreement: float = Field(description="Share of runs whose outcome on this slice (all its bars passing, "
                                     "or not) is the most common one.")
    passed_runs: int = Field(description="Runs in which every bar on this slice passed.")


class RepeatsResult(StrictModel):
    """Repeated evaluation (`stillhouse eval --repeats K`, or the manifest's `repeats`): every
    run's gate, how the verdicts combine, and per slice how stable the answers were."""

    runs: int = Field(ge=1, description="Runs of the student.")
    rule: Literal["all", "majority"] = Field(description="`all`: every run must pass; `majority`: more than half.")
    verdicts: list[Literal["pass", "fail"]] = Field(description="Each run's verdict, in order.")
    gates: list[Gate] = Field(description="Each run's gate; the report's `gate` holds the first run's bars and the "
                              "combined verdict.")
    slices: list[SliceStability] = Field(default_factory=list)


def combine_verdicts(verdicts: list[str], rule: str) -> Literal["pass", "fail"]:
    """The verdict of repeated runs under ``rule`` (`all` or `majority`)."""
    passed = sum(v == "pass" for v in verdicts)
    ok = passed == len(verdicts) if rule == "all" else passed * 2 > len(verdicts)
    return "pass" if ok else "fail"


class Signature(StrictModel):
    """An HMAC over the report's canonical JSON (the report without this field)."""

    algorithm: Literal["hmac-sha256"] = "hmac-sha256"
    key_id: str = Field(description="The first 16 hex digits of the key's sha256: which key, never the key.")
    value: str = Field(pattern=r"^[0-9a-f]{64}$", description="The HMAC, as 64 hex digits.")


class EvalReport(StrictModel):
    """The standard evaluation report of one project."""

    report_version: Literal["1.0", "1.1"] = REPORT_VERSION  # type: ignore[assignment]
    project: str = Field(description="The manifest's `name`.")
    task: str
    provenance: Provenance
    teacher: ModelSummary
    student: ModelSummary | None = Field(description="The student; none in a teacher-only report.")
    teacher_only: bool = Field(default=False, description="`stillhouse eval --teacher-only`: the teacher's quality "
                               "per slice before any student exists; it never satisfies EVAL-005 (1.1).")
    cost_ratio: float | None = Field(default=None, description="Student cost per call / teacher cost per call.")
    slices: list[SliceResult] = Field(description="`all` first, then the declared slices in order.")
    gate: Gate
    training_record: str | None = Field(default=None, description="Path of the distillation training record, if any.")
    repeats: RepeatsResult | None = Field(default=None, description="Repeated runs of a student that samples (1.1).")
    signature: Signature | None = Field(default=None, description="HMAC-SHA256 of the rest of the report, when "
                                        "signed with a key from STILLHOUSE_SIGNING_KEY (1.1).")
