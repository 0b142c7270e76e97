"""The teacher-versioning policy (TEACH-001) and the canonical pin string of a model."""

from __future__ import annotations

import re
from typing import Any

from ._base import is_placeholder
from .hashing import is_sha256

FLOATING = {"latest", "main", "master", "head", "dev", "develop", "stable", "current", "default", "trunk", "nightly"}
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_DATED = re.compile(r"(?<!\d)(20\d\d)-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)")


def pin_problem(spec: Any) -> str | None:
    """Why ``spec`` (a teacher or student spec) is not pinned immutably, or None if it is."""
    kind = spec.kind
    if kind in ("local", "recorded"):
        value = spec.sha256
        if is_placeholder(value):
            return f"sha256 is a placeholder: {value}"
        if not is_sha256(value):
            return f"sha256 must be 64 hex digits, found {value!r}"
        return None
    if kind == "hub":
        rev = spec.revision
        if is_placeholder(rev):
            return f"revision is a placeholder: {rev}"
        if rev.strip().lower() in FLOATING:
            return f"revision {rev!r} is a moving branch; pin the full 40-hex commit"
        if not _COMMIT.match(rev):
            return f"revision must be a full 40-hex commit, found {rev!r}"
        return None
    if kind == "endpoint":
        model = spec.model
        if is_placeholder(model):
            return f"model is a placeholder: {model}"
        low = model.strip().lower()
        if low in FLOATING or any(low.endswith(sep + f) for f in FLOATING for sep in "-:@/"):
            return f"model {model!r} floats; name a dated model version (e.g. gpt-4o-2024-08-06)"
        if not _DATED.search(model):
            return f"model {model!r} has no date; name a dated model version (e.g. gpt-4o-2024-08-06)"
        return None
    if kind == "callable":
        v = spec.version
        if is_placeholder(v):
            return f"version is a placeholder: {v}"
        if v.strip().lower() in FLOATING:
            return f"version {v!r} floats; name a release or commit"
        return None
    return f"unknown model kind {kind!r}"  # pragma: no cover


def model_pin(spec: Any) -> str:
    """The canonical pin string recorded in reports and compared by the fleet."""
    kind = spec.kind
    if kind in ("local", "recorded"):
        return f"sha256:{spec.sha256.lower()}"
    if kind == "hub":
        return f"{spec.repo}@{spec.revision}"
    if kind == "endpoint":
        return f"endpoint:{spec.model}"
    return f"{spec.target}@{spec.version}"
