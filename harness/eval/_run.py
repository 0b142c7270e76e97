"""`harness.evaluate`: the evaluation run, top to bottom.

    load + schema-validate ─► verify hashes (eval set, student, local teacher)
    ─► teacher outputs: cache hit, or run (checkpointed, resumable)
    ─► student outputs (checkpointed) ─► batch-size-1 latency ─► metrics per slice
    ─► cost per call ─► gate ─► EvalReport, written atomically (JSON, Markdown, HTML)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version as pkg_version
from pathlib import Path
from typing import Any

import standards
from standards import (
    Cost,
    Estimate,
    EvalReport,
    Gate,
    Latency,
    ModelSummary,
    PairedComparison,
    Provenance,
    RepeatsResult,
    SliceResult,
    SliceStability,
    model_pin,
)
from standards.report import combine_verdicts

from .. import _stats as S
from .._errors import AdapterError, ManifestError, Problem
from ..project import Project, load_project
from . import _metrics as M
from ._cache import OutputStore, output_key
from ._data import EvalData, load_eval_set, verify_file
from ._gate import SliceFlags, run_gate
from ._progress import progress_for
from .adapters import Adapter, Prediction, Settings, adapter_factory, make_adapter
from .adapters._base import answers_problem

DEFAULT_BATCH_SIZE = 32
DEFAULT_CHECKPOINT_ROWS = 512
DEFAULT_CHECKPOINT_SECONDS = 10.0
LATENCY_WARMUP = 3
LATENCY_CALLS = 100
LATENCY_MAX_SECONDS = 10.0
LATENCY_MIN_CALLS = 20
#: CPU threads for the batch-size-1 calls of local models: one request per worker thread,
#: as CPU servers run small models. It also keeps p95/p99 honest on a shared machine,
#: where a multi-threaded call waits for its slowest, descheduled thread.
LATENCY_THREADS = 1


@dataclass
class ModelRun:
    """One model's outputs on the eval set, with what was measured along the way."""

    predictions: list[Prediction]
    kind: str
    latency_ms: list[float] | None
    batched_seconds: float | None
    batched_rows: int
    batch_size: int | None
    parameters: int | None
    size_bytes: int | None
    device: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_threads: int | None = None
    from_cache: bool = False
    #: A sharded run (`harness.eval._ray`): its workers, and where its latency was timed.
    workers: int | None = None
    latency_on: str | None = None

    def info(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("kind", "latency_ms", "batched_seconds", "batched_rows", "batch_size",
                                              "parameters", "size_bytes", "device", "input_tokens", "output_tokens",
                                              "latency_threads", "workers", "latency_on")}


def settings_of(manifest: Any) -> Settings:
    """The output-changing settings of a manifest."""
    gen = manifest.generation
    dist = getattr(manifest, "distillation", None)
    return Settings(
        task=manifest.task.value,
        labels=list(manifest.labels) if manifest.labels else None,
        prompt_template=gen.prompt_template if gen else "{input}",
        max_new_tokens=gen.max_new_tokens if gen else 32,
        max_length=dist.max_length if dist is not None else None,
        temperature=getattr(gen, "temperature", 0.0) if gen else 0.0,
        top_p=getattr(gen, "top_p", 1.0) if gen else 1.0,
    )


def verify_models(project: Project, roles: tuple[str, ...] = ("teacher", "student")) -> dict[str, str | None]:
    """Check every model with files against its pin before running, and return the artifact
    hash of each (None for kinds without files). A kind pinned by its hash must match it; a
    hub snapshot, pinned by its commit, is hashed as it lies on disk so that the report
    binds the bytes it ran on (an edited snapshot then makes the report stale)."""
    from standards import artifact_sha256

    from .adapters.local import model_folder

    out: dict[str, str | None] = {}
    for role, req in (("teacher", "TEACH-002"), ("student", "TEACH-003")):
        if role not in roles:
            continue
        spec = getattr(project.manifest, role)
        if spec.hashed or getattr(spec, "sha256", None):
            out[role] = verify_file(project, spec.path, spec.sha256, f"{role}.sha256", req)
        elif spec.files != "none":
            folder = model_folder(project.dir, spec.path)
            if not folder.exists():
                raise ManifestError([Problem(str(project.manifest_file), f"{role}.path", "an existing folder",
                                             f"nothing at {spec.path}", line=project.lines.get(f"{role}.path"))])
            out[role] = artifact_sha256(folder)
        else:
            out[role] = None
    return out


