"""Standards 1.2: the settings of the generative recipe: a causal-LM student learning from
the teacher's outputs (sequence level) or its next-token distributions (token level).

The shared settings of `distillation` apply as they say: `train_set` (its `label` column, if
any, holds reference answers), `epochs`, `learning_rate`, `batch_size`, `seed`, and
`max_length` (the prompt's token limit, as `stillhouse eval` truncates it). `alpha` weighs
the teacher's signal against the reference answers and `temperature` softens both
distributions at token level::

    sequence:  loss = (1 - alpha) * CE(student, reference) + alpha * CE(student, teacher's output)
    token:     loss = (1 - alpha) * CE(student, reference) + alpha * T**2 * D(teacher/T, student/T)

where every term counts completion tokens only (never the prompt) and D is KL(teacher || student)
or the generalised Jensen-Shannon divergence of GKD (Agarwal et al., 2024).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .._base import Fraction, ManifestModel


class GenerativeStudent(ManifestModel):
    """Where the student's architecture (and, optionally, its starting weights) come from.
    Without this section the student folder's own `config.json` and tokenizer are kept and
    its weights re-initialised from the seed."""

    config: str | None = Field(
        default=None,
        description="A transformers `config.json` of a causal LM, relative to the project: a new student with "
        "random weights (from the seed), on the tokenizer of `distillation.tokenizer` or else the local teacher's.",
    )
    base: str | None = Field(
        default=None,
        description="A model folder in the project (config.json, tokenizer, safetensors weights) the student "
        "starts from: a pretrained small model (0.5-1B parameters) to fine-tune, in full or with LoRA.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> GenerativeStudent:
        if self.config is not None and self.base is not None:
            raise ValueError("either `config` (random weights) or `base` (pretrained weights), not both")
        return self


class LoRA(ManifestModel):
    """Low-rank adapters (peft): only the adapters train; they are merged into the weights when
    the student is saved, so it loads as a plain causal LM."""

    r: int = Field(default=16, ge=1, le=1024, description="Rank of each adapter.")
    alpha: float = Field(default=32.0, gt=0, le=4096, description="Scale of the adapters (`lora_alpha`); "
                         "their update is multiplied by alpha / r.")
    dropout: Fraction = Field(default=0.05, description="Dropout on the adapters' input while training.")
    target_modules: list[str] | None = Field(
        default=None, min_length=1,
        description="Names of the layers that get adapters (e.g. `[q_proj, k_proj, v_proj, o_proj]`); none: "
        "peft's default for the architecture.",
    )


class TokenLevel(ManifestModel):
    """Token-level distillation: the student matches the teacher's next-token distribution at
    every completion position. Needs a `local` teacher with the student's tokenizer."""

    loss: Literal["kl", "jsd"] = Field(
        default="kl",
        description="`kl`: KL(teacher || student), as in the classification recipe; `jsd`: the generalised "
        "Jensen-Shannon divergence of GKD, beta * KL(teacher || M) + (1 - beta) * KL(student || M) with "
        "M = beta * teacher + (1 - beta) * student.",
    )
    beta: float = Field(default=0.5, gt=0, lt=1, description="The interpolation `beta` of `loss: jsd`.")
    on_policy: Fraction = Field(
        default=0.0,
        description="Share of batches whose completions the student samples itself (GKD's lambda); the rest "
        "use the teacher's greedy outputs. 0: off-policy only.",
    )
    max_new_tokens: int | None = Field(
        default=None, ge=1, le=4096,
        description="Length limit of the student's samples; none: the manifest's `generation.max_new_tokens`.",
    )
    sampling_temperature: float = Field(
        default=1.0, gt=0, le=10, description="Temperature of the student's samples (on-policy batches)."
    )


class GenerationRecipe(ManifestModel):
    """How a causal-LM student is distilled (`task: generation`)."""

    mode: Literal["sequence", "token"] = Field(
        default="sequence",
        description="`sequence`: fine-tune on the teacher's outputs (any teacher: local, or recorded with "
        "`stillhouse record`); `token`: match the teacher's next-token distributions (a local teacher sharing "
        "the student's tokenizer).",
    )
    student: GenerativeStudent | None = Field(
        default=None, description="Build the student from a config or start from a pretrained base; none: "
        "re-initialise the student folder's architecture.",
    )
    lora: LoRA | None = Field(
        default=None, description="Train low-rank adapters instead of every weight (students too large to "
        "fine-tune in full); none: full fine-tuning.",
    )
    token: TokenLevel | None = Field(
        default=None, description="Settings of `mode: token` (its defaults when omitted).",
    )
    group_by_length: bool = Field(
        default=False,
        description="Batch rows of similar token length together (within shuffled groups of 50 batches), so "
        "batches carry little padding: faster when prompts vary a lot in length, but each batch then holds "
        "similar rows, which can slow learning per epoch. Off: plain shuffled batches.",
    )

    @model_validator(mode="after")
    def _token_settings_need_token_mode(self) -> GenerationRecipe:
        if self.token is not None and self.mode != "token":
            raise ValueError("`token` settings only with `mode: token` (a setting that does nothing is refused)")
        return self

    @property
    def token_settings(self) -> TokenLevel:
        """The token-level settings in effect (the defaults when `token` is omitted)."""
        return self.token if self.token is not None else TokenLevel()
