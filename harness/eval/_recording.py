"""Recorded teachers: the file `stillhouse record` writes and the `recorded` kind reads.

One JSONL file, pinned by its sha256 in the manifest. An optional first line describes the
recording (what answered, over which sets, what it cost), so the description is pinned
with the answers; then one answer per line::

    {"stillhouse_recording": {"version": 1, "teacher": {...}, "sets": [...], "tokens": {...}, ...}}
    {"id": "ex-0001", "set": "eval", "input_sha256": "…", "output": "billing", "probs": [0.91, 0.06, 0.03]}

`set` (`eval` or `distillation`) keeps two sets' ids apart; `input_sha256` is the sha256 of
the input text the answer was given for, checked against the set the answer is used with,
so answers recorded for another version of a set are refused rather than believed. Both are
optional, so a hand-made `{id, output, probs}` file still works.

Every row is checked: unique ids per set, an output among the manifest's labels
(classification), probabilities that are finite, non-negative, one per label, and sum to 1
(within `adapters._base.PROB_TOLERANCE`; they are never silently renormalised). Light: no torch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import ManifestError, Problem
from .adapters import Prediction
from .adapters._base import probs_problem

RECORDING_VERSION = 1
HEADER_KEY = "stillhouse_recording"
SETS = ("eval", "distillation")
#: The largest recorded file read: answers for a few million rows.
MAX_FILE_BYTES = 2 << 30
MAX_LINE_BYTES = 1 << 20


def is_recording(path: Path) -> bool:
    """Whether the file at ``path`` starts as a recording does (its header line), read cheaply."""
    with path.open("rb") as fh:
        return fh.read(len(HEADER_KEY) + 2) == f'{{"{HEADER_KEY}'.encode()


def text_sha256(text: str) -> str:
    """The sha256 of an input text, as a recording keeps it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Recording:
    """A recorded teacher's answers, per set (`""` for rows that name no set)."""

    meta: dict[str, Any] | None
    answers: dict[str, dict[str, Prediction]] = field(default_factory=dict)
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def rows(self) -> int:
        return sum(len(a) for a in self.answers.values())

    def lookup(self, set_name: str, ids: list[str], texts: list[str] | None, display: str) -> list[Prediction]:
        """The answers for ``ids`` of ``set_name``; refuses a missing answer, and one whose
        recorded input hash is not the hash of the text it would now be used for."""
        here, anywhere = self.answers.get(set_name, {}), self.answers.get("", {})
        here_in, anywhere_in = self.inputs.get(set_name, {}), self.inputs.get("", {})
        out, missing = [], []
        for k, rid in enumerate(ids):
            pred = here.get(rid) or anywhere.get(rid)
            if pred is None:
                missing.append(rid)
                continue
            recorded = here_in.get(rid) if rid in here else anywhere_in.get(rid)
            if texts is not None and recorded is not None and recorded != text_sha256(texts[k]):
                raise ManifestError([Problem(display, f"{rid}.input_sha256",
                                             f"the hash of the {set_name} set's input for id {rid!r}",
                                             "another text's hash: the answer was recorded for a different "
                                             "version of the set (run `stillhouse record` again)")])
            out.append(pred)
        if missing:
            raise ManifestError([Problem(display, "", f"an answer for every id of the {set_name} set",
                                         f"no answer for {len(missing)} id(s), first {missing[0]!r}",
                                         hint="`stillhouse record` writes them")])
        return out


def read_recording(path: Path, display: str, *, labels: list[str] | None, task: str) -> Recording:
    """Read and check a recorded-answers file; every problem raises `ManifestError` with the line."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ManifestError([Problem(display, "", "a recorded-answers file", exc.strerror or str(exc))]) from None
    if size > MAX_FILE_BYTES:
        raise ManifestError([Problem(display, "", f"a file of at most {MAX_FILE_BYTES:,} bytes", f"{size:,} bytes")])
    rec = Recording(meta=None)
    known = set(labels) if labels and task == "classification" else None
    with open(path, "rb") as f:
        for i, raw in enumerate(f, 1):
            where = f"{display}:{i}"
            if len(raw) > MAX_LINE_BYTES:
                raise ManifestError([Problem(where, "", f"a line of at most {MAX_LINE_BYTES:,} bytes",
                                             f"{len(raw):,} bytes or more")])
            try:
                line = raw.decode("utf-8-sig" if i == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise ManifestError([Problem(where, "", "UTF-8 text", f"an invalid byte at offset {exc.start}")]) from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nesting too deep"
                raise ManifestError([Problem(where, "", "a JSON object per line", f"invalid JSON ({msg})")]) from None
            if i == 1 and isinstance(obj, dict) and set(obj) == {HEADER_KEY}:
                meta = obj[HEADER_KEY]
                if not isinstance(meta, dict):
                    raise ManifestError([Problem(where, HEADER_KEY, "an object describing the recording",
                                                 repr(meta)[:80])])
                rec.meta = meta
                continue
            if not isinstance(obj, dict) or "id" not in obj or "output" not in obj:
                raise ManifestError([Problem(where, "", "an object with `id` and `output`", repr(obj)[:80])])
            rid, output = obj["id"], obj["output"]
            if not isinstance(rid, (str, int)) or isinstance(rid, bool):
                raise ManifestError([Problem(where, "id", "a string or integer id", repr(rid)[:80])])
            if not isinstance(output, str):
                raise ManifestError([Problem(where, "output", "the answer as text", repr(output)[:80])])
            set_name = obj.get("set", "")
            if set_name not in ("", *SETS):
                raise ManifestError([Problem(where, "set", f"one of {', '.join(SETS)}", repr(set_name)[:80])])
            if known is not None and output not in known:
                raise ManifestError([Problem(where, "output", f"one of the manifest's labels ({', '.join(labels or [])})",
                                             repr(output)[:80])])
            probs = obj.get("probs")
            if probs is not None:
                problem = probs_problem(probs, labels if task == "classification" else None)
                if problem:
                    raise ManifestError([Problem(where, "probs", problem, repr(probs)[:80])])
            digest = obj.get("input_sha256")
            if digest is not None and not (isinstance(digest, str) and len(digest) == 64):
                raise ManifestError([Problem(where, "input_sha256", "64 hex digits", repr(digest)[:80])])
            key = str(rid)
            answers = rec.answers.setdefault(set_name, {})
            if key in answers:
                raise ManifestError([Problem(where, "id", "ids unique within a set",
                                             f"{key!r} appears more than once" + (f" in set {set_name!r}" if set_name else ""))])
            tin, tout = obj.get("input_tokens"), obj.get("output_tokens")
            answers[key] = Prediction(output, tuple(float(x) for x in probs) if probs is not None else None,
                                      tin if isinstance(tin, int) else None, tout if isinstance(tout, int) else None)
            if digest is not None:
                rec.inputs.setdefault(set_name, {})[key] = digest
    return rec
