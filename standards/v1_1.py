"""Standards 1.1: adds `description` and `distillation`; renames `monitoring.sample_path`.

Every 1.0 manifest still loads: the loader migrates it forward (`v1_0.migrate_to_next`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from . import v1_0
from ._base import Fraction, StrictModel
from .v1_0 import (  # re-exported: unchanged in 1.1
    Approval,
    Budgets,
    CostModel,
    EvalSet,
    Generation,
    Lifecycle,
    ModelSpec,
    Owner,
    QualityBar,
    Slice,
    Task,
    Triggers,
)

VERSION = "1.1"

RENAMED: dict[str, tuple[str, str]] = {
    "monitoring.sample_path": ("monitoring.production_sample", "1.1"),
}


class Monitoring(StrictModel):
    """How production behaviour is watched."""

    production_sample: str | None = Field(
        default=None,
        description="Production sample (JSONL or Parquet), relative to the project. "
        "Named `sample_path` in 1.0.",
    )
    spot_check_share: Fraction = Field(
        default=0.0, description="Share of production calls the teacher also answers, for agreement."
    )
    window_days: int = Field(default=7, ge=1, description="Width of one drift window, in days.")


class TrainSet(StrictModel):
    """The data the student is distilled on; never the frozen eval set."""

    path: str = Field(description="JSONL, CSV or Parquet file, relative to the project.")
    sha256: str = Field(description="sha256 of the file's bytes; recorded in the training record.")
    input: str = Field(default="text", description="Column with the model input.")
    label: str | None = Field(default="label", description="Column with the gold label, if any.")


class Distillation(StrictModel):
    """How `stillhouse distill` trains the student:
    `loss = (1 - alpha) * CE(student, gold) + alpha * T^2 * KL(teacher/T || student/T)`."""

    train_set: TrainSet = Field(description="Training data.")
    alpha: Fraction = Field(default=0.9, description="Weight of the soft (teacher) loss.")
    temperature: float = Field(default=2.0, gt=0, le=20, description="Softmax temperature T.")
    epochs: int = Field(default=3, ge=1, le=1000, description="Passes over the training data.")
    learning_rate: float = Field(default=1e-3, gt=0, lt=1, description="AdamW learning rate.")
    batch_size: int = Field(default=32, ge=1, le=4096, description="Examples per step.")
    seed: int = Field(default=0, ge=0, description="Seed for initialisation and shuffling.")
    max_length: int = Field(default=64, ge=4, le=4096, description="Token limit per input.")


class ManifestV1_1(v1_0.ManifestV1_0):
    """A distillation project, as declared in its `stillhouse.yaml` (standards 1.1)."""

    standards_version: Literal["1.1"] = Field(  # type: ignore[assignment]
        description="The standards version this manifest follows."
    )
    description: str | None = Field(
        default=None, max_length=2000, description="One paragraph on what the model does and for whom."
    )
    monitoring: Monitoring = Field(  # type: ignore[assignment]
        default_factory=Monitoring, description="Production monitoring."
    )
    distillation: Distillation | None = Field(
        default=None, description="Settings of `stillhouse distill` (classification)."
    )


Manifest = ManifestV1_1

__all__ = [
    "VERSION", "RENAMED", "Manifest", "ManifestV1_1", "Monitoring", "Distillation", "TrainSet",
    "Approval", "Budgets", "CostModel", "EvalSet", "Generation", "Lifecycle", "ModelSpec", "Owner",
    "QualityBar", "Slice", "Task", "Triggers",
]
