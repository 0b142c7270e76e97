"""Standards 1.1: adds `description` and `distillation`; renames `monitoring.sample_path`.

Every 1.0 manifest still loads: the loader migrates it forward (`v1_0.migrate_to_next`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from . import v1_0
from ._base import Fraction, ManifestModel
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


class Monitoring(ManifestModel):
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


class TrainSet(ManifestModel):
    """The data the student is distilled on; never the frozen eval set."""

    path: str = Field(description="JSONL, CSV or Parquet file, relative to the project.")
    sha256: str = Field(description="sha256 of the file's bytes; recorded in the training record.")
    id: str = Field(default="id", description="Column with a unique example id (a recorded teacher's key).")
    input: str = Field(default="text", description="Column with the model input.")
    label: str | None = Field(
        default="label", description="Column with the gold label; none means soft labels only (`alpha: 1`)."
    )


class StudentInit(ManifestModel):
    """A new student for `stillhouse distill` to build before training: a BERT-style encoder
    on the teacher's tokenizer. Without this section the student folder must already hold a
    `config.json` and a tokenizer; its architecture is kept and its weights re-initialised."""

    layers: int = Field(default=2, ge=1, le=48, description="Transformer layers.")
    hidden_size: int = Field(default=128, ge=8, le=4096, description="Width of every layer.")
    heads: int = Field(default=2, ge=1, le=64, description="Attention heads; must divide `hidden_size`.")
    intermediate_size: int = Field(default=256, ge=8, le=16384, description="Width of the feed-forward layer.")
    vocabulary: Literal["teacher", "pruned"] = Field(
        default="pruned",
        description="`teacher`: the teacher's whole vocabulary; `pruned`: only the word pieces the "
        "training inputs use, plus every single character, so any text still tokenizes.",
    )

    @model_validator(mode="after")
    def _heads_divide(self) -> StudentInit:
        if self.hidden_size % self.heads:
            raise ValueError(f"`heads` that divide `hidden_size` ({self.heads} does not divide {self.hidden_size})")
        return self


class Distillation(ManifestModel):
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
    student: StudentInit | None = Field(
        default=None, description="Build a new student with these settings (else: keep the student folder's)."
    )

    @model_validator(mode="after")
    def _soft_only_without_gold(self) -> Distillation:
        if self.train_set.label is None and self.alpha != 1:
            raise ValueError(f"`alpha: 1` when `train_set.label` is null: there is no gold label (alpha is {self.alpha})")
        return self


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


def migrate_to_next(data: dict[str, Any]) -> dict[str, Any]:
    """Carry a 1.1 manifest forward to 1.2: only the version string (1.2 adds optional fields)."""
    out = dict(data)
    out["standards_version"] = "1.2"
    return out


Manifest = ManifestV1_1

__all__ = [
    "VERSION", "RENAMED", "Manifest", "migrate_to_next", "ManifestV1_1", "Monitoring", "Distillation", "StudentInit", "TrainSet",
    "Approval", "Budgets", "CostModel", "EvalSet", "Generation", "Lifecycle", "ModelSpec", "Owner",
    "QualityBar", "Slice", "Task", "Triggers",
]
