"""Stillhouse harness: load and check projects, evaluate teacher and student, gate,
distil, and watch the fleet.

    harness/
      project/   load, validate, checklist, init, manifest edits, the starter template
      eval/      the evaluation run, the cache, the gate; adapters/ one module per model kind
      distillation/  the training recipes, batching, tokenizers
      fleet/     registry scan and assessment, drift
      render/    report JSON / Markdown / HTML, charts, escaping
      cli/       one module per command
      _errors, _io, _yaml, _stats, _time

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
from .distillation import DistillResult, distill
from .eval import evaluate
from .fleet import build_fleet, compute_drift, fleet_markdown
from .project import Project, ValidationResult, checklist_markdown, init_project, load_project, retire_project, validate
from .render import report_html, report_markdown

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
