"""The fleet: registry files (`teachers.yaml`, `people.yaml`) and the fleet report."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from ._base import StrictModel

FLEET_REPORT_VERSION = "1.0"


class TeacherRelease(StrictModel):
    """The current pinned version of one teacher family."""

    family: str = Field(description="Teacher family, as named in manifests' `teacher.family`.")
    pin: str = Field(description="Current pin, in the form the report records (e.g. `sha256:…`).")
    since: dt.date | None = Field(default=None, description="Day this pin became current.")


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


class TriggerFired(StrictModel):
    """A redistillation trigger that has fired, with its evidence."""

    code: Literal["teacher_moved", "drift", "cadence_elapsed", "standards_outdated"]
    reason: str = Field(description="One line a person can act on.")
    evidence: dict[str, str | float | int | None] = Field(default_factory=dict)


class FleetModel(StrictModel):
    """One model's row in the fleet report."""

    name: str
    owner: str | None
    team: str | None = None
    status: str
    report_age_days: float | None = None
    evaluation_current: bool
    verdict: Literal["pass", "fail", "none"]
    orphaned: bool
    orphan_reason: str | None = None
    triggers: list[TriggerFired] = Field(default_factory=list)
    needs_action: bool
    report_path: str | None = None
    created: dt.date | None = None
    first_pass: dt.date | None = None


class Problem(StrictModel):
    """A registry entry that could not be read; it never hides the others."""

    entry: str
    message: str


class RolloutFigures(StrictModel):
    """How a team knows the capability is taking hold."""

    models: int
    active_models: int = Field(description="Models not retired.")
    current_passing_owned: int = Field(description="Active models with a current passing evaluation and an active owner.")
    share_current_passing_owned: float
    orphaned: int
    median_days_to_first_pass: float | None = None
    open_triggers: dict[str, int] = Field(default_factory=dict)


class FleetReport(StrictModel):
    """`fleet.json`: the state of every registered model."""

    report_version: Literal["1.0"] = "1.0"
    generated_at: dt.datetime
    registry: str
    models: list[FleetModel] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    rollout: RolloutFigures