def _measure_latency(adapter: Adapter, inputs: list[str], ids: list[str], calls: int,
                     threads: int | None) -> tuple[list[float], int | None]:
    """Milliseconds per call at batch size 1, after warm-up; at most `calls` calls, and no
    more than LATENCY_MAX_SECONDS once LATENCY_MIN_CALLS are in. Local models on CPU run
    on ``threads`` torch threads (None: torch's default); returns the times and the threads."""
    torch = sys.modules.get("torch") if adapter.runs_in_torch and adapter.device == "cpu" else None
    if torch is None:
        return _time_calls(adapter, inputs, ids, calls), None
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _time_calls(adapter, inputs, ids, calls), torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def _time_calls(adapter: Adapter, inputs: list[str], ids: list[str], calls: int) -> list[float]:
    n = len(inputs)
    for i in range(min(LATENCY_WARMUP, n)):
        adapter.predict([ids[i]], [inputs[i]])
    out: list[float] = []
    started = time.perf_counter()
    for k in range(calls):
        i = k % n
        t0 = time.perf_counter()
        adapter.predict([ids[i]], [inputs[i]])
        out.append((time.perf_counter() - t0) * 1000)
        if len(out) >= LATENCY_MIN_CALLS and time.perf_counter() - started > LATENCY_MAX_SECONDS:
            break
    return out


def batch_order(inputs: list[str], start: int, end: int) -> list[int]:
    """Rows ``start..end`` ordered by input length (characters), ties in file order.

    Batches never cross a checkpoint chunk, so a resumed run forms the same batches."""
    return sorted(range(start, end), key=lambda i: len(inputs[i]))


def _say_discarded(role: str, store: OutputStore) -> None:
    """Say, even in a quiet run, that a cache entry failed its seal and was not used."""
    for line in store.discarded:
        print(f"warning: {role} cache: {line}", file=sys.stderr)
    store.discarded.clear()


def _timed(adapter: Adapter, role: str, data: EvalData, calls: int, threads: int | None,
           progress: Any) -> tuple[list[float], int | None]:
    """Batch-size-1 latency of a loaded adapter, with its progress line."""
    task = progress.start(f"{role} latency (batch size 1)", None)
    timed = _measure_latency(adapter, data.inputs, data.ids, calls, threads)
    progress.finish(task)
    return timed


