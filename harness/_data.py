"""Reading and verifying the frozen eval set (with the `datasets` library)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standards import artifact_sha256, file_sha256, is_placeholder, slice_masks

from ._errors import IntegrityError, ManifestError, Problem
from ._manifest import Project

#: Arrow copies of verified eval sets, one folder per content hash (beside the output cache).
EVAL_SET_CACHE = Path(".stillhouse") / "cache" / "eval-sets"

_READERS = {".jsonl": "json", ".ndjson": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


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
        raise IntegrityError(rel, field, pinned, actual, requirement)
    return actual


def read_table(path: Path, cache_dir: Path | None = None, *, use_cache: bool = True) -> list[dict[str, Any]]:
    """Every row of a JSONL, CSV or Parquet file, or a dataset saved with `save_to_disk`.

    With ``cache_dir`` (a folder named by the file's verified content hash) the rows are
    also kept there in Arrow form (`save_to_disk`), and a later read loads that instead
    of parsing the file again (2 ms instead of 27 ms for 10,000 JSONL rows, and the gap
    grows with the set). ``use_cache=False`` reads the file. A cache folder that is not
    byte for byte as written, or does not load, is ignored and rewritten."""
    offline_hub()
    import tempfile
    import warnings

    with warnings.catch_warnings():
        # datasets imports tqdm.auto, which warns in a Jupyter kernel without ipywidgets
        # (the docs' executed notebook showed it); progress bars are off anyway.
        warnings.filterwarnings("ignore", message="IProgress not found")
        import datasets

    datasets.disable_progress_bars()
    copy_intact = cache_dir is not None and _intact(cache_dir)
    if cache_dir is not None and copy_intact and use_cache:
        try:
            return datasets.load_from_disk(str(cache_dir), keep_in_memory=True).to_list()  # type: ignore[no-any-return,union-attr]
        except Exception:  # noqa: BLE001 - e.g. written by another datasets version: read the file, rewrite it
            shutil.rmtree(cache_dir, ignore_errors=True)
            copy_intact = False
    try:
        if path.is_dir():
            ds = datasets.load_from_disk(str(path), keep_in_memory=True)
            if isinstance(ds, datasets.DatasetDict):
                if len(ds) != 1:
                    raise ValueError(f"a saved dataset with one split, found {', '.join(ds)}")
                ds = next(iter(ds.values()))
        else:
            builder = _READERS.get(path.suffix.lower())
            if builder is None:
                raise ValueError(f"a .jsonl, .csv or .parquet file or a saved dataset folder, found {path.name}")
            # A private cache folder: reading the set never writes into ~/.cache.
            with tempfile.TemporaryDirectory(prefix="stillhouse-ds-") as tmp:
                ds = datasets.load_dataset(builder, data_files=str(path), split="train", cache_dir=tmp,
                                           keep_in_memory=True)
    except ValueError:
        raise
    except Exception as exc:  # datasets raises many types for a malformed file
        raise ValueError(f"a readable data file; datasets says: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if cache_dir is not None and not copy_intact:
        _keep(ds, cache_dir)
    return ds.to_list()  # type: ignore[no-any-return]


_CACHE_SEAL = ".sha256"  # hidden, so not part of the artifact hash it records


def _intact(cache_dir: Path) -> bool:
    """Is ``cache_dir`` a whole copy, byte for byte as it was written? (A sha256 over its
    files, recorded when it was written: ~1 ms for 10,000 rows.)"""
    try:
        return (cache_dir / _CACHE_SEAL).read_text().strip() == artifact_sha256(cache_dir)
    except OSError:
        return False


def _keep(ds: Any, cache_dir: Path) -> None:
    """Save ``ds`` as ``cache_dir``, whole or not at all: written beside it, sealed with
    its hash, then renamed. When two runs race, the first whole copy stays; both are equal."""
    tmp = cache_dir.with_name(f".{cache_dir.name}.{os.getpid()}.tmp")
    try:
        cache_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        ds.save_to_disk(str(tmp))
        (tmp / _CACHE_SEAL).write_text(artifact_sha256(tmp) + "\n")
        if _intact(cache_dir):  # another run installed it meanwhile: keep theirs (it may be read now)
            return
        shutil.rmtree(cache_dir, ignore_errors=True)
        os.rename(tmp, cache_dir)
    except Exception:  # noqa: BLE001 - read-only project, full disk, a lost race: the run goes on uncached
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_eval_set(project: Project, use_cache: bool = True) -> EvalData:
    """Verify the eval set's hash, read it (from its Arrow copy in the project's cache
    when there is one for this hash), check its columns and compute slice masks."""
    m = project.manifest
    es = m.eval_set
    mf = str(project.manifest_file)
    sha = verify_file(project, es.path, es.sha256, "eval_set.sha256", "EVAL-002")
    try:
        rows = read_table(project.path(es.path), project.dir / EVAL_SET_CACHE / f"eval-{sha[:40]}",
                          use_cache=use_cache)
    except ValueError as exc:
        raise ManifestError([Problem(es.path, "", "a readable eval set", str(exc))]) from None
    problems = []
    if isinstance(es.rows, int) and es.rows != len(rows):
        problems.append(Problem(mf, "eval_set.rows", f"the row count of {es.path}", f"{es.rows} (the file has {len(rows)})",
                                line=project.lines.get("eval_set.rows"), requirement="EVAL-003"))
    needed = {"eval_set.fields.id": es.fields.id, "eval_set.fields.input": es.fields.input}
    if es.fields.label:
        needed["eval_set.fields.label"] = es.fields.label
    for fpath, col in needed.items():
        missing = [i for i, r in enumerate(rows) if r.get(col) is None]
        if missing:
            problems.append(Problem(mf, fpath, f"a column {col!r} in every row of {es.path}",
                                    f"missing in {len(missing)} row(s), first at row {missing[0] + 1}",
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
    masks = slice_masks(m.slices, rows, es.fields.input)
    return EvalData(ids=ids, inputs=[str(r[es.fields.input]) for r in rows], references=refs, rows=rows,
                    masks=masks, sha256=sha)
