"""Standards 1.2: adds the settings of `stillhouse distill`'s new recipes, a tokenizer for
students of recorded teachers, and a content hash for hub snapshots.

Every 1.1 manifest still loads unchanged: the loader migrates it forward
(`v1_1.migrate_to_next`); the new fields are optional and their defaults are the recipes'.

The distillation settings are grouped by task, one module each, so a recipe and its
settings read together: `classification.py` (transfer-set augmentation, layer-wise
distillation, initialisation from the teacher, a dev split with early stopping) and
`generation.py` (sequence- and token-level distillation of a causal LM, LoRA).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field

from .. import v1_1
from .._base import Fraction, ManifestModel
from ..v1_0 import CallableModel, EndpointModel, LocalModel, RecordedModel
from ..v1_1 import (  # re-exported: unchanged in 1.2
    Approval,
    Budgets,
    CostModel,
    EvalSet,
    Lifecycle,
    Monitoring,
    Owner,
    QualityBar,
    Slice,
    Task,
    Triggers,
)
from .classification import ClassificationRecipe
from .generation import GenerationRecipe

VERSION = "1.2"

RENAMED: dict[str, tuple[str, str]] = {}


class HubModel(v1_1.v1_0.HubModel):
    """A hub-style model, pinned by a full commit and read from a local snapshot (no network).
    In 1.2 its files can be pinned too: `sha256` is the snapshot folder's artifact hash."""

    sha256: str | None = Field(
        default=None,
        description="Artifact hash of the snapshot folder (`stillhouse hash PATH`). Optional: without it the "
        "report still records the hash of the bytes it ran on, and an edited snapshot makes that report stale.",
    )


ModelSpec = Annotated[
    Union[LocalModel, HubModel, EndpointModel, RecordedModel, CallableModel],
    Field(discriminator="kind"),
]


class Generation(v1_1.Generation):
    """Generation settings (generation tasks); part of every output cache key. 1.2 adds
    sampling: a model with `temperature` above 0 samples, and `--repeats` (or `repeats`)
    measures how stable its answers and verdicts are."""

    temperature: float = Field(
        default=0.0, ge=0.0, le=5.0,
        description="0: greedy decoding (one answer per input, every time). Above 0: the models sample, with "
        "this temperature (local models seeded per repeat; endpoints receive it as `temperature`).",
    )
    top_p: Fraction = Field(default=1.0, description="Nucleus sampling: keep the smallest set of tokens whose "
                            "probabilities sum to this (sampling only).")


class Repeats(ManifestModel):
    """How many times the student is evaluated, and how the runs' verdicts combine. For a
    student that samples: its answers change from run to run, and one run's verdict is one
    draw. The report gives, per slice, how often items change answer across runs and the
    share of runs that agree on the slice's verdict."""

    runs: int = Field(default=1, ge=1, le=50, description="Evaluations of the student (`stillhouse eval "
                      "--repeats K` overrides it). 1: a single run, as for greedy models.")
    rule: Literal["all", "majority"] = Field(
        default="all", description="`all`: the gate passes only if every run passes; `majority`: if more than "
        "half do. The verdict of each run is in the report.",
    )


class Distillation(v1_1.Distillation):
    """How `stillhouse distill` trains the student. The shared settings (training data,
    alpha, temperature, epochs, learning rate, batch size, seed, token limit) come first;
    each task's recipe has its own section."""

    tokenizer: str | None = Field(
        default=None,
        description="Folder of a tokenizer (tokenizer.json and its config) in the project, for building a new "
        "student when the teacher has none to lend (a `recorded` or `endpoint` teacher).",
    )
    classification: ClassificationRecipe = Field(
        default_factory=ClassificationRecipe,
        description="Classification: augmentation of the transfer set, layer-wise distillation, initialisation "
        "from the teacher, the dev split and early stopping.",
    )
    generation: GenerationRecipe | None = Field(
        default=None, description="Generation: how a causal-LM student learns from the teacher's outputs.",
    )


class ManifestV1_2(v1_1.ManifestV1_1):
    """A distillation project, as declared in its `stillhouse.yaml` (standards 1.2)."""

    standards_version: Literal["1.2"] = Field(  # type: ignore[assignment]
        description="The standards version this manifest follows."
    )
    teacher: ModelSpec = Field(description="The teacher and its immutable pin.")  # type: ignore[assignment]
    student: ModelSpec = Field(description="The student artifact and its hash.")  # type: ignore[assignment]
    distillation: Distillation | None = Field(  # type: ignore[assignment]
        default=None, description="Settings of `stillhouse distill`."
    )
    generation: Generation | None = Field(  # type: ignore[assignment]
        default=None, description="Generation settings (generation tasks)."
    )
    repeats: Repeats = Field(default_factory=Repeats, description="Repeated evaluation of a student that samples.")


def migrate_to_next(data: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - 1.2 is the newest
    raise NotImplementedError("1.2 is the current version")


Manifest = ManifestV1_2

__all__ = [
    "VERSION", "RENAMED", "Manifest", "ManifestV1_2", "ModelSpec", "HubModel", "Distillation",
    "ClassificationRecipe", "GenerationRecipe", "Repeats",
    "Approval", "Budgets", "CostModel", "EvalSet", "Generation", "Lifecycle", "Monitoring", "Owner",
    "QualityBar", "Slice", "Task", "Triggers",
]