def run_model(role: str, spec: Any, settings: Settings, data: EvalData, project: Project, store: OutputStore, *,
              use_cache: bool, keep: bool, batch_size: int, checkpoint_rows: int, checkpoint_seconds: float,
              latency_calls: int,
              latency_threads: int | None, progress: Any, cluster: Any = None) -> ModelRun:
    """Outputs of one model on every example: from a complete cache entry (``keep`` roles
    only), else computed chunk by chunk, each chunk checkpointed, resuming stored chunks;
    with a ``cluster`` (`harness.eval._ray.Cluster`), the chunks are sharded over its workers."""
    n = len(data.ids)
    checked = not getattr(adapter_factory(spec.kind), "keeps_contract", False)

    def check(ids: list[str], preds: Sequence[Prediction | None], *, stored: bool = False) -> bool:
        """Whether answers keep the task's contract. A fresh one that breaks it is an error,
        raised before anything is cached; a stored one (cached before answers were checked)
        is False: asked for again, never believed."""
        problem = answers_problem(ids, preds, settings) if checked else None
        if problem and not stored:
            raise AdapterError(f"{role} ({spec.kind}): {problem}; nothing of this run was cached")
        return problem is None

    if use_cache and keep:
        hit = store.load_complete(n)
        _say_discarded(role, store)
        if hit is not None and not check(data.ids, hit["predictions"], stored=True):
            hit = None
        if hit is not None:
            progress.note(f"{role}: {n} outputs from the cache ({store.dir.name}); the {role} runs zero times")
            rest: dict[str, Any] = {k: hit.get(k) for k in ModelRun.__dataclass_fields__
                                    if k not in ("predictions", "from_cache")}
            if (not rest.get("latency_ms") and latency_calls and n
                    and getattr(adapter_factory(spec.kind), "latency_mode", None) == "batch1"):
                # `record` stored the answers untimed: time the calls now, never asking for the answers again
                adapter = make_adapter(role, spec, settings, project.dir)
                adapter.load()
                rest["latency_ms"], rest["latency_threads"] = _timed(adapter, role, data, latency_calls,
                                                                     latency_threads, progress)
            return ModelRun(predictions=hit["predictions"], from_cache=True, **rest)
    if cluster is not None:
        from ._ray import run_sharded

        return run_sharded(cluster, role, spec, settings, data, project, store, use_cache=use_cache, keep=keep,  # type: ignore[no-any-return]
                           batch_size=batch_size, checkpoint_rows=checkpoint_rows, latency_calls=latency_calls,
                           latency_threads=latency_threads, progress=progress, check=check)
    adapter = make_adapter(role, spec, settings, project.dir)
    adapter.load()
    if adapter.takes_batch_size:
        adapter.batch_size = batch_size
    by_length = adapter.batch_by_length
    preds: list[Prediction | None] = [None] * n
    batched = 0.0
    computed = 0
    task = progress.start(f"{role} ({spec.kind})", n)
    stored = store.load_parts(n) if use_cache else []
    _say_discarded(role, store)

    def from_parts(start: int, end: int) -> list[Prediction] | None:
        for s, e, outputs in stored:
            if s <= start and end <= e:
                return outputs[start - s:end - s]
        return None

    # Checkpoint by time, not by count: a part is written once `checkpoint_seconds` of work
    # is unsaved, so a short run writes none and a long one loses at most that much.
    unsaved_from: int | None = None
    last_save = time.perf_counter()
    for start in range(0, n, checkpoint_rows):
        end = min(start + checkpoint_rows, n)
        part = from_parts(start, end)
        if part is not None and not check(data.ids[start:end], part, stored=True):
            part = None
        if part is None:
            order = batch_order(data.inputs, start, end) if by_length else list(range(start, end))
            batches = [order[b:b + adapter.batch_size] for b in range(0, len(order), adapter.batch_size)]
            fresh: list[Prediction | None] = [None] * (end - start)
            t0 = time.perf_counter()  # batched time is the adapter's, not this loop's bookkeeping
            for rows, got in adapter.predict_batches(data.ids, data.inputs, batches):
                batched += time.perf_counter() - t0
                if len(got) != len(rows):
                    raise AdapterError(f"{role}: {len(got)} outputs for a batch of {len(rows)}")
                check([data.ids[i] for i in rows], got)
                for i, g in zip(rows, got):
                    fresh[i - start] = g
                computed += len(rows)
                progress.advance(task, len(rows))
                t0 = time.perf_counter()
            batched += time.perf_counter() - t0
            preds[start:end] = fresh
            unsaved_from = start if unsaved_from is None else unsaved_from
            if end < n and time.perf_counter() - last_save >= checkpoint_seconds:
                store.save_part(unsaved_from, end, preds[unsaved_from:end])  # type: ignore[arg-type]
                unsaved_from, last_save = None, time.perf_counter()
        else:
            preds[start:end] = part
            progress.advance(task, end - start)
            unsaved_from = None  # a gap shorter than `checkpoint_seconds` is simply redone
    progress.finish(task)
    latency: list[float] | None = None
    threads = None
    if adapter.latency_mode == "batch1" and n and latency_calls:
        latency, threads = _timed(adapter, role, data, latency_calls, latency_threads, progress)
    elif adapter.latency_mode == "per-call" and adapter.call_seconds:
        latency = [s * 1000 for s in adapter.call_seconds]
    tokens = adapter.priced_by_tokens
    run = ModelRun(
        predictions=preds,  # type: ignore[arg-type]
        kind=spec.kind, latency_ms=latency, batched_seconds=batched if computed else None, batched_rows=computed,
        batch_size=adapter.batch_size if adapter.latency_mode else None, parameters=adapter.parameters(),
        size_bytes=adapter.size_bytes(), device=adapter.device,
        input_tokens=adapter.input_tokens if tokens else None,
        output_tokens=adapter.output_tokens if tokens else None, latency_threads=threads,
    )
    if keep:
        store.save_complete(run.predictions, run.info())
    store.clear_parts()
    return run


# --- figures ---------------------------------------------------------------------------------


