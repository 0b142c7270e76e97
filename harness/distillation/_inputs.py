"""What both recipes check before any model loads: the student and teacher kinds distill can
train from, and a data file the manifest names, read only when it matches its pin."""

from __future__ import annotations

from typing import Any

from standards.v1_0 import LocalModel, RecordedModel

from .._errors import InputError, IntegrityError
from ..project import Project


def trainable_pair(project: Project) -> tuple[LocalModel, LocalModel | RecordedModel]:
    """The manifest's student (a folder distill writes) and teacher (one it runs or reads)."""
    m, name = project.manifest, project.manifest_file.name
    student, teacher = m.student, m.teacher
    if not isinstance(student, LocalModel):
        raise InputError(f"{name}: student.kind: expected `local` (a folder distill writes); found {student.kind!r}")
    if not isinstance(teacher, (LocalModel, RecordedModel)):
        raise InputError(f"{name}: teacher.kind: distill runs `local` teachers or reads `recorded` ones; found "
                         f"{teacher.kind!r}: record its answers first (`stillhouse record {project.dir.name}`)")
    return student, teacher


def pinned_rows(project: Project, spec: Any, field_path: str, what: str) -> tuple[list[dict[str, Any]], str]:
    """The rows of the file ``spec`` names (``spec.path``, ``spec.sha256``, at ``field_path``
    in the manifest) and its sha256; refuses a missing file, a changed one, an unreadable
    one, and one without rows (``what`` says which rows were expected)."""
    from standards import file_sha256
    from standards.tabular import TableError, read_rows

    name = project.manifest_file.name
    path = project.path(spec.path)
    if not path.is_file():
        raise InputError(f"{name}: {field_path}.path: expected a file; found nothing at {spec.path}")
    actual = file_sha256(path)
    if actual != str(spec.sha256).lower():
        raise IntegrityError(name, f"{field_path}.sha256", spec.sha256, actual)
    try:
        rows = read_rows(path)
    except (TableError, UnicodeDecodeError) as exc:
        raise InputError(f"{spec.path}: {exc}") from None
    if not rows:
        raise InputError(f"{spec.path}: expected {what}; found an empty file")
    return rows, actual
