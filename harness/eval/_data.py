"""Reading and verifying the frozen eval set, with the same reader `validate` uses."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from typing import Any

from standards import artifact_sha256, file_sha256, is_placeholder, slice_masks
from standards.slices import column_paths
from standards.tabular import TableError, missing_value, read_rows

from .._errors import IntegrityError, ManifestError, Problem
from ..project import Project


@dataclass
class EvalData:
    """The eval set as the run uses it: ids, inputs, optional references, every row, slices."""

    ids: list[str]
    inputs: list[str]
    references: list[str] | None
    rows: list[dict[str, Any]]
    masks: dict[str, list[bool]]
    sha256: str


def offline_hub() -> None:
    """Nothing is fetched from a hub at run time: set the offline switches before the
    libraries that read them are imported."""
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def verify_file(project: Project, rel: str, pinned: str, field: str, requirement: str) -> str:
    """Hash ``rel`` (a file, or a folder as an artifact) and compare with its pin."""
    p = project.path(rel)
    if is_placeholder(pinned):
        raise ManifestError([Problem(str(project.manifest_file), field, "a sha256 pin", pinned,
                                     line=project.lines.get(field), hint="`stillhouse hash " + rel + "` prints it",
                                     requirement=requirement)])
    if not p.exists():
        raise ManifestError([Problem(str(project.manifest_file), field.rsplit(".", 1)[0] + ".path",
                                     "an existing file or folder", f"nothing at {rel}",
                                     line=project.lines.get(field.rsplit(".", 1)[0] + ".path"))])
    actual = artifact_sha256(p) if p.is_dir() else file_sha256(p)
    if actual != pinned.strip().lower():
        raise IntegrityError(str(p), field, pinned, actual, requirement)  # findable from any folder
    return actual


def load_eval_set(project: Project, use_cache: bool = True) -> EvalData:
    """Verify the eval set's hash, read it, check its columns and compute slice masks.

    The file is read after its hash is checked, every time: no copy of it is believed
    over the pinned bytes (``use_cache`` is accepted for callers and has no effect)."""
    m = project.manifest
    es = m.eval_set
    mf = str(project.manifest_file)
    sha = verify_file(project, es.path, es.sha256, "eval_set.sha256", "EVAL-002")
    try:
        rows = read_rows(project.path(es.path))
    except TableError as exc:
        raise ManifestError([Problem(str(project.path(es.path)), "", "a readable eval set", str(exc))]) from None
    if not rows:
        raise ManifestError([Problem(str(project.path(es.path)), "", "an eval set with at least one row",
                                     "no rows", requirement="EVAL-003")])
    problems = []
    if isinstance(es.rows, int) and es.rows != len(rows):
        problems.append(Problem(mf, "eval_set.rows", f"the row count of {es.path}", f"{es.rows} (the file has {len(rows)})",
                                line=project.lines.get("eval_set.rows"), requirement="EVAL-003"))
    needed = {"eval_set.fields.id": es.fields.id, "eval_set.fields.input": es.fields.input}
    if es.fields.label:
        needed["eval_set.fields.label"] = es.fields.label
    for fpath, col in needed.items():
        missing = [i for i, r in enumerate(rows) if missing_value(r.get(col))]
        if missing:
            problems.append(Problem(mf, fpath, f"a non-empty {col!r} in every row of {es.path}",
                                    f"missing or empty in {len(missing)} row(s), first at row {missing[0] + 1}",
                                    line=project.lines.get(fpath), requirement="EVAL-003"))
    if problems:
        raise ManifestError(problems)
    ids = [str(r[es.fields.id]) for r in rows]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise ManifestError([Problem(mf, "eval_set.fields.id", f"unique ids in column {es.fields.id!r}",
                                     f"{dup!r} appears more than once", requirement="EVAL-003")])
    refs = [str(r[es.fields.label]) for r in rows] if es.fields.label else None
    if refs is not None and m.task.value == "classification" and m.labels:
        known = set(m.labels)
        outside = [i for i, r in enumerate(refs) if r not in known]
        if outside:
            raise ManifestError([Problem(str(project.path(es.path)), f"row {outside[0] + 1}.{es.fields.label}",
                                         f"one of the manifest's labels ({', '.join(m.labels)})",
                                         f"{refs[outside[0]]!r} ({len(outside)} row(s) outside the label set)",
                                         requirement="EVAL-003")])
    _check_slice_columns(project, rows)
    masks = slice_masks(m.slices, rows, es.fields.input)
    return EvalData(ids=ids, inputs=[str(r[es.fields.input]) for r in rows], references=refs, rows=rows,
                    masks=masks, sha256=sha)


def _check_slice_columns(project: Project, rows: list[dict[str, Any]]) -> None:
    """A slice that reads a column no row has is a typo, not an empty slice (EVAL-004)."""
    m = project.manifest
    columns = set().union(*(r.keys() for r in rows)) if rows else set()
    shown = ", ".join(sorted(columns)[:12]) + (", …" if len(columns) > 12 else "")
    problems = []
    for i, s in enumerate(m.slices):
        for fpath, col in column_paths(s.rule, f"slices[{i}].rule"):
            if col not in columns:
                close = difflib.get_close_matches(col, sorted(columns), n=1)
                problems.append(Problem(str(project.manifest_file), fpath,
                                        f"a column of {m.eval_set.path} ({shown})", repr(col),
                                        line=project.lines.get(fpath),
                                        hint=f"did you mean {close[0]!r}?" if close else None,
                                        requirement="EVAL-004"))
    if problems:
        raise ManifestError(problems)