def _estimate(triple: tuple[float, float, float] | None, method: str) -> Estimate | None:
    if triple is None:
        return None
    v, lo, hi = triple
    return Estimate(value=v, low=lo, high=hi, method=method)


def slice_figures(name: str, idx: list[int], task: str, teacher: list[Prediction], student: list[Prediction] | None,
                  refs: list[str] | None) -> tuple[SliceResult, SliceFlags]:
    """Every figure of one slice (rows ``idx``); with no ``student``, the teacher's alone."""
    t = [teacher[i] for i in idx]
    r = [refs[i] for i in idx] if refs is not None else None
    gen = task == "generation"
    same = M.exact_match if gen else (lambda a, b: str(a) == str(b))
    t_ok = [same(p.output, g) for p, g in zip(t, r)] if r is not None else None
    res = SliceResult(name=name, n=len(idx))
    if student is None:
        if idx and t_ok is not None:
            res.teacher_accuracy = _estimate(S.proportion(t_ok), S.WILSON)
        return res, SliceFlags(student_correct=None, teacher_correct=t_ok)
    s = [student[i] for i in idx]
    s_ok = [same(p.output, g) for p, g in zip(s, r)] if r is not None else None
    if idx:
        res.agreement = _estimate(S.proportion([same(a.output, b.output) for a, b in zip(s, t)]), S.WILSON)
        if t_ok is not None and s_ok is not None:
            res.teacher_accuracy = _estimate(S.proportion(t_ok), S.WILSON)
            res.student_accuracy = _estimate(S.proportion(s_ok), S.WILSON)
            res.paired = PairedComparison(metric="accuracy", **S.paired_comparison(s_ok, t_ok))  # type: ignore[arg-type]
        if gen:
            res.token_f1 = _estimate(S.mean_interval([M.token_f1(a.output, b.output) for a, b in zip(s, t)]), S.NORMAL)
            if r is not None:
                res.reference_token_f1 = _estimate(S.mean_interval([M.token_f1(a.output, g) for a, g in zip(s, r)]),
                                                   S.NORMAL)
        elif all(p.probs is not None for p in t + s) and t:
            res.js_divergence, res.kl_divergence = S.mean_divergences([a.probs for a in t], [b.probs for b in s])  # type: ignore[misc]
    return res, SliceFlags(student_correct=s_ok, teacher_correct=t_ok)


def _latency(run: ModelRun) -> Latency | None:
    if not run.latency_ms:
        return None
    ms = run.latency_ms
    thr = run.batched_rows / run.batched_seconds if run.batched_seconds else None
    return Latency(p50_ms=S.percentile(ms, 50), p95_ms=S.percentile(ms, 95), p99_ms=S.percentile(ms, 99),
                   calls=len(ms), throughput_per_s=thr, batch_size=run.batch_size, threads=run.latency_threads,
                   measured_on=run.latency_on, throughput_workers=run.workers)


def _cost(run: ModelRun, spec: Any, manifest: Any, n: int) -> Cost | None:
    if run.input_tokens is not None:  # an adapter priced by the token
        pricing = getattr(spec, "pricing", None)
        if pricing is None:
            return None
        calls = max(len(run.latency_ms or []), 1)
        tin, tout = run.input_tokens / calls, (run.output_tokens or 0) / calls
        per_call = (tin * pricing.usd_per_1k_input_tokens + tout * pricing.usd_per_1k_output_tokens) / 1000
        return Cost(usd_per_call=per_call, usd_per_1k_calls=per_call * 1000, input_tokens=run.input_tokens,
                    output_tokens=run.output_tokens,
                    basis=f"{tin:.1f} input × {pricing.usd_per_1k_input_tokens:g} + {tout:.1f} output × "
                          f"{pricing.usd_per_1k_output_tokens:g} USD per 1k tokens, mean per call")
    if manifest.cost_model is None or not run.latency_ms:
        return None
    mean_ms = sum(run.latency_ms) / len(run.latency_ms)
    rate = manifest.cost_model.usd_per_hour
    per_call = rate * mean_ms / 1000 / 3600
    return Cost(usd_per_call=per_call, usd_per_1k_calls=per_call * 1000,
                basis=f"{rate:g} USD/h × {mean_ms:.3f} ms mean per call at batch size 1")


