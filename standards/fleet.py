"""The fleet: the registry's files and the reports derived from them.

A registry is a folder::

    registry.yaml          optional: the registry's name, and `as_of` to freeze its clock
    teachers.yaml          the current pin of each teacher family      (`Teachers`)
    people.yaml            owners and teams, active or departed        (`People`)
    models/<entry>/        one folder per registered model:
        stillhouse.yaml      a copy of the project's manifest, or
        entry.yaml           a pointer to the project folder            (`RegistryEntry`)
        report/report.json   the latest `stillhouse eval` report        (`EvalReport`)
        reports/*.json       earlier reports, kept for the time to first pass (optional)
        drift/*.json         drift records of `stillhouse drift`        (`DriftRecord`)

`stillhouse fleet` reads it into a `FleetReport` (`fleet.json`).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from ._base import StrictModel
from .report import Estimate

FLEET_REPORT_VERSION = "1.0"
DRIFT_RECORD_VERSION = "1.0"
TRIGGER_CODES = ("teacher_moved", "teacher_retiring", "drift", "cadence_elapsed", "standards_outdated")


# --- registry files ----------------------------------------------------------------------


class TeacherRelease(StrictModel):
    """The current pinned version of one teacher family."""

    family: str = Field(min_length=1, description="Teacher family, as named in manifests' `teacher.family`.")
    pin: str = Field(
        min_length=1,
        description="Current pin, in the form reports record it: `sha256:<hex>` (local, recorded), "
        "`repo@commit` (hub), `endpoint:<dated model>` (endpoint), `module:function@version` (callable).",
    )
    since: dt.date | None = Field(default=None, description="Day this pin became current.")
    retires_on: dt.date | None = Field(
        default=None, description="Day the provider shuts this version down (API models get shutdown dates). "
        "Models on this pin fire `teacher_retiring` that many days before (`registry.yaml`: "
        "`teacher_retiring_days`, default 90), so they are redistilled while the teacher still answers.",
    )


class Teachers(StrictModel):
    """`teachers.yaml`: the current version of each teacher family."""

    teachers: list[TeacherRelease] = Field(default_factory=list)


class Person(StrictModel):
    """Somebody who can own a model."""

    handle: str = Field(min_length=1)
    team: str | None = None
    active: bool = Field(default=True, description="False once the person has left or moved on.")


class People(StrictModel):
    """`people.yaml`: owners and teams, with an active flag."""

    people: list[Person] = Field(default_factory=list)


class RegistrySettings(StrictModel):
    """`registry.yaml` (optional): settings of one registry."""

    name: str | None = Field(default=None, description="Title of the registry, shown on the fleet report.")
    as_of: dt.date | None = Field(
        default=None,
        description="Freeze the registry's clock: ages and cadences are computed as of 00:00 UTC on this "
        "day instead of now. For demos and archived snapshots only; a live registry leaves it out.",
    )
    require_signed_reports: bool = Field(
        default=False, description="Treat an unsigned report, or one whose HMAC does not verify with the key in "
        "`STILLHOUSE_SIGNING_KEY`, as failing: an owner without the CI key cannot register a forged passing report.",
    )
    teacher_retiring_days: int = Field(
        default=90, ge=0, le=3650, description="How many days before a teacher release's `retires_on` the "
        "`teacher_retiring` trigger fires.",
    )


class RegistryEntry(StrictModel):
    """`models/<entry>/entry.yaml`: registers a project by pointing at its folder.

    Use it instead of a manifest copy when the registry can see the project's folder (a
    monorepo). The entry folder may still hold `report/` and `drift/`; when it has no
    report, the project's own `report/report.json` is read."""

    project: str = Field(
        min_length=1, description="The project folder (or its manifest), relative to this file or absolute."
    )
    note: str | None = Field(default=None, description="Why the model is registered this way, for people.")


# --- drift records ------------------------------------------------------------------------


class DriftBaseline(StrictModel):
    """What a production window is compared with: the figures of the eval report."""

    report_finished_at: dt.datetime | None = Field(default=None, description="When the baseline report was made.")
    teacher_pin: str | None = Field(default=None, description="Teacher pin of the baseline report.")
    student_pin: str | None = Field(default=None, description="Student pin the record is about; a record "
                                    "for another student is ignored by the fleet.")
    agreement: Estimate | None = Field(default=None, description="Student-teacher agreement on the eval set (`all`).")
    accuracy: Estimate | None = Field(default=None, description="Student accuracy on the eval set (`all`).")
    slice_shares: dict[str, float] = Field(
        default_factory=dict, description="Share of eval rows in each declared slice (slices may overlap)."
    )
    length_reference: Literal["eval_set", "first_window", "none"] = Field(
        description="Where the input-length baseline came from: the eval set when it was readable, else the "
        "first production window."
    )
    mean_words: float | None = Field(default=None, description="Mean input length of the reference, in words.")


