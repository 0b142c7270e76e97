"""`stillhouse record`: run the teacher once over the eval set and the distillation set, and
keep its answers forever as a `recorded` teacher.

This is how a teacher served as an API (a managed service, or a model behind vLLM) becomes
an input to `stillhouse distill` and a free CI gate: every later run reads the recording,
pinned by its sha256, instead of calling the service. The recording says what answered
(the teacher's pin and settings), over which sets (their hashes), and what it cost (tokens,
and USD from the manifest's pricing).

    load ─► verify the sets' pins ─► run the teacher per set (cached and checkpointed like
    eval: an interrupted recording resumes) ─► check the answers ─► write the JSONL
    atomically ─► optionally point the manifest's `teacher` at it (comments kept)
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import standards
from standards import file_sha256, model_pin
from standards.tabular import TableError, missing_value, read_rows

from .._errors import InputError, ManifestError, Problem
from .._io import atomic_write_text
from ..project import Project, load_project
from ._cache import OutputStore, output_key
from ._data import EvalData, load_eval_set
from ._progress import progress_for
from ._recording import HEADER_KEY, RECORDING_VERSION, is_recording, read_recording, text_sha256
from ._run import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CHECKPOINT_ROWS,
    DEFAULT_CHECKPOINT_SECONDS,
    _cluster,
    run_model,
    settings_of,
)

DEFAULT_OUT = "recorded/teacher.jsonl"


@dataclass
class SetRecording:
    """What was recorded for one set."""

    name: str
    path: str
    sha256: str
    rows: int
    from_cache: bool
    input_tokens: int | None
    output_tokens: int | None


@dataclass
class RecordResult:
    """What `record` wrote."""

    path: Path
    rel: str
    sha256: str
    sets: list[SetRecording]
    usd: float | None
    source: str
    spec: dict[str, Any]
    manifest_written: bool = False
    notes: list[str] = field(default_factory=list)
    #: `--ray`: the cluster the teacher ran on, and where the time went there (seconds per phase).
    cluster: str | None = None
    cluster_seconds: dict[str, float] | None = None


def _distillation_set(project: Project) -> EvalData:
    """The distillation set's ids and inputs, its pin checked (ids from `train_set.id`, else the row number)."""
    dist = getattr(project.manifest, "distillation", None)
    mf = str(project.manifest_file)
    if dist is None:
        raise ManifestError([Problem(mf, "distillation", "a `distillation` section naming the training set",
                                     "none", hint="or record only the eval set: --set eval")])
    ts = dist.train_set
    path = project.path(ts.path)
    if standards.is_placeholder(ts.sha256) or standards.is_placeholder(ts.path):
        raise ManifestError([Problem(mf, "distillation.train_set.sha256", "a pinned training set", str(ts.sha256),
                                     line=project.lines.get("distillation.train_set.sha256"))])
    if not path.is_file():
        raise ManifestError([Problem(mf, "distillation.train_set.path", "an existing file", f"nothing at {ts.path}",
                                     line=project.lines.get("distillation.train_set.path"))])
    actual = file_sha256(path)
    if actual != ts.sha256.lower():
        from .._errors import IntegrityError

        raise IntegrityError(ts.path, "distillation.train_set.sha256", ts.sha256, actual)
    try:
        rows = read_rows(path)
    except TableError as exc:
        raise ManifestError([Problem(ts.path, "", "a readable training set", str(exc))]) from None
    bad = [i for i, r in enumerate(rows) if missing_value(r.get(ts.input))]
    if bad:
        raise ManifestError([Problem(ts.path, f"row {bad[0] + 1}.{ts.input}", "an input in every row",
                                     f"missing or empty in {len(bad)} row(s)")])
    ids = [str(r.get(ts.id, i)) for i, r in enumerate(rows)]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise ManifestError([Problem(ts.path, ts.id, "unique ids", f"{dup!r} appears more than once")])
    return EvalData(ids=ids, inputs=[str(r[ts.input]) for r in rows], references=None, rows=[], masks={},
                    sha256=actual)