def _summary(role: str, run: ModelRun, spec: Any, manifest: Any, n: int) -> ModelSummary:
    return ModelSummary(role=role, kind=run.kind, pin=model_pin(spec),  # type: ignore[arg-type]
                        parameters=run.parameters, size_bytes=run.size_bytes, latency=_latency(run),
                        cost=_cost(run, spec, manifest, n), from_cache=run.from_cache)


def _libraries() -> dict[str, str]:
    """The versions of the libraries that change what a run computes, for the provenance."""
    out = {"python": platform.python_version()}
    for name in ("stillhouse", "pydantic", "torch", "transformers", "datasets", "safetensors", "numpy", "tokenizers"):
        try:
            out[name] = pkg_version(name)
        except PackageNotFoundError:
            pass
    return out


def _device(runs: list[ModelRun]) -> str:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    threads = f", {torch.get_num_threads()} torch threads" if torch is not None else ""
    devices = sorted({r.device for r in runs if not r.device.startswith("cpu") and not r.from_cache})
    extra = "; " + "; ".join(devices) if devices else ""
    return f"cpu ({platform.machine() or '?'}{threads}){extra}"


def default_report_dir(project_dir: Path, teacher_only: bool = False) -> Path:
    """Where a report goes without --out: a teacher-only report beside, never over, the
    student's (which `validate` and `publish` read)."""
    base = project_dir / standards.REPORT_DIR
    return base / "teacher-only" if teacher_only else base


def evaluate(project_dir: Path | str = ".", *, use_cache: bool = True, quiet: bool = True,
             out_dir: Path | str | None = None, command: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
             checkpoint_rows: int = DEFAULT_CHECKPOINT_ROWS, checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS,
             latency_calls: int = LATENCY_CALLS, latency_threads: int | None = LATENCY_THREADS,
             teacher_only: bool = False, ray: str | None = None, ray_workers: int | None = None,
             repeats: int | None = None) -> EvalReport:
    """Run teacher and student on the project's frozen eval set and write the standard report.

    Verifies every pin first (eval set, student, teacher files) and raises `IntegrityError`
    (exit 2) on a mismatch, showing both hashes. Teacher outputs come from the cache when
    the key matches (``use_cache=False`` forces a fresh run); progress is checkpointed (in
    chunks of ``checkpoint_rows`` rows, written once ``checkpoint_seconds`` of work is
    unsaved) so an interrupted run resumes. Writes `report.json`, `report.md` and
    `report.html` atomically into ``out_dir`` (default: `<project>/report/`, and
    `<project>/report/teacher-only/` for ``teacher_only``, which never replaces the
    model's own report) and returns the
    report; the gate's verdict is `report.gate.verdict`. Latency is timed at batch size 1
    after warm-up, on ``latency_threads`` CPU threads for local models on CPU (None:
    torch's default).

    The report is a receipt (`standards.receipts`): it records the manifest fields its
    verdict depends on and a digest of every answer. With a signing key in the environment
    (`STILLHOUSE_SIGNING_KEY`) no cache is used and the report is signed.
    ``teacher_only``: the teacher's figures per slice before any student exists; such a
    report has no verdict and never satisfies EVAL-005. ``repeats``: run the student this
    many times (default: the manifest's `repeats.runs`), each run seeded apart; the report
    gives every run's gate, how often items change answer per slice, and the verdict under
    the manifest's `repeats.rule`.

    ``ray``: run the models on a Ray cluster (`harness.eval._ray`): "local" starts one on
    this machine for the run, any other value is the address of one to connect to;
    ``ray_workers`` workers (default: one per GPU, else per CPU). The figures and the
    predictions digest are those of one process; latency is timed on one worker, and the
    provenance names the cluster.
    """
    if batch_size < 1 or checkpoint_rows < 1 or latency_calls < 1 or (repeats is not None and repeats < 1):
        raise ValueError("batch_size, checkpoint_rows, latency_calls and repeats must be ≥ 1")
    return _evaluate(project_dir, use_cache=use_cache, quiet=quiet, out_dir=out_dir, command=command,
                     batch_size=batch_size, checkpoint_rows=checkpoint_rows,
                     checkpoint_seconds=checkpoint_seconds, latency_calls=latency_calls,
                     latency_threads=latency_threads, teacher_only=teacher_only, ray=ray, ray_workers=ray_workers,
                     repeats=repeats)


