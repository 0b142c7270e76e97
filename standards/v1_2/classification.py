"""Standards 1.2: the settings of the classification recipe beyond 1.1's
`loss = (1 - alpha) * CE(student, gold) + alpha * T^2 * KL(teacher/T || student/T)`.

A student distilled on a fixed transfer set copies its teacher on those wordings and
generalises poorly to others. 1.2 adds the levers of the literature, each on by default
where it applies:

* `augment`: noisy copies of the transfer set and unlabelled in-domain text, all labelled by
  the teacher's soft outputs (TinyBERT's augmented transfer set); the gold-label term counts
  only rows that have a gold label.
* `init_from_teacher`: the student starts from the teacher's weights where its shapes allow
  (DistilBERT), and from the teacher's word embeddings projected onto its width where they
  do not.
* `layerwise`: the student's hidden states (and attention, where the head counts match)
  follow the teacher's, through a learned projection when the widths differ (TinyBERT,
  MiniLM). Off by default: it runs the teacher on every batch of every epoch.
* `dev` and `patience`: agreement with the teacher on a dev split, checked every epoch; the
  student of the best epoch is kept. The frozen eval set is never used for this.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from .._base import Fraction, ManifestModel


class NoisyCopies(ManifestModel):
    """Noisy copies of every transfer-set message (word dropout, swaps, typos, and words replaced
    by their nearest neighbours among the teacher's word embeddings), labelled by the teacher.
    Needs a `local` teacher: a recorded one answers only the messages it was recorded on, so
    with one the default copies are skipped (and the training record says so)."""

    copies: int = Field(
        default=1, ge=0, le=16,
        description="Noisy copies per transfer-set message (0: none). Each copy costs one teacher call "
        "and adds a row to every epoch.",
    )
    dropout: Fraction = Field(default=0.1, description="Chance that a word is left out of a copy.")
    swap: Fraction = Field(default=0.05, description="Chance that a word trades places with the next one.")
    typo: Fraction = Field(
        default=0.05,
        description="Chance that a word of three or more letters gets a typo: two letters swapped, one "
        "dropped, one doubled, or one replaced by a neighbouring key.",
    )
    replace: Fraction = Field(
        default=0.2,
        description="Chance that a word is replaced by one of its `neighbours` nearest words by cosine "
        "similarity of the teacher's input embeddings (\"goodbye\" -> \"farewell\"): wordings the transfer "
        "set never used, which the teacher then labels.",
    )
    neighbours: int = Field(
        default=8, ge=1, le=100,
        description="How many nearest words of the teacher's vocabulary a replaced word is drawn from.",
    )

    @model_validator(mode="after")
    def _room_for_every_change(self) -> NoisyCopies:
        if self.dropout + self.typo + self.replace > 1:
            raise ValueError("`dropout + typo + replace` of at most 1: they are shares of one draw per word "
                             f"(found {self.dropout + self.typo + self.replace:g})")
        return self


class UnlabelledSet(ManifestModel):
    """In-domain text without labels (say, a sample of production traffic that is not in the eval
    set), added to the transfer set and labelled by the teacher. Needs a `local` teacher, or a
    recorded one whose recording answers these rows (`stillhouse record`)."""

    path: str = Field(description="JSONL, CSV or Parquet file, relative to the project.")
    sha256: str = Field(description="sha256 of the file's bytes; recorded in the training record.")
    input: str = Field(default="text", description="Column with the text.")
    id: str = Field(default="id", description="Column with a unique row id (a recorded teacher's key).")


class Augmentation(ManifestModel):
    """Rows added to the transfer set, every one labelled by the teacher's soft outputs. The
    gold-label term of the loss counts only the transfer set's own rows."""

    noise: NoisyCopies = Field(
        default_factory=NoisyCopies, description="Noisy copies of the transfer set (one per message by default)."
    )
    unlabelled: UnlabelledSet | None = Field(
        default=None, description="In-domain text the owner supplies, without labels (none by default).",
    )


class Layerwise(ManifestModel):
    """Layer-wise distillation: each student layer's hidden states follow a teacher layer's
    (student layer i of m to teacher layer round((i + 1) * n / m) of n, embeddings to embeddings),
    by mean squared error after a learned linear projection from the student's width to the
    teacher's (dropped after training); and, where a student layer has as many attention heads
    as its teacher layer, the attention distributions follow too (KL per head and query). Only
    rows that both tokenizers split the same way take part. Costs a teacher pass on every batch
    of every epoch."""

    weight: float = Field(
        default=1.0, ge=0, le=100,
        description="Weight of the layer-wise terms added to the loss: `loss + weight * (hidden + attention)`.",
    )
    hidden: bool = Field(default=True, description="Match hidden states (and the embedding layer's output).")
    attention: bool = Field(default=True, description="Match attention distributions where the head counts match.")


class DevSplit(ManifestModel):
    """The rows agreement is checked on after every epoch, to choose the epoch (never the eval
    set): a share of the transfer set set aside before training, or a file of its own."""

    share: Fraction | None = Field(
        default=0.05,
        description="Share of the transfer set's rows set aside as the dev split (seeded; at least one "
        "row, and never all of them). None when `path` names a file.",
    )
    path: str | None = Field(
        default=None, description="A dev file (JSONL, CSV or Parquet) relative to the project, instead of a share."
    )
    sha256: str | None = Field(default=None, description="sha256 of the dev file's bytes (with `path`).")
    input: str = Field(default="text", description="Column with the text (with `path`).")
    id: str = Field(default="id", description="Column with a unique row id (with `path`; a recorded teacher's key).")

    @model_validator(mode="after")
    def _share_or_file(self) -> DevSplit:
        if self.path is not None:
            if self.sha256 is None:
                raise ValueError("`sha256` of the dev file named in `path`")
            if "share" in self.model_fields_set and self.share is not None:
                raise ValueError("either `share` of the transfer set or a file in `path`, not both")
            self.share = None
        elif self.share is None or self.share <= 0 or self.share >= 1:
            raise ValueError(f"`share` between 0 and 1 (exclusive), or a file in `path` (found share {self.share})")
        return self


class ClassificationRecipe(ManifestModel):
    """Extras of the classification recipe: augmentation, initialisation from the teacher,
    layer-wise distillation, and a dev split with early stopping."""

    augment: Augmentation = Field(
        default_factory=Augmentation,
        description="Teacher-labelled rows added to the transfer set: noisy copies (on) and unlabelled text.",
    )
    init_from_teacher: bool = Field(
        default=True,
        description="Start a new student from the teacher's weights where the shapes allow: every tensor of "
        "the same name and shape (student layer i from the teacher layer `layerwise` maps it to); the word, "
        "position and token-type embeddings projected onto the student's width by the teacher word "
        "embeddings' principal components when the widths differ. A local teacher of the same model type.",
    )
    layerwise: Layerwise | None = Field(
        default=None, description="Layer-wise distillation (off by default: it costs a teacher pass per batch).",
    )
    dev: DevSplit = Field(
        default_factory=DevSplit, description="Where agreement is checked every epoch: 5% of the transfer set.",
    )
    patience: int | None = Field(
        default=3, ge=1, le=1000,
        description="Stop after this many epochs without a better dev score (agreement with the teacher; on a "
        "tie, the lower dev cross-entropy against the teacher's label); the best epoch's student is kept either "
        "way. None: train every epoch, still keeping the best.",
    )
