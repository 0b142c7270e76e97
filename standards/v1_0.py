"""Standards 1.0: the project manifest as first released.

A project is a folder with one ``stillhouse.yaml``. Every relative path in it resolves
inside that folder. Field descriptions here are the ones the docs site renders.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field, field_validator, model_validator

from ._base import Fraction, ManifestModel, Placeholder, Slug, is_placeholder
from .hashing import is_sha256

VERSION = "1.0"

#: Fields that later versions renamed: old dotted path -> (new dotted path, version).
#: 1.0 is the first release, so nothing was renamed before it.
RENAMED: dict[str, tuple[str, str]] = {}


class Task(str, Enum):
    """What the model does."""

    classification = "classification"
    generation = "generation"


class Owner(ManifestModel):
    """Who answers for the model: a named person, their team and a backup."""

    handle: str = Field(min_length=1, description="The owner's handle (a person, not a team alias).")
    team: str = Field(min_length=1, description="The team that owns the model.")
    backup: str | None = Field(
        default=None, description="A second person who can act when the owner is away (OWN-002)."
    )


class _ModelBase(ManifestModel):
    """What every model kind has. A kind says what it is through class attributes (its
    capabilities) and two methods, `pin` and `pin_problem`, so no code outside the kind's
    own class and its adapter tests the `kind` string."""

    #: What lies on disk for this kind: "folder" (a model folder), "file" (one file) or "none".
    files: ClassVar[str] = "none"
    #: True when the kind's files are model weights (SAFE-001 reads them).
    weights: ClassVar[bool] = False
    #: True when the kind is pinned by the artifact hash in `sha256` (always present).
    hashed: ClassVar[bool] = False

    family: str | None = Field(
        default=None,
        description="Teacher family this model belongs to, matched against the fleet's "
        "`teachers.yaml` to detect a moved teacher.",
    )
    parameters: int | Placeholder | None = Field(
        default=None, description="Parameter count, if known; the report measures it for local models."
    )

    def pin(self) -> str:  # pragma: no cover - every kind defines it
        """The canonical pin string recorded in reports and compared by the fleet."""
        raise NotImplementedError

    def pin_problem(self) -> str | None:  # pragma: no cover - every kind defines it
        """Why this model is not pinned immutably (TEACH-001), or None when it is."""
        raise NotImplementedError

    def _sha256_problem(self) -> str | None:
        value = getattr(self, "sha256", None)
        if is_placeholder(value):
            return f"sha256 is a placeholder: {value}"
        if not is_sha256(value):
            return f"sha256 must be 64 hex digits, found {value!r}"
        return None


#: Names a moving version; never an immutable pin (TEACH-001).
FLOATING = frozenset({"latest", "main", "master", "head", "dev", "develop", "stable", "current", "default",
                      "trunk", "nightly"})
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_DATED = re.compile(r"(?<!\d)(20\d\d)-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)")


class LocalModel(_ModelBase):
    """A transformers model in a folder of the project: config, tokenizer, safetensors weights."""

    files: ClassVar[str] = "folder"
    weights: ClassVar[bool] = True
    hashed: ClassVar[bool] = True

    kind: Literal["local"] = Field(description="`local`: a folder inside the project.")
    path: str = Field(description="Folder of the model, relative to the project.")
    sha256: str = Field(
        description="Artifact hash of the folder (`stillhouse hash PATH` prints it): pins the weights."
    )
    trust_remote_code: bool = Field(
        default=False,
        description="Allow the model's own Python code to run. Off by default; flagged for review (SAFE-002).",
    )

    def pin(self) -> str:
        return f"sha256:{self.sha256.lower()}"

    def pin_problem(self) -> str | None:
        return self._sha256_problem()


class HubModel(_ModelBase):
    """A hub-style model, pinned by a full commit and read from a local snapshot (no network)."""

    files: ClassVar[str] = "folder"
    weights: ClassVar[bool] = True

    kind: Literal["hub"] = Field(description="`hub`: a hub repository snapshot already on disk.")
    repo: str = Field(description="Repository name, e.g. `org/model`.")
    revision: str = Field(description="Full 40-hex commit of the snapshot; never a branch name (TEACH-001).")
    path: str = Field(description="Folder of the local snapshot, relative to the project.")
    trust_remote_code: bool = Field(default=False, description="As for local models; flagged for review.")

    def pin(self) -> str:
        return f"{self.repo}@{self.revision}"

    def pin_problem(self) -> str | None:
        rev = self.revision
        if is_placeholder(rev):
            return f"revision is a placeholder: {rev}"
        if rev.strip().lower() in FLOATING:
            return f"revision {rev!r} is a moving branch; pin the full 40-hex commit"
        if not _COMMIT.match(rev):
            return f"revision must be a full 40-hex commit, found {rev!r}"
        return None


class Pricing(ManifestModel):
    """Price of an endpoint, per 1,000 tokens."""

    usd_per_1k_input_tokens: float = Field(ge=0, description="USD per 1,000 prompt tokens.")
    usd_per_1k_output_tokens: float = Field(ge=0, description="USD per 1,000 completion tokens.")


#: What a `base_url` with a user name or password is refused for; an error shows no such URL.
URL_WITHOUT_CREDENTIALS = ("a URL without a user name or password; put the key in an environment variable "
                           "named by api_key_env")


class EndpointModel(_ModelBase):
    """An OpenAI-compatible chat-completions endpoint (vLLM, TGI, a hosted API)."""

    kind: Literal["endpoint"] = Field(description="`endpoint`: an OpenAI-compatible HTTP server.")
    base_url: str = Field(description="Base URL, e.g. `http://127.0.0.1:8000/v1`.")
    model: str = Field(
        description="Dated model version, e.g. `gpt-4o-2024-08-06`; `latest` fails TEACH-001."
    )
    api_key_env: str | None = Field(
        default=None,
        description="Name of the environment variable holding the API key; the key itself is never stored.",
    )
    pricing: Pricing | None = Field(default=None, description="Token prices for the cost per call.")
    max_concurrency: int = Field(default=8, ge=1, le=256, description="Requests in flight at once.")
    timeout_s: float = Field(default=60.0, gt=0, le=3600, description="Timeout of one request, in seconds.")
    max_retries: int = Field(default=4, ge=0, le=20, description="Retries on 429, 5xx and timeouts, with backoff.")

    @field_validator("base_url")
    @classmethod
    def _a_plain_http_url(cls, v: str) -> str:
        if is_placeholder(v):
            return v  # MAN-001 names it
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(v.strip())
            port = parts.port
        except ValueError:
            raise ValueError("an http(s) URL such as http://127.0.0.1:8000/v1 (a port from 1 to 65535)") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("an http(s) URL with a host, such as http://127.0.0.1:8000/v1")
        if parts.username is not None or parts.password is not None:
            # reports name the endpoint: a password in the URL would be published with them
            raise ValueError(URL_WITHOUT_CREDENTIALS)
        del port
        return v

    def pin(self) -> str:
        return f"endpoint:{self.model}"

    def pin_problem(self) -> str | None:
        model = self.model
        if is_placeholder(model):
            return f"model is a placeholder: {model}"
        low = model.strip().lower()
        if low in FLOATING or any(low.endswith(sep + f) for f in FLOATING for sep in "-:@/"):
            return f"model {model!r} floats; name a dated model version (e.g. gpt-4o-2024-08-06)"
        if not _DATED.search(model):
            return f"model {model!r} has no date; name a dated model version (e.g. gpt-4o-2024-08-06)"
        return None


class RecordedModel(_ModelBase):
    """A predictions file: a teacher that answered once and is kept forever."""

    files: ClassVar[str] = "file"
    hashed: ClassVar[bool] = True

    kind: Literal["recorded"] = Field(description="`recorded`: a JSONL file of outputs keyed by example id.")
    path: str = Field(description="JSONL file, relative to the project: `{id, output, probs?}` per line.")
    sha256: str = Field(description="sha256 of the file: pins the recorded answers.")
    source: str = Field(min_length=1, description="What produced the answers, with its own pin.")

    def pin(self) -> str:
        return f"sha256:{self.sha256.lower()}"

    def pin_problem(self) -> str | None:
        return self._sha256_problem()


class CallableModel(_ModelBase):
    """An in-house model exposed as a Python function `module:function`."""

    kind: Literal["callable"] = Field(description="`callable`: a Python function taking a list of inputs.")
    target: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$", description="`module:function`.")
    version: str = Field(min_length=1, description="Version of the code behind the function; pins it.")

    def pin(self) -> str:
        return f"{self.target}@{self.version}"

    def pin_problem(self) -> str | None:
        v = self.version
        if is_placeholder(v):
            return f"version is a placeholder: {v}"
        if v.strip().lower() in FLOATING:
            return f"version {v!r} floats; name a release or commit"
        return None


ModelSpec = Annotated[
    Union[LocalModel, HubModel, EndpointModel, RecordedModel, CallableModel],
    Field(discriminator="kind"),
]


class EvalFields(ManifestModel):
    """Which columns of the eval set hold the id, the input and the gold label."""

    id: str = Field(default="id", description="Column with a unique example id.")
    input: str = Field(default="text", description="Column with the model input.")
    label: str | None = Field(
        default="label",
        description="Column with the gold label (classification) or reference output (generation).",
    )


class EvalSet(ManifestModel):
    """The frozen eval set: a file pinned by its content hash."""

    path: str = Field(description="JSONL, CSV or Parquet file (or a saved dataset folder), relative to the project.")
    sha256: str = Field(description="sha256 of the file's bytes; any change to the set changes it (EVAL-002).")
    rows: int | Placeholder = Field(description="Number of examples; checked against the file.")
    fields: EvalFields = Field(default_factory=EvalFields, description="Column names.")


class TextLength(ManifestModel):
    """Bounds on the input's length, in words or characters (inclusive)."""

    min_words: int | None = Field(default=None, ge=0)
    max_words: int | None = Field(default=None, ge=0)
    min_chars: int | None = Field(default=None, ge=0)
    max_chars: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _some_bound(self) -> TextLength:
        if all(v is None for v in (self.min_words, self.max_words, self.min_chars, self.max_chars)):
            raise ValueError("at least one of min_words, max_words, min_chars, max_chars")
        return self