def _evaluate(project_dir: Path | str, *, use_cache: bool, quiet: bool, out_dir: Path | str | None,
              command: str | None, batch_size: int, checkpoint_rows: int, checkpoint_seconds: float,
              latency_calls: int, latency_threads: int | None, teacher_only: bool, ray: str | None = None,
              ray_workers: int | None = None, repeats: int | None = None) -> EvalReport:
    from standards import receipts

    from .. import __version__
    from ..render import write_report

    started = dt.datetime.now(dt.timezone.utc)
    key = receipts.signing_key()
    if key is not None:
        use_cache = False  # a signed report is computed from the pinned files alone
    project = load_project(project_dir)
    m = project.manifest
    roles = ("teacher",) if teacher_only else ("teacher", "student")
    _check_runnable(project, roles)
    data = load_eval_set(project, use_cache=use_cache)
    hashes = verify_models(project, roles)
    settings = settings_of(m)
    fields = {"id": m.eval_set.fields.id, "input": m.eval_set.fields.input}
    n_runs = 1 if teacher_only else (repeats if repeats is not None else m.repeats.runs)
    progress = progress_for(quiet)
    runs: dict[str, ModelRun] = {}
    student_runs: list[ModelRun] = []
    with _cluster(ray, ray_workers) as cluster, progress:
        for role in roles:
            spec = getattr(m, role)
            extra = {"trust_remote_code": getattr(spec, "trust_remote_code", False),
                     "batch_size": batch_size if settings.task == "generation" else None}
            if settings.task == "generation":
                # Greedy generation in a padded batch can depend on the batch's other rows:
                # how batches are formed is part of what the outputs are.
                extra["batches"] = f"by length within chunks of {checkpoint_rows} rows"
            for r in range(n_runs if role == "student" else 1):  # a sampling student: one seed per run
                run_settings = replace(settings, seed=settings.seed + r)
                cache_key = output_key(role, model_pin(spec), spec.kind, data.sha256, run_settings, fields,
                                       extra=extra)
                store = OutputStore(project.dir, role, cache_key)
                done = run_model(role, spec, run_settings, data, project, store, use_cache=use_cache,
                                 keep=role == "teacher", batch_size=batch_size, checkpoint_rows=checkpoint_rows,
                                 checkpoint_seconds=checkpoint_seconds,
                                 latency_calls=latency_calls if r == 0 else 0, latency_threads=latency_threads,
                                 progress=progress, cluster=cluster)
                if role == "student":
                    student_runs.append(done)
                runs.setdefault(role, done)
    n = len(data.ids)
    student_preds = runs["student"].predictions if "student" in runs else None
    results, flags = _figures(data, settings.task, runs["teacher"].predictions, student_preds)
    teacher = _summary("teacher", runs["teacher"], m.teacher, m, n)
    student = None if teacher_only else _summary("student", runs["student"], m.student, m, n)
    ratio = None
    if student is not None and teacher.cost and student.cost and teacher.cost.usd_per_call > 0:
        ratio = student.cost.usd_per_call / teacher.cost.usd_per_call
    repeated = None
    if student is None:
        gate = Gate(verdict="none")
    else:
        gate = run_gate(m, results, flags, student, n)
        if n_runs > 1:
            repeated = _repeats(m, data, settings.task, runs["teacher"].predictions, student_runs, gate, student, n)
            gate = Gate(verdict=combine_verdicts(list(repeated.verdicts), repeated.rule), bars=gate.bars,
                        budgets=gate.budgets)
    finished = dt.datetime.now(dt.timezone.utc)
    inputs = receipts.verdict_inputs(m)
    inputs["repeats"] = {**inputs["repeats"], "runs": n_runs}  # what ran, which `--repeats` may override
    prov = Provenance(
        harness_version=__version__, standards_version=standards.CURRENT_VERSION,
        manifest_sha256=project.manifest_sha256, teacher_pin=model_pin(m.teacher),
        student_sha256=hashes.get("student"), student_pin=None if teacher_only else model_pin(m.student),
        eval_set_sha256=data.sha256, libraries=dict(_libraries()), device=_device(list(runs.values())),
        started_at=started, finished_at=finished, command=command or f"harness.evaluate({_shown_path(project_dir)!r})",
        teacher_sha256=hashes.get("teacher"), verdict_inputs=inputs, verdict_inputs_sha256=receipts.digest(inputs),
        predictions_sha256=receipts.predictions_digest(data.ids, runs["teacher"].predictions, student_preds),
        caches_used=any(r.from_cache for r in runs.values()),
        cluster=cluster.describe() if cluster is not None else None,
        workers=cluster.workers if cluster is not None else None,
        cluster_seconds=dict(cluster.seconds) if cluster is not None else None,
    )
    from ..distillation import RECORD_FILE  # light: the trainer imports torch only when it trains

    record = RECORD_FILE if (project.dir / RECORD_FILE).is_file() and not teacher_only else None
    report = EvalReport(project=m.name, task=settings.task, provenance=prov, teacher=teacher, student=student,
                        teacher_only=teacher_only, cost_ratio=ratio, slices=list(results.values()), gate=gate,
                        training_record=record, repeats=repeated)
    if key is not None:
        report = receipts.sign(report, key)
    target = Path(out_dir) if out_dir is not None else default_report_dir(project.dir, teacher_only)
    try:
        write_report(report, target)
    except OSError as exc:
        from .._errors import InputError

        raise InputError(f"{target}: cannot write the report there ({exc.strerror or exc})") from None
    return report


