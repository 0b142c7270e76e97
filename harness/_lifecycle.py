"""Lifecycle changes that edit a manifest: `stillhouse retire`.

The edit replaces only the text of the `lifecycle` mapping (comments and the rest of the
file stay byte for byte), re-validates the whole new manifest, checks that nothing but
`lifecycle` changed, and writes it atomically: the file is the old one or the whole new
one, and never invalid.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

import standards

from ._errors import InputError, ManifestError, Problem
from ._manifest import Project, find_manifest, load_project

_ORDER = ("status", "created", "end_date", "replacement", "retired_on", "retirement_reason")


def _scalar(v: Any) -> str:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _render(lc: dict[str, Any], block_indent: int | None) -> str:
    keys = [k for k in _ORDER if k in lc] + [k for k in lc if k not in _ORDER]
    items = [(k, lc[k]) for k in keys if lc[k] is not None]
    if block_indent is None:
        return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in items) + "}"
    pad = " " * block_indent
    return ("\n" + pad).join(f"{k}: {_scalar(v)}" for k, v in items)


def _lifecycle_span(text: str) -> tuple[int, int, int | None]:
    """(start, end, block indent or None for flow style) of the `lifecycle` value's text."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        raise ValueError("not a mapping")
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode) and k.value == "lifecycle":
            if not isinstance(v, yaml.MappingNode) or not v.value:
                raise ValueError("lifecycle is not a mapping")
            if v.flow_style:
                return v.start_mark.index, v.end_mark.index, None
            last = v.value[-1][1]
            if not isinstance(last, yaml.ScalarNode):
                raise ValueError("lifecycle holds a nested value")
            return v.start_mark.index, last.end_mark.index, v.start_mark.column
    raise ValueError("no lifecycle")


def set_lifecycle(target: Path | str, changes: dict[str, Any]) -> Project:
    """Apply ``changes`` to the manifest's `lifecycle`, keeping the file valid; return the
    re-loaded project. Raises `ManifestError`/`InputError` (exit 2) and leaves the file as
    it was when the result would not be a valid manifest."""
    from ._io import atomic_write_text

    project = load_project(target)
    mfile = project.manifest_file
    text = mfile.read_text(encoding="utf-8")
    lc = dict(project.raw.get("lifecycle") or {})
    lc.update(changes)
    try:
        start, end, indent = _lifecycle_span(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ManifestError([Problem(str(mfile), "lifecycle", "a `lifecycle` mapping of plain values", str(exc))]) from None
    new_text = text[:start] + _render(lc, indent) + text[end:]
    new_data = yaml.safe_load(new_text)
    old_rest = {k: v for k, v in project.raw.items() if k != "lifecycle"}
    new_rest = {k: v for k, v in new_data.items() if k != "lifecycle"} if isinstance(new_data, dict) else None
    if new_rest != old_rest or new_data.get("lifecycle") != lc:  # pragma: no cover - guards the text surgery
        raise InputError(f"{mfile}: could not edit `lifecycle` without touching other fields; edit it by hand")
    try:
        standards.parse_manifest(new_data)
    except Exception as exc:  # noqa: BLE001 - reported with the field
        raise ManifestError([Problem(str(mfile), "lifecycle", "a valid lifecycle after the change",
                                     str(exc).splitlines()[-1])]) from None
    atomic_write_text(mfile, new_text)
    return load_project(mfile)


def retire_project(target: Path | str, reason: str, *, replacement: str | None = None,
                   on: dt.date | None = None) -> Project:
    """Retire a model: status `retired`, the day, the reason (LIFE-002) and, optionally,
    the model that replaces it. The manifest is edited in place, atomically."""
    if not reason or not reason.strip():
        raise ManifestError([Problem(str(target), "lifecycle.retirement_reason", "a reason (LIFE-002)", "nothing")])
    project = load_project(find_manifest(Path(target)))
    lc = project.manifest.lifecycle
    if lc.status.value == "retired":
        raise InputError(f"{project.manifest_file}: {project.manifest.name} was already retired on "
                         f"{lc.retired_on or '?'} ({lc.retirement_reason or 'no reason'})")
    if replacement is not None and replacement == project.manifest.name:
        raise ManifestError([Problem(str(project.manifest_file), "lifecycle.replacement",
                                     "another model's name", f"{replacement!r}, the model itself")])
    changes: dict[str, Any] = {"status": "retired", "retired_on": on or dt.date.today(),
                               "retirement_reason": reason.strip()}
    if replacement:
        changes["replacement"] = replacement
    new = set_lifecycle(project.manifest_file, changes)
    res = standards.CHECKS["LIFE-002"](new.check_context())
    if res.status == "fail":  # pragma: no cover - the change above always satisfies it
        raise InputError(f"{new.manifest_file}: {res.detail}")
    return new