class DriftWindow(StrictModel):
    """One time window of the production sample."""

    start: dt.datetime = Field(description="Window start (inclusive), UTC.")
    end: dt.datetime = Field(description="Window end (exclusive), UTC.")
    rows: int = Field(ge=0, description="Production rows in the window.")
    spot_checks: int = Field(ge=0, description="Rows the teacher also answered.")
    agreement: Estimate | None = Field(default=None, description="Agreement on the spot-checks (Wilson 95%).")
    agreement_drop: float | None = Field(default=None, description="Baseline agreement minus the window's.")
    feedback_labels: int = Field(default=0, ge=0, description="Rows with a feedback label.")
    accuracy: Estimate | None = Field(default=None, description="Student accuracy on feedback labels (Wilson 95%).")
    accuracy_drop: float | None = Field(default=None, description="Baseline accuracy minus the window's.")
    slice_shares: dict[str, float] = Field(default_factory=dict, description="Share of window rows in each slice.")
    slice_psi: dict[str, float] = Field(default_factory=dict, description="PSI of each slice's in/out share.")
    slice_psi_max: float | None = Field(default=None, description="Largest per-slice PSI.")
    slice_js: float | None = Field(default=None, description="Jensen-Shannon distance (base 2) of the slice mix.")
    mean_words: float | None = Field(default=None, description="Mean input length, words.")
    length_psi: float | None = Field(default=None, description="PSI of the input-length histogram (reference bins).")
    assessable: bool = Field(description="Enough spot-checks (or labels) to judge the trigger metric.")
    fired: bool = Field(description="The trigger metric dropped past the manifest's threshold in this window.")
    notes: list[str] = Field(default_factory=list, description="Shifts worth a look that do not fire the trigger.")


class DriftRecord(StrictModel):
    """What `stillhouse drift` writes: one production sample, window by window."""

    record_version: Literal["1.0"] = "1.0"
    project: str = Field(description="The manifest's `name`.")
    computed_at: dt.datetime = Field(description="When the record was computed.")
    production_file: str = Field(description="The production sample, as given.")
    production_sha256: str = Field(description="sha256 of the production sample's bytes.")
    window_days: int = Field(ge=1, description="Width of one window (the manifest's `monitoring.window_days`).")
    metric: Literal["agreement", "accuracy"] = Field(description="The trigger's metric.")
    max_drop: float | None = Field(description="The trigger's threshold; none when the manifest sets no drift trigger.")
    min_spot_checks: int = Field(description="Fewest spot-checks (or labels) that make a window assessable.")
    baseline: DriftBaseline
    windows: list[DriftWindow] = Field(default_factory=list)
    fired: bool = Field(description="The latest assessable window fired the trigger.")
    reason: str = Field(description="One line: why the trigger fired or did not.")


# --- the fleet report ------------------------------------------------------------------------


class TriggerFired(StrictModel):
    """A redistillation trigger that has fired, with its evidence."""

    code: Literal["teacher_moved", "teacher_retiring", "drift", "cadence_elapsed", "standards_outdated"]
    reason: str = Field(description="One line a person can act on.")
    evidence: dict[str, str | float | int | bool | None] = Field(default_factory=dict)


class FleetSlice(StrictModel):
    """One slice's figures from a model's latest report (for the site's charts)."""

    name: str
    n: int
    student_accuracy: float | None = None
    teacher_accuracy: float | None = None
    agreement: float | None = None


class DriftSummary(StrictModel):
    """The latest drift record of a model, in brief."""

    record_path: str
    computed_at: dt.datetime
    window_end: dt.datetime | None = None
    metric: str
    baseline: float | None = None
    value: float | None = None
    drop: float | None = None
    max_drop: float | None = None
    slice_psi_max: float | None = None
    length_psi: float | None = None
    fired: bool
    reason: str


class FleetModel(StrictModel):
    """One model's row in the fleet report."""

    name: str
    entry: str = Field(description="Registry entry folder (under `models/`).")
    description: str | None = None
    owner: str | None
    team: str | None = None
    backup: str | None = None
    status: str
    standards_version: str = Field(description="Standards version the manifest declares.")
    report_age_days: float | None = None
    report_finished_at: dt.datetime | None = None
    evaluation_current: bool
    not_current_reasons: list[str] = Field(default_factory=list, description="Why the evaluation is not current.")
    verdict: Literal["pass", "fail", "none"]
    orphaned: bool
    orphan_reason: str | None = None
    triggers: list[TriggerFired] = Field(default_factory=list)
    lifecycle_problems: list[str] = Field(default_factory=list)
    needs_action: bool
    actions: list[str] = Field(default_factory=list, description="What the owner should do, one line each.")
    report_path: str | None = None
    created: dt.date | None = None
    first_pass: dt.date | None = None
    days_to_first_pass: int | None = None
    teacher_family: str | None = None
    teacher_pin: str | None = None
    current_teacher_pin: str | None = None
    slices: list[FleetSlice] = Field(default_factory=list)
    drift: DriftSummary | None = None
    notes: list[str] = Field(default_factory=list)


class Problem(StrictModel):
    """A registry entry (or file) that could not be read; it never hides the others."""

    entry: str
    message: str
    file: str | None = None
    field: str | None = None


class RolloutFigures(StrictModel):
    """How a team knows the capability is taking hold."""

    models: int
    active_models: int = Field(description="Models not retired.")
    current_passing_owned: int = Field(description="Active models with a current passing evaluation and an active owner.")
    share_current_passing_owned: float
    orphaned: int
    needs_action: int = 0
    problems: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
    median_days_to_first_pass: float | None = None
    models_with_first_pass: int = 0
    open_triggers: dict[str, int] = Field(default_factory=dict)


class FleetReport(StrictModel):
    """`fleet.json`: the state of every registered model."""

    report_version: Literal["1.0"] = "1.0"
    generated_at: dt.datetime = Field(description="The clock the report was computed with.")
    clock: Literal["now", "as_of", "given"] = Field(
        default="now", description="`now`, the registry's `as_of`, or a time given on the command line."
    )
    registry: str
    name: str | None = None
    standards_version: str = Field(default="", description="Current standards version of the harness.")
    models: list[FleetModel] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    rollout: RolloutFigures