def _figures(data: EvalData, task: str, teacher: list[Prediction],
             student: list[Prediction] | None) -> tuple[dict[str, SliceResult], dict[str, SliceFlags]]:
    """Every slice's figures, in the manifest's order (`all` first)."""
    results, flags = {}, {}
    for name, mask in data.masks.items():
        idx = [i for i, inside in enumerate(mask) if inside]
        results[name], flags[name] = slice_figures(name, idx, task, teacher, student, data.references)
    return results, flags


def _repeats(m: Any, data: EvalData, task: str, teacher: list[Prediction], runs: list[ModelRun], first: Gate,
             student: ModelSummary, n: int) -> RepeatsResult:
    """Every run's gate, and per slice how often answers changed and how often runs agreed on
    the slice's verdict (all its bars passing, or not)."""
    gates = [first]
    for run in runs[1:]:
        results, flags = _figures(data, task, teacher, run.predictions)
        gates.append(run_gate(m, results, flags, student, n))
    stability = []
    for name, mask in data.masks.items():
        idx = [i for i, inside in enumerate(mask) if inside]
        changed = sum(len({run.predictions[i].output for run in runs}) > 1 for i in idx)
        outcomes = [all(b.passed for b in g.bars if b.slice == name) for g in gates]
        common = max(outcomes.count(True), outcomes.count(False))
        stability.append(SliceStability(name=name, changed_share=changed / len(idx) if idx else 0.0,
                                        verdict_agreement=common / len(outcomes), passed_runs=sum(outcomes)))
    return RepeatsResult(runs=len(runs), rule=m.repeats.rule, verdicts=[g.verdict for g in gates],  # type: ignore[misc]
                         gates=gates, slices=stability)


def _cluster(address: str | None, workers: int | None) -> Any:
    """The Ray cluster a run shards over (`harness.eval._ray.connect`), or none: one process."""
    if address is None:
        return contextlib.nullcontext(None)
    from ._ray import connect

    return connect(address, workers)


def _check_runnable(project: Project, roles: tuple[str, ...] = ("teacher", "student")) -> None:
    """Refuse early, with every problem at once, what no run could use."""
    m = project.manifest
    mf = str(project.manifest_file)
    problems = []
    if m.task.value == "generation" and m.generation is None:
        problems.append(Problem(mf, "generation", "generation settings (prompt_template, max_new_tokens)",
                                "nothing (field missing)", hint="add `generation: {prompt_template: \"{input}\"}`"))
    for role in roles:
        spec = getattr(m, role)
        for fname in ("path", "sha256", "target", "version", "model", "base_url"):
            value = getattr(spec, fname, None)
            if standards.is_placeholder(value):
                problems.append(Problem(mf, f"{role}.{fname}", "a value", str(value),
                                        line=project.lines.get(f"{role}.{fname}")))
    if problems:
        raise ManifestError(problems)


def _shown_path(path: Path | str) -> str:
    """``path`` as the report shows it: relative to the working folder when inside it, so a
    report names no folder of the machine that made it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
