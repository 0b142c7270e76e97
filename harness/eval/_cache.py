"""The output cache and run checkpoints, under `<project>/.stillhouse/cache/`.

One folder per (role, key). The key hashes everything that changes a model's outputs:
the model's pin, the eval set's hash, the adapter kind, the task, the labels, the prompt
template, the generation settings and the token limit (`output_key`). A new teacher
version, a new eval set or a new template is a new key, never a stale hit.

    .stillhouse/cache/teacher-<key>/outputs.json         complete outputs + timings (a hit)
    .stillhouse/cache/teacher-<key>/part-<start>-<end>.json   checkpoints of a run in progress
    .stillhouse/cache/student-<key>/part-...              (students are checkpointed, not kept)

Every file is sealed: its first line is the sha256 of the rest, checked on every read, so
an entry edited by hand or torn by a crash is discarded (and the run says so), never
believed. A seal is a checksum, not a signature: whoever can write the cache can reseal
it, which is why a signed report is always made without caches (`stillhouse eval` ignores
them when a signing key is set) and why a cache never decides anything a pin decides.

Every file is written to a temporary name and renamed, so a reader sees a whole file or
none. Two runs sharing the cache may both compute a part or the outputs; each rename
installs a complete, equivalent file, so nothing is corrupted. A part that fails to parse
or belongs to another key is ignored and recomputed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._io import CACHE_DIR, atomic_write_bytes
from .adapters import Prediction, Settings

CACHE_FORMAT = 3  # 3: outputs stored as columns (`_columns`)


def output_key(role: str, pin: str, kind: str, eval_sha256: str, settings: Settings,
               fields: Mapping[str, str | None], extra: dict[str, Any] | None = None) -> str:
    """The cache key of one model's outputs on one eval set, as 64 hex digits."""
    parts = {
        "format": CACHE_FORMAT,
        "role": role,
        "pin": pin,
        "kind": kind,
        "eval_set_sha256": eval_sha256.lower(),
        "fields": fields,
        "task": settings.task,
        "labels": settings.labels,
        "prompt_template": settings.prompt_template,
        "max_new_tokens": settings.max_new_tokens,
        "max_length": settings.max_length,
        **settings.decoding(),
        **(extra or {}),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class OutputStore:
    """Complete outputs and checkpoint parts of one model under one key."""

    def __init__(self, project_dir: Path, role: str, key: str):
        self.key = key
        self.dir = project_dir / CACHE_DIR / f"{role}-{key[:40]}"
        #: What was thrown away because its seal did not match, one line each (for the run to say).
        self.discarded: list[str] = []

    # complete outputs -----------------------------------------------------------------

    @property
    def outputs_file(self) -> Path:
        return self.dir / "outputs.json"

    def load_complete(self, n_rows: int) -> dict[str, Any] | None:
        """The stored run, if there is a whole one for this key and this many rows."""
        data = self._read(self.outputs_file)
        if data is None:
            return None
        if not isinstance(data, dict) or data.get("key") != self.key:
            return None
        try:
            data["predictions"] = _rows(data.pop("outputs"), n_rows)
        except (KeyError, TypeError, ValueError):
            return None
        return data

    def save_complete(self, predictions: list[Prediction], info: dict[str, Any]) -> None:
        payload = {"key": self.key, **info, "outputs": _columns(predictions)}
        _write(self.outputs_file, payload)

    # checkpoints ----------------------------------------------------------------------

    def _part(self, start: int, end: int) -> Path:
        return self.dir / f"part-{start:09d}-{end:09d}.json"

    def load_parts(self, n_rows: int) -> list[tuple[int, int, list[Prediction]]]:
        """Every readable checkpoint part of this key: (start, end, outputs), any ranges."""
        parts = []
        for path in sorted(self.dir.glob("part-*.json")):
            data = self._read(path)
            if data is None:
                continue
            try:
                start, end = int(data["start"]), int(data["end"])
                if data.get("key") != self.key or not 0 <= start < end <= n_rows:
                    continue
                parts.append((start, end, _rows(data["outputs"], end - start)))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
        return parts

    def save_part(self, start: int, end: int, predictions: list[Prediction]) -> None:
        payload = {"key": self.key, "start": start, "end": end, "outputs": _columns(predictions)}
        _write(self._part(start, end), payload)

    def _read(self, path: Path) -> Any:
        """The JSON body of a sealed file, or None (missing, unreadable, or its seal broken)."""
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        seal, _, body = raw.partition(b"\n")
        if hashlib.sha256(body).hexdigest().encode() != seal:
            self.discarded.append(f"{path.name}: its content does not match its seal (edited or torn); "
                                  "discarded and recomputed")
            return None
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None

    def clear_parts(self) -> None:
        for p in self.dir.glob("part-*.json"):
            try:
                p.unlink()
            except FileNotFoundError:  # another run cleared it first
                pass


def _columns(predictions: list[Prediction]) -> dict[str, Any]:
    """Outputs as a few long lists rather than a dict and a list per row: a reader holds a
    whole file's rows at once, and per-row containers are what the garbage collector walks."""
    widths: list[int] = []  # each row's number of probabilities, -1 for none
    probs: list[float] = []
    for p in predictions:
        widths.append(-1 if p.probs is None else len(p.probs))
        probs.extend(p.probs or ())
    cols: dict[str, Any] = {"output": [p.output for p in predictions], "probs_width": widths, "probs": probs}
    for name in ("input_tokens", "output_tokens"):
        values = [getattr(p, name) for p in predictions]
        if any(v is not None for v in values):
            cols[name] = values
    return cols


def _rows(cols: Any, n: int) -> list[Prediction]:
    """The ``n`` predictions `_columns` stored; ValueError (or KeyError, TypeError) when
    ``cols`` is not that."""
    outputs, widths, probs = cols["output"], cols["probs_width"], cols["probs"]
    tokens = [cols.get(name) or [None] * n for name in ("input_tokens", "output_tokens")]
    if not all(isinstance(c, list) and len(c) == n for c in (outputs, widths, *tokens)) or not isinstance(probs, list):
        raise ValueError(f"not {n} rows of outputs")
    if sum(w for w in widths if w > 0) != len(probs):
        raise ValueError("the probabilities do not add up to the rows' widths")
    out, at = [], 0
    for output, width, tokens_in, tokens_out in zip(outputs, widths, *tokens):
        if not isinstance(output, str):
            raise TypeError("an output is not a string")
        row = None if width < 0 else tuple(probs[at:at + width])
        at += max(width, 0)
        out.append(Prediction(output, row, tokens_in, tokens_out))
    return out


def _write(path: Path, payload: dict[str, Any]) -> None:
    """Sealed and atomic, without fsync: a cache file lost in a crash is recomputed, and the
    rename means a reader never sees half of one. pydantic's encoder: many rows, one call."""
    from pydantic_core import to_json

    body = to_json(payload)
    atomic_write_bytes(path, hashlib.sha256(body).hexdigest().encode() + b"\n" + body, durable=False)
