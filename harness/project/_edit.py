"""Edits of a team's manifest that keep everything else as they wrote it: `stillhouse retire`,
`distill --write-pin`, `record --write-manifest`.

Every edit goes through ruamel.yaml's round-trip loader (comments, key order, quoting and
flow style are kept), touches only the fields it names, is re-read with the safe loader and
re-validated as a whole manifest, and is written atomically: the file is the old one or the
whole new one, never invalid.

ruamel re-emits the whole document, which re-indents block sequences and joins a flow list
the owner wrapped over several lines. So a change of values in one mapping (a pin, a
lifecycle) is written as a splice instead: each old value's exact characters are replaced,
or a new key's line added, and everything else stays byte for byte; a replaced section
(`record --write-manifest`'s teacher) takes the old section's lines only. The splice is used only
when it reads back as exactly the data of ruamel's edit; otherwise ruamel's text is written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import standards
from standards._base import SLUG_PATTERN

from .._errors import InputError, ManifestError, Problem, first_line
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


def _scalar_text(value: Any, style: str | None) -> str | None:
    """``value`` as one line of YAML in ``style`` (`"`, `'` or plain when None), or None when it
    does not fit on one line."""
    import yaml

    out = yaml.safe_dump(value, default_style=style, allow_unicode=True, width=1 << 16)
    first = out.split("\n", 1)[0]
    return first if out in (first + "\n", first + "\n...\n") else None


def _top_level(text: str, section: str) -> tuple[Any, Any] | None:
    """The key and value nodes of the top-level ``section`` of ``text``, or None."""
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)  # pure-Python marks index characters
    if not isinstance(root, yaml.MappingNode):
        return None
    return next(((k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == section), None)


def _one_line_scalar(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.start_mark.line == node.end_mark.line


def _line_end(text: str, index: int) -> int:
    """Where the line holding ``index`` ends (its newline, or the end of the text)."""
    eol = text.find("\n", index)
    return len(text) if eol < 0 else eol


def _splice(text: str, section: str, changes: Mapping[str, Any]) -> str | None:
    """``text`` with ``changes`` made inside the block mapping ``section`` by replacing each old
    scalar's characters (keeping its quoting) and appending new keys after the mapping's last
    line; None when the section is not laid out for that (flow style, nested values)."""
    import yaml

    found = _top_level(text, section)
    node = found[1] if found is not None else None
    if not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
        return None
    present = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    edits: list[tuple[int, int, str]] = []
    added: list[str] = []
    indent = " " * node.value[0][0].start_mark.column
    for key, value in changes.items():
        old = present.get(key)
        if value is None:
            if old is not None:
                return None  # a removal takes the key's whole line: left to ruamel
            continue
        if old is None:
            rendered = _scalar_text(value, None)
            if rendered is None or not isinstance(key, str) or _scalar_text(key, None) != key:
                return None
            added.append(f"{indent}{key}: {rendered}")
            continue
        if not _one_line_scalar(old):
            return None
        rendered = _scalar_text(value, old.style if old.style in ('"', "'") else None)
        if rendered is None:
            return None
        edits.append((old.start_mark.index, old.end_mark.index, rendered))
    if added:
        last = node.value[-1][1]
        if not _one_line_scalar(last):
            return None
        eol = _line_end(text, last.end_mark.index)
        edits.append((eol, eol, "".join("\n" + line for line in added)))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def edit_manifest(target: Path | str, edit: Callable[[Any], None], *, field: str,
                  splice: Callable[[str], str | None] | None = None) -> Project:
    """Apply ``edit`` to the round-trip document of the manifest and write it back.

    ``splice``, when given, makes the same change on the text itself (`_splice`); its result
    is written when it reads back as the same data as ``edit``'s. ``field`` names what the
    edit changes, for errors. Raises `ManifestError` (exit 2) and leaves the file untouched
    when the result would not be a valid manifest."""
    project = load_project(target)
    mfile = project.manifest_file
    yaml = _round_trip()
    text = mfile.read_text(encoding="utf-8")
    try:
        doc = yaml.load(text)
    except Exception as exc:  # noqa: BLE001 - ruamel raises many types; the safe loader read it fine
        raise ManifestError([Problem(str(mfile), field, "YAML that can be edited in place",
                                     first_line(exc))]) from None
    edit(doc)
    out = io.StringIO()
    yaml.dump(doc, out)
    new_text = out.getvalue()
    data, _ = parse_yaml(new_text.encode("utf-8"), str(mfile))
    spliced = _try(splice, text) if splice is not None else None
    if spliced is not None and _try(lambda t: parse_yaml(t.encode("utf-8"), str(mfile))[0], spliced) == data:
        new_text = spliced
    try:
        standards.parse_manifest(data)
    except Exception as exc:  # noqa: BLE001 - reported with the field
        raise ManifestError([Problem(str(mfile), field, f"a valid `{field}` after the change",
                                     str(exc).splitlines()[-1])]) from None
    atomic_write_text(mfile, new_text)
    return load_project(mfile)


def _try(fn: Callable[[str], Any], text: str) -> Any:
    """``fn(text)``, or None when it raises: a splice that cannot be made or read back falls
    back to ruamel's text."""
    try:
        return fn(text)
    except Exception:  # noqa: BLE001 - any failure means "no splice"
        return None


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

    return edit_manifest(target, edit, field=section, splice=lambda text: _splice(text, section, changes))


