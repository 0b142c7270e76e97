"""The training record (`training/record.json`): what `stillhouse distill` trained a student
from, with which settings, and how training went.

The record is what makes a student reproducible and its reuse decidable: `key` hashes
every input (`key_inputs`: the training set's and teacher's pins, the settings, the trainer
code, the libraries), and distill skips training only when a valid record with the same key
sits beside a student whose bytes match `student.sha256`. Both recipes write the common
fields; each adds its own sections (classification: labels, the dev curve, augmentation;
generation: mode, prompt template). An epoch's row keeps the recipe's own loss terms.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from ._base import StrictModel

RECORD_VERSION = "1.0"

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Open(StrictModel):
    """A section whose recipe-specific entries are kept as written."""

    model_config = ConfigDict(extra="allow")


class RecordTeacher(_Open):
    kind: str = Field(description="The teacher's adapter kind when it was trained from (`local`, `recorded`, ...).")
    path: str | None = Field(default=None, description="The teacher's path in the project, for local and recorded teachers.")
    pin: str = Field(description="The teacher's pin (`sha256:...`, `endpoint:model`, ...).")
    parameters: int | None = Field(default=None, ge=1, description="Parameter count of a local teacher.")
    outputs_from_cache: bool = Field(description="Whether the teacher's outputs came from the cache (checked against their hash).")
    recording: dict[str, Any] | None = Field(default=None, description="For a recorded teacher: what answered, over which sets, at what cost.")


class RecordTrainSet(_Open):
    path: str
    sha256: Sha256Hex
    rows: int = Field(ge=1)


class RecordStudent(_Open):
    path: str
    sha256: Sha256Hex = Field(description="The artifact hash of the student folder as saved.")
    parameters: int = Field(ge=1)
    architecture: dict[str, Any] = Field(description="The config values that size the model.")


class EpochRow(_Open):
    epoch: int = Field(ge=1)
    loss: float = Field(description="Mean training loss over the epoch.")
    seconds: float = Field(ge=0)


class WallSeconds(_Open):
    total: float = Field(ge=0)


class DevCurve(_Open):
    source: str
    rows: int = Field(ge=1)
    agreement_by_epoch: list[float]
    chosen_epoch: int = Field(ge=1, description="The epoch whose student was kept.")
    stopped_early: bool


class TrainingRecord(StrictModel):
    """`training/record.json`, written by `stillhouse distill` (schema version 1.0)."""

    record_version: Literal["1.0"]
    project: str = Field(description="The manifest's `name`.")
    task: Literal["classification", "generation"] = "classification"
    key: Sha256Hex = Field(description="sha256 of `key_inputs`: a new key means retrain.")
    key_inputs: dict[str, Any] = Field(description="Everything the student depends on: data and teacher pins, "
                                       "settings, trainer code, library versions.")
    config: dict[str, Any] = Field(description="The manifest's `distillation` section, defaults filled in.")
    seed: int
    loss_formula: str
    schedule: str
    batching: str
    teacher: RecordTeacher
    train_set: RecordTrainSet
    student: RecordStudent
    epochs: list[EpochRow] = Field(min_length=1)
    wall_s: WallSeconds
    threads: int = Field(ge=1)
    libraries: dict[str, str]
    started_at: dt.datetime
    finished_at: dt.datetime
    # classification
    labels: list[str] | None = None
    dev: DevCurve | None = None
    augmentation: dict[str, Any] | None = None
    rows: dict[str, int] | None = None
    init_from_teacher: dict[str, Any] | None = None
    layerwise: dict[str, Any] | None = None
    data_parallel: dict[str, Any] | None = Field(default=None, description="`accelerate launch`: the processes that trained.")
    # generation
    mode: Literal["sequence", "token"] | None = None
    prompt_template: str | None = None
    max_new_tokens: int | None = None
