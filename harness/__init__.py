"""Stillhouse harness: load and check projects, evaluate teacher and student, gate,
distil, and watch the fleet.

Importing `harness` is light: torch, transformers and datasets are imported only inside
the code that runs models.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _pkg_version

from ._errors import (
    AdapterError,
    InputError,
    IntegrityError,
    ManifestError,
    Problem,
    StandardFailed,
    StillhouseError,
)
from ._drift import compute_drift
from ._fleet import build_fleet, fleet_markdown
from ._distill import DistillResult, distill
from ._eval import evaluate
from ._init import init_project
from ._lifecycle import retire_project
from ._manifest import Project, load_project
from ._report import report_html, report_markdown
from ._validate import ValidationResult, checklist_markdown, validate

try:
    __version__ = _pkg_version("stillhouse")
except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
    __version__ = "0+unknown"

__all__ = sorted([
    "AdapterError", "DistillResult", "InputError", "IntegrityError", "ManifestError", "Problem", "Project",
    "StandardFailed", "StillhouseError", "ValidationResult", "checklist_markdown", "distill", "init_project",
    "load_project", "validate",
    # the fleet
    "build_fleet", "compute_drift", "fleet_markdown", "retire_project",
    # the evaluation harness
    "evaluate", "report_html", "report_markdown",
])