def replace_section(target: Path | str, section: str, value: Mapping[str, Any]) -> Project:
    """Replace the top-level mapping ``section`` (e.g. `teacher`) with ``value``, written in the
    block style of the rest of the file, keeping every other line as it was."""
    from ruamel.yaml.comments import CommentedMap

    def edit(doc: Any) -> None:
        new = CommentedMap()
        for k, v in value.items():
            new[k] = v
        doc[section] = new

    return edit_manifest(target, edit, field=section, splice=lambda text: _splice_section(text, section, value))


def _splice_section(text: str, section: str, value: Mapping[str, Any]) -> str | None:
    """``text`` with the top-level ``section`` (from its key to the end of its last value's
    line) replaced by ``value`` as ruamel writes it; None when the section is absent or ends
    in a block scalar (whose end is not on its last line)."""
    import yaml
    from ruamel.yaml.comments import CommentedMap

    found = _top_level(text, section)
    if found is None or found[0].start_mark.column != 0:
        return None
    last: Any = found[1]
    while isinstance(last, (yaml.MappingNode, yaml.SequenceNode)) and not last.flow_style and last.value:
        last = last.value[-1][1] if isinstance(last, yaml.MappingNode) else last.value[-1]
    if isinstance(last, yaml.ScalarNode) and last.style in ("|", ">"):
        return None
    eol = _line_end(text, last.end_mark.index)
    new = CommentedMap()
    new[section] = CommentedMap(value.items())
    out = io.StringIO()
    _round_trip().dump(new, out)
    return text[:found[0].start_mark.index] + out.getvalue().rstrip("\n") + text[eol:]


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
    manifest_file = find_manifest(Path(target))
    if not reason or not reason.strip():
        raise ManifestError([Problem(str(manifest_file), "lifecycle.retirement_reason", "a reason (LIFE-002)",
                                     "nothing")])
    bad = [c for c in reason if (ord(c) < 32 and c not in "\t") or ord(c) == 127 or 0xFFFE <= ord(c) <= 0xFFFF
           or 0xD800 <= ord(c) <= 0xDFFF]
    if bad:
        raise ManifestError([Problem(str(manifest_file), "lifecycle.retirement_reason", "printable text",
                                     f"the control character U+{ord(bad[0]):04X}")])
    project = load_project(manifest_file)
    lc = project.manifest.lifecycle
    if lc.status.value == "retired":
        raise InputError(f"{project.manifest_file}: {project.manifest.name} was already retired on "
                         f"{lc.retired_on or '?'} ({lc.retirement_reason or 'no reason'})")
    mf = str(project.manifest_file)
    if replacement is not None and replacement == project.manifest.name:
        raise ManifestError([Problem(mf, "lifecycle.replacement", "another model's name",
                                     f"{replacement!r}, the model itself")])
    if replacement is not None and not re.fullmatch(SLUG_PATTERN, replacement):
        raise ManifestError([Problem(mf, "lifecycle.replacement", "a model name (lower-case letters, digits, "
                                     "'.', '_', '-')", repr(replacement)[:80])])
    day = on or dt.date.today()
    if day < lc.created or day > dt.date.today():
        raise ManifestError([Problem(mf, "lifecycle.retired_on",
                                     f"a day from the model's creation ({lc.created}) to today ({dt.date.today()})",
                                     str(day))])
    changes: dict[str, Any] = {"status": "retired", "retired_on": day,
                               "retirement_reason": reason.strip()}
    if replacement:
        changes["replacement"] = replacement
    return set_lifecycle(project.manifest_file, changes)