def record(project_dir: Path | str = ".", *, sets: tuple[str, ...] = ("eval", "distillation"),
           out: str | None = None, write_manifest: bool = False, use_cache: bool = True, quiet: bool = True,
           batch_size: int = DEFAULT_BATCH_SIZE, ray: str | None = None,
           ray_workers: int | None = None) -> RecordResult:
    """Run the project's teacher over ``sets`` and write its answers as a recording (see the
    module docstring). ``out`` is relative to the project (default `recorded/teacher.jsonl`).
    With ``write_manifest`` the manifest's `teacher` becomes the recording (its `family`
    kept), so distill and eval read it from then on. ``ray``: shard the teacher's runs over
    a Ray cluster, as `evaluate` does (the same answers)."""
    from .. import __version__

    project = load_project(project_dir)
    m = project.manifest
    teacher = m.teacher
    mf = str(project.manifest_file)
    if teacher.kind == "recorded":
        raise InputError(f"{mf}: teacher: already a recording ({teacher.path}); `stillhouse record` runs a teacher "
                         "that answers (local, hub, endpoint, callable)")
    problem = teacher.pin_problem()
    if problem:
        raise ManifestError([Problem(mf, f"teacher.{problem.split(' ', 1)[0]}", "a pinned teacher", problem,
                                     requirement="TEACH-001")])
    rel = out or DEFAULT_OUT
    target = project.path(rel)
    if target != project.dir and project.dir not in target.parents:
        raise ManifestError([Problem("--out", "", "a path inside the project", rel)])
    _check_target(project, target, rel)
    settings = settings_of(m)
    fields = {"id": m.eval_set.fields.id, "input": m.eval_set.fields.input}
    data: dict[str, EvalData] = {}
    if "eval" in sets:
        data["eval"] = load_eval_set(project)
    if "distillation" in sets:
        data["distillation"] = _distillation_set(project)
    if not data:
        raise InputError("--set: expected eval, distillation or both; found nothing to record")
    started = dt.datetime.now(dt.timezone.utc)
    progress = progress_for(quiet)
    runs = {}
    with _cluster(ray, ray_workers) as cluster, progress:
        for name, d in data.items():
            key = output_key("teacher", model_pin(teacher), teacher.kind, d.sha256, settings, fields,
                             extra={"trust_remote_code": getattr(teacher, "trust_remote_code", False),
                                    "batch_size": batch_size if settings.task == "generation" else None,
                                    **({"batches": f"by length within chunks of {DEFAULT_CHECKPOINT_ROWS} rows"}
                                       if settings.task == "generation" else {})})
            store = OutputStore(project.dir, "teacher", key)
            runs[name] = run_model("teacher", teacher, settings, d, project, store, use_cache=use_cache, keep=True,
                                   batch_size=batch_size, checkpoint_rows=DEFAULT_CHECKPOINT_ROWS,
                                   checkpoint_seconds=DEFAULT_CHECKPOINT_SECONDS, latency_calls=0,
                                   latency_threads=None, progress=progress, cluster=cluster)
    recorded_sets = []
    lines = []
    tokens_in = tokens_out = 0
    priced = False
    for name, d in data.items():
        run = runs[name]
        path = m.eval_set.path if name == "eval" else m.distillation.train_set.path  # type: ignore[union-attr]
        recorded_sets.append(SetRecording(name=name, path=path, sha256=d.sha256, rows=len(d.ids),
                                          from_cache=run.from_cache, input_tokens=run.input_tokens,
                                          output_tokens=run.output_tokens))
        if run.input_tokens is not None:
            priced = True
            tokens_in += run.input_tokens
            tokens_out += run.output_tokens or 0
        for rid, text, pred in zip(d.ids, d.inputs, run.predictions):
            row: dict[str, Any] = {"id": rid, "set": name, "input_sha256": text_sha256(text), "output": pred.output}
            if pred.probs is not None:
                row["probs"] = pred.probs
            lines.append(row)
    pricing = getattr(teacher, "pricing", None)
    usd = None
    if priced and pricing is not None:
        usd = (tokens_in * pricing.usd_per_1k_input_tokens + tokens_out * pricing.usd_per_1k_output_tokens) / 1000
    finished = dt.datetime.now(dt.timezone.utc)
    source = (f"{model_pin(teacher)} recorded on {finished.date()} over "
              + ", ".join(f"the {s.name} set (sha256 {s.sha256[:12]}…, {s.rows} rows)" for s in recorded_sets))
    meta = {
        "version": RECORDING_VERSION,
        "teacher": {"kind": teacher.kind, "pin": model_pin(teacher),
                    "spec": teacher.model_dump(mode="json", exclude_none=True)},
        "settings": {"task": settings.task, "labels": settings.labels, "prompt_template": settings.prompt_template,
                     "max_new_tokens": settings.max_new_tokens},
        "sets": [s.__dict__ for s in recorded_sets],
        "tokens": {"input": tokens_in, "output": tokens_out} if priced else None,
        "usd": round(usd, 6) if usd is not None else None,
        "harness_version": __version__,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
    }
    body = json.dumps({HEADER_KEY: meta}, ensure_ascii=False) + "\n" + "".join(
        json.dumps(r, ensure_ascii=False) + "\n" for r in lines)
    # What is written must read back as a valid recording (the same checks distill and eval
    # apply) before it takes the target's place: a teacher's bad answers leave the old file.
    staged = target.with_name(f".{target.name}.new")
    atomic_write_text(staged, body)
    try:
        read_recording(staged, rel, labels=settings.labels, task=settings.task)
    except ManifestError as exc:
        staged.unlink(missing_ok=True)
        raise ManifestError([replace(p, file=p.file.replace(rel, f"the teacher's answers for {rel}", 1),
                                     hint=f"nothing was written; {rel} is as it was") for p in exc.problems]) from None
    os.replace(staged, target)
    sha = file_sha256(target)
    spec: dict[str, Any] = {"kind": "recorded"}
    if teacher.family:
        spec["family"] = teacher.family
    spec.update({"path": rel, "sha256": sha, "source": source})
    result = RecordResult(path=target, rel=rel, sha256=sha, sets=recorded_sets, usd=usd, source=source, spec=spec,
                          cluster=cluster.describe() if cluster is not None else None,
                          cluster_seconds=dict(cluster.seconds) if cluster is not None else None)
    if write_manifest:
        from ..project import replace_section

        replace_section(project.manifest_file, "teacher", spec)
        result.manifest_written = True
    return result


def _check_target(project: Project, target: Path, rel: str) -> None:
    """Refuse an --out that would replace something other than a recording: a folder, the
    manifest, a file the manifest names, or any existing file that is not a recording."""
    from ..project import manifest_paths

    if target.is_dir():
        raise ManifestError([Problem("--out", "", "a file path for the recording", f"{rel}, a folder")])
    named = {project.path(v) for _, v in manifest_paths(project.manifest)} | {project.manifest_file}
    if target in named:
        raise ManifestError([Problem("--out", "", "a new file or an earlier recording",
                                     f"{rel}, which the manifest pins as something else")])
    if target.is_file() and not is_recording(target):
        raise ManifestError([Problem("--out", "", "a new file or an earlier recording",
                                     f"{rel}, an existing file that is not a recording",
                                     hint="choose another path, or move the file first")])