class Range(ManifestModel):
    """A numeric range, inclusive at both ends."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("`min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ≤ `max` (min is {self.min}, max is {self.max})")
        return self


class SliceRule(ManifestModel):
    """A declarative rule selecting rows of the eval set. Exactly one test per rule; never code.

    `column` names the column the test reads (default: the input field for
    `text_length` and `matches`). `all_of` combines rules.
    """

    column: str | None = Field(default=None, description="Column the test reads.")
    equals: str | int | float | bool | None = Field(default=None, description="Value equals this.")
    one_of: list[str | int | float | bool] | None = Field(default=None, description="Value is one of these.")
    range: Range | None = Field(default=None, description="Numeric value within this range.")
    text_length: TextLength | None = Field(default=None, description="Text length within bounds.")
    matches: str | None = Field(default=None, description="Text matches this regular expression (search).")
    all_of: list[SliceRule] | None = Field(default=None, description="Every one of these rules holds.")

    @model_validator(mode="after")
    def _exactly_one(self) -> SliceRule:
        tests = [k for k in ("equals", "one_of", "range", "text_length", "matches", "all_of")
                 if getattr(self, k) is not None]
        if len(tests) != 1:
            raise ValueError(
                "a rule with exactly one of equals, one_of, range, text_length, matches, all_of "
                f"(this one has {', '.join(tests) if tests else 'none'})"
            )
        if tests[0] in ("equals", "one_of", "range") and self.column is None:
            raise ValueError(f"a `column` for `{tests[0]}` to read")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"a valid regular expression in `matches` ({exc})") from None
        return self


RESERVED_SLICES = ("all", "*")


class Slice(ManifestModel):
    """A named subset of the eval set that gets its own figures and bars."""

    name: Slug = Field(description="Slice name; `all` (the whole set) and `*` are reserved.")
    description: str | None = Field(default=None, description="What the slice stands for and why it matters.")
    rule: SliceRule = Field(description="Which rows belong to the slice.")

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v in RESERVED_SLICES:
            raise ValueError(f"a name other than `{v}`, which is reserved for the whole eval set")
        return v


class Metric(str, Enum):
    """What a quality bar measures."""

    accuracy = "accuracy"
    agreement = "agreement"
    token_f1 = "token_f1"


class Level(str, Enum):
    """How binding a requirement or bar is."""

    must = "must"
    should = "should"


class QualityBar(ManifestModel):
    """The minimum quality on one slice (`all`: the whole set; `*`: the whole set and every slice)."""

    slice: str = Field(description="A declared slice, `all`, or `*` for every slice and the whole set.")
    metric: Metric = Field(
        description="`accuracy`: student vs gold labels (exact match vs reference for generation); "
        "`agreement`: student vs teacher; `token_f1`: token F1 vs the teacher's output."
    )
    minimum: Fraction | None = Field(default=None, description="Lowest acceptable value, 0 to 1.")
    max_drop_vs_teacher: Fraction | None = Field(
        default=None,
        description="Largest allowed drop of the student below the teacher on this metric "
        "(accuracy only), judged with a paired test at `confidence`.",
    )
    min_examples: int = Field(default=30, ge=1, description="A slice with fewer examples fails the bar.")
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0, description="Confidence of the paired comparison.")
    level: Level = Field(default=Level.must, description="`must` bars gate; `should` bars warn.")

    @model_validator(mode="after")
    def _has_threshold(self) -> QualityBar:
        if self.minimum is None and self.max_drop_vs_teacher is None:
            raise ValueError("a bar with `minimum`, `max_drop_vs_teacher` or both")
        if self.max_drop_vs_teacher is not None and self.metric is not Metric.accuracy:
            raise ValueError("`max_drop_vs_teacher` only with metric `accuracy`")
        return self


class Budgets(ManifestModel):
    """What the student may cost to serve."""

    latency_p95_ms: float | None = Field(default=None, gt=0, description="p95 latency per call at batch size 1, ms.")
    cost_per_1k_calls_usd: float | None = Field(default=None, ge=0, description="USD per 1,000 calls.")


class CostModel(ManifestModel):
    """How time on hardware becomes money for local models."""

    usd_per_hour: float = Field(ge=0, description="Price of the serving hardware per hour, USD.")


class Generation(ManifestModel):
    """Generation settings (generation tasks); part of the teacher-output cache key."""

    prompt_template: str = Field(default="{input}", description="Python format string with `{input}`.")
    max_new_tokens: int = Field(default=32, ge=1, le=4096, description="Greedy decoding length limit.")

    @field_validator("prompt_template")
    @classmethod
    def _has_input(cls, v: str) -> str:
        if "{input}" not in v:
            raise ValueError("a template containing `{input}`")
        return v


class DriftTrigger(ManifestModel):
    """Redistil when agreement (or accuracy) in production drops this far below the eval baseline."""

    metric: Literal["agreement", "accuracy"] = Field(default="agreement")
    max_drop: Fraction = Field(description="Largest allowed drop below the eval baseline, e.g. 0.03.")


class Triggers(ManifestModel):
    """When the model must be redistilled."""

    teacher_change: bool = Field(default=True, description="Redistil when the teacher family's pin moves.")
    drift: DriftTrigger | None = Field(default=None, description="Redistil when production drifts past this.")
    cadence_days: int | None = Field(default=None, ge=1, description="Re-evaluate at least this often.")


class Monitoring(ManifestModel):
    """How production behaviour is watched."""

    sample_path: str | None = Field(
        default=None, description="Production sample (JSONL or Parquet), relative to the project."
    )
    spot_check_share: Fraction = Field(
        default=0.0, description="Share of production calls the teacher also answers, for agreement."
    )
    window_days: int = Field(default=7, ge=1, description="Width of one drift window, in days.")


class Status(str, Enum):
    """Where the model is in its life."""

    experimental = "experimental"
    in_review = "in_review"
    production = "production"
    deprecated = "deprecated"
    retired = "retired"


class Lifecycle(ManifestModel):
    """Status and its dates."""

    status: Status = Field(description="experimental, in_review, production, deprecated or retired.")
    created: dt.date = Field(description="Day the project's first manifest was written.")
    end_date: dt.date | None = Field(default=None, description="Deprecated models: the day it stops serving.")
    replacement: str | None = Field(default=None, description="Deprecated/retired: the model that replaces it.")
    retired_on: dt.date | None = Field(default=None, description="Retired models: the day it was retired.")
    retirement_reason: str | None = Field(default=None, description="Retired models: why (LIFE-002).")


class Approval(ManifestModel):
    """A reviewer's sign-off against a version of the review checklist."""

    reviewer: str = Field(min_length=1, description="Reviewer's handle.")
    date: dt.date = Field(description="Day of the approval.")
    checklist_version: str = Field(description="Standards version of the checklist the reviewer used.")


