"""The standard evaluation report: what `stillhouse eval` writes as `report.json`.

One schema for every project, so results are comparable across people and projects.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from ._base import StrictModel

REPORT_VERSION = "1.0"


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
    passed: bool
    reason: str = Field(description="One line: why it passed or failed.")


class Gate(StrictModel):
    """The verdict against the manifest's quality bars and budgets."""

    verdict: Literal["pass", "fail"]
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


class EvalReport(StrictModel):
    """The standard evaluation report of one project."""

    report_version: Literal["1.0"] = "1.0"
    project: str = Field(description="The manifest's `name`.")
    task: str
    provenance: Provenance
    teacher: ModelSummary
    student: ModelSummary
    cost_ratio: float | None = Field(default=None, description="Student cost per call / teacher cost per call.")
    slices: list[SliceResult] = Field(description="`all` first, then the declared slices in order.")
    gate: Gate
    training_record: str | None = Field(default=None, description="Path of the distillation training record, if any.")
