"""Stillhouse standards: versioned schemas and the requirement catalogue.

No torch, no transformers here: everything in this package is plain data and checks
that the light commands (`validate`, `checklist`, `fleet`) can import in milliseconds.
"""

from __future__ import annotations

from . import v1_0, v1_1, v1_2
from ._base import PLACEHOLDER_PREFIX, is_placeholder
from .catalogue import Area, Catalogue, Requirement, load_catalogue
from .checks import (
    CHECKS,
    REPORT_DIR,
    CheckContext,
    CheckResult,
    RequirementResult,
    expected_provenance,
    provenance_mismatches,
    report_mismatches,
    run_checks,
)
from .fleet import (
    TRIGGER_CODES,
    DriftBaseline,
    DriftRecord,
    DriftSummary,
    DriftWindow,
    FleetModel,
    FleetReport,
    FleetSlice,
    People,
    Person,
    Problem,
    RegistryEntry,
    RegistrySettings,
    RolloutFigures,
    TeacherRelease,
    Teachers,
    TriggerFired,
)
from .hashing import artifact_sha256, file_sha256, is_sha256
from .jsonschema import SCHEMA_DIR, schema_documents, write_schemas
from .pins import model_pin, pin_problem
from .report import (
    BarResult,
    Cost,
    Estimate,
    EvalReport,
    Gate,
    Latency,
    ModelSummary,
    PairedComparison,
    Provenance,
    RepeatsResult,
    Signature,
    SliceStability,
    SliceResult,
)
from .slices import matches, rule_columns, slice_masks
from .training import TrainingRecord
from .versions import CHANGELOG, CURRENT_VERSION, VERSIONS, UnknownVersion, field_hint, manifest_model, migrate, parse_manifest

Manifest = v1_2.Manifest
"""The manifest of the current standards version; every older version migrates to it."""

__version__ = CURRENT_VERSION

__all__ = sorted([
    "Area", "BarResult", "CHANGELOG", "CHECKS", "CURRENT_VERSION", "Catalogue", "CheckContext",
    "CheckResult", "Cost", "Estimate", "EvalReport", "FleetModel", "FleetReport", "Gate", "Latency",
    "Manifest", "ModelSummary", "PLACEHOLDER_PREFIX", "PairedComparison", "People", "Person", "Problem",
    "Provenance", "REPORT_DIR", "RepeatsResult", "SliceStability", "Requirement", "RequirementResult", "RolloutFigures", "SCHEMA_DIR",
    "Signature", "SliceResult", "TeacherRelease", "Teachers", "TrainingRecord", "TriggerFired", "UnknownVersion",
    "VERSIONS",
    "artifact_sha256", "field_hint", "file_sha256", "is_placeholder", "is_sha256", "load_catalogue",
    "manifest_model", "matches", "migrate", "model_pin", "parse_manifest", "pin_problem",
    "report_mismatches", "rule_columns", "run_checks", "schema_documents", "slice_masks", "v1_0", "v1_1",
    "write_schemas", "v1_2",
    # the fleet
    "DriftBaseline", "DriftRecord", "DriftSummary", "DriftWindow", "FleetSlice", "RegistryEntry",
    "RegistrySettings", "TRIGGER_CODES", "expected_provenance", "provenance_mismatches",
])