class ManifestV1_0(ManifestModel):
    """A distillation project, as declared in its `stillhouse.yaml` (standards 1.0)."""

    standards_version: Literal["1.0"] = Field(description="The standards version this manifest follows.")
    name: Slug = Field(description="The model's name, unique in the fleet.")
    task: Task = Field(description="`classification` or `generation`.")
    owner: Owner = Field(description="The named owner, their team and a backup.")
    labels: list[str] | None = Field(
        default=None, description="Classification: the label set, in the models' output order."
    )
    teacher: ModelSpec = Field(description="The teacher and its immutable pin.")
    student: ModelSpec = Field(description="The student artifact and its hash.")
    eval_set: EvalSet = Field(description="The frozen eval set.")
    slices: list[Slice] = Field(default_factory=list, description="Declared slices of the eval set.")
    quality_bars: list[QualityBar] = Field(default_factory=list, description="The minimum quality per slice.")
    budgets: Budgets = Field(default_factory=Budgets, description="Latency and cost budgets of the student.")
    cost_model: CostModel | None = Field(default=None, description="Hardware price for local models.")
    generation: Generation | None = Field(default=None, description="Generation settings (generation tasks).")
    triggers: Triggers = Field(default_factory=Triggers, description="Redistillation triggers.")
    monitoring: Monitoring = Field(default_factory=Monitoring, description="Production monitoring.")
    lifecycle: Lifecycle = Field(description="Lifecycle status and dates.")
    approvals: list[Approval] = Field(default_factory=list, description="Review approvals.")

    @field_validator("slices")
    @classmethod
    def _unique_slices(cls, v: list[Slice]) -> list[Slice]:
        seen: set[str] = set()
        for s in v:
            if s.name in seen:
                raise ValueError(f"unique slice names (`{s.name}` is declared twice)")
            seen.add(s.name)
        return v

    @field_validator("labels")
    @classmethod
    def _unique_labels(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and len(set(v)) != len(v):
            twice = next(label for i, label in enumerate(v) if label in v[:i])
            raise ValueError(f"unique labels (`{twice}` is listed twice)")
        return v


def migrate_to_next(data: dict[str, Any]) -> dict[str, Any]:
    """Carry a 1.0 manifest forward to 1.1: the version string and one renamed field."""
    out = dict(data)
    out["standards_version"] = "1.1"
    mon = out.get("monitoring")
    if isinstance(mon, dict) and "sample_path" in mon:
        mon = dict(mon)
        mon["production_sample"] = mon.pop("sample_path")
        out["monitoring"] = mon
    return out


Manifest = ManifestV1_0
