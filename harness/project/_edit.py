"""Edits of a team's manifest that keep everything else as they wrote it: `stillhouse retire`,
`distill --write-pin`, `record --write-manifest`.

Every edit goes through ruamel.yaml's round-trip loader (comments, key order, quoting and
flow style are kept), touches only the fields it names, is re-read with the safe loader and
re-validated as a whole manifest, and is written atomically: the file is the old one or the
whole new one, never invalid.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import standards

from .._errors import InputError, ManifestError, Problem
from .._io import atomic_write_text
from .._yaml import parse_yaml
from ._manifest import Project, find_manifest, load_project


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-fold a long line the owner wrote on one
    return yaml


def _styled(old: Any, new: Any) -> Any:
    """``new`` in the quoting style of the value it replaces (a quoted pin stays quoted)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if isinstance(new, str):
        if isinstance(old, DoubleQuotedScalarString):
            return DoubleQuotedScalarString(new)
        if isinstance(old, SingleQuotedScalarString):
            return SingleQuotedScalarString(new)
    return new


def edit_manifest(target: Path | str, edit: Callable[[Any], None], *, field: str) -> Project:
    """Apply ``edit`` to the round-trip document of the manifest and write it back.

    ``field`` names what the edit changes, for errors. Raises `ManifestError` (exit 2) and
    leaves the file untouched when the result would not be a valid manifest."""
    project = load_project(target)
    mfile = project.manifest_file
    yaml = _round_trip()
    text = mfile.read_text(encoding="utf-8")
    try:
        doc = yaml.load(text)
    except Exception as exc:  # noqa: BLE001 - ruamel raises many types; the safe loader read it fine
        raise ManifestError([Problem(str(mfile), field, "YAML that can be edited in place",
                                     str(exc).splitlines()[0])]) from None
    edit(doc)
    out = io.StringIO()
    yaml.dump(doc, out)
    new_text = out.getvalue()
    data, _ = parse_yaml(new_text.encode("utf-8"), str(mfile))
    try:
        standards.parse_manifest(data)
    except Exception as exc:  # noqa: BLE001 - reported with the field
        raise ManifestError([Problem(str(mfile), field, f"a valid `{field}` after the change",
                                     str(exc).splitlines()[-1])]) from None
    atomic_write_text(mfile, new_text)
    return load_project(mfile)


def set_values(target: Path | str, section: str, changes: Mapping[str, Any]) -> Project:
    """Set ``changes`` inside the mapping ``section`` of the manifest (dates as YAML dates;
    `None` removes a key), keeping the rest of the file as written."""

    def edit(doc: Any) -> None:
        block = doc.get(section)
        if not isinstance(block, MutableMapping):
            raise ManifestError([Problem(str(target), section, f"a `{section}` mapping", "none")])
        for key, value in changes.items():
            if value is None:
                block.pop(key, None)
            else:
                block[key] = _styled(block.get(key), value)

    return edit_manifest(target, edit, field=section)


def replace_section(target: Path | str, section: str, value: Mapping[str, Any]) -> Project:
    """Replace the top-level mapping ``section`` (e.g. `teacher`) with ``value``, written in the
    block style of the rest of the file, keeping every other line as it was."""
    from ruamel.yaml.comments import CommentedMap

    def edit(doc: Any) -> None:
        new = CommentedMap()
        for k, v in value.items():
            new[k] = v
        doc[section] = new

    return edit_manifest(target, edit, field=section)


def set_lifecycle(target: Path | str, changes: dict[str, Any]) -> Project:
    """Apply ``changes`` to the manifest's `lifecycle`, keeping the file valid; return the
    re-loaded project."""
    return set_values(target, "lifecycle", changes)


def write_student_pin(project: Project, new_sha: str) -> bool:
    """Write ``new_sha`` into the manifest's `student.sha256`; False when the student has no
    `sha256` to replace (a kind not pinned by a hash)."""
    student = project.raw.get("student")
    if not isinstance(student, dict) or "sha256" not in student:
        return False
    set_values(project.manifest_file, "student", {"sha256": new_sha})
    return True


def retire_project(target: Path | str, reason: str, *, replacement: str | None = None,
                   on: dt.date | None = None) -> Project:
    """Retire a model: status `retired`, the day, the reason (LIFE-002) and, optionally,
    the model that replaces it. The manifest is edited in place, atomically."""
    if not reason or not reason.strip():
        raise ManifestError([Problem(str(target), "lifecycle.retirement_reason", "a reason (LIFE-002)", "nothing")])
    bad = [c for c in reason if (ord(c) < 32 and c not in "\t") or ord(c) == 127 or 0xFFFE <= ord(c) <= 0xFFFF
           or 0xD800 <= ord(c) <= 0xDFFF]
    if bad:
        raise ManifestError([Problem(str(target), "lifecycle.retirement_reason", "printable text",
                                     f"the control character U+{ord(bad[0]):04X}")])
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
    return set_lifecycle(project.manifest_file, changes)
