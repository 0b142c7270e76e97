"""A project: its manifest loaded and checked, its review checklist, a new one from the
starter template, and edits of its manifest (lifecycle, pins) that keep the file's comments.

Light: nothing here imports torch, transformers or datasets."""

from __future__ import annotations

from ._edit import replace_section, retire_project, set_lifecycle, set_values, write_student_pin
from ._init import TEMPLATE_DIR, init_project
from ._manifest import MANIFEST_NAMES, Project, find_manifest, load_project, manifest_paths, pydantic_problems
from ._validate import ValidationResult, checklist_markdown, validate

__all__ = [
    "MANIFEST_NAMES", "Project", "TEMPLATE_DIR", "ValidationResult", "checklist_markdown", "find_manifest",
    "init_project", "load_project", "manifest_paths", "pydantic_problems", "replace_section", "retire_project",
    "set_lifecycle", "set_values", "validate", "write_student_pin",
]
