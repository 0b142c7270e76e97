"""What every adapter shares: the `Adapter` base class with its capabilities, one model
output (`Prediction`), the output-changing settings of a run (`Settings`), and padding of
token lists into tensors (`pad_batch`)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from ..._errors import AdapterError

class Prediction(NamedTuple):
    """One model output for one example, immutable. `probs` is a tuple of floats: the garbage
    collector stops tracking such a tuple once it has seen it, and an eval holds one per row
    per model, which as lists every full collection would walk."""

    output: str
    probs: tuple[float, ...] | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"output": self.output}
        for k in ("probs", "input_tokens", "output_tokens"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Prediction:
        probs = d.get("probs")
        return cls(output=d["output"], probs=tuple(probs) if probs is not None else None,
                   input_tokens=d.get("input_tokens"), output_tokens=d.get("output_tokens"))


@dataclass
class Settings:
    """Everything about a run that changes a model's outputs (and so is in the cache key)."""

    task: str
    labels: list[str] | None
    prompt_template: str
    max_new_tokens: int
    max_length: int | None
    #: 0: greedy decoding. Above 0 the model samples, seeded by `seed` (one seed per repeat).
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0

    @property
    def samples(self) -> bool:
        return self.temperature > 0

    def prompt(self, text: str) -> str:
        return self.prompt_template.replace("{input}", text)

    def decoding(self) -> dict[str, object]:
        """How answers are decoded, as the output cache keys it."""
        if not self.samples:
            return {"decoding": "greedy"}
        return {"decoding": "sample", "temperature": self.temperature, "top_p": self.top_p, "seed": self.seed}


#: How far from 1 a model's probabilities may sum (they are never silently renormalised).
PROB_TOLERANCE = 1e-3


def probs_problem(probs: Any, labels: list[str] | None) -> str | None:
    """What a model's probabilities should have been, or None when they are fine: numbers,
    finite, non-negative, one per label (``labels``, when given), summing to 1."""
    if not isinstance(probs, (list, tuple)) or not probs:
        return "a list of numbers"
    for x in probs:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return "a list of numbers"
        if not math.isfinite(x):
            return "finite probabilities (found NaN or infinity)"
        if x < 0:
            return "probabilities of at least 0 (found a negative one)"
    if labels is not None and len(probs) != len(labels):
        return f"{len(labels)} probabilities (one per label), found {len(probs)}"
    total = math.fsum(probs)
    if abs(total - 1.0) > PROB_TOLERANCE:
        return f"probabilities that sum to 1 (within {PROB_TOLERANCE:g}); they sum to {total:.6g}"
    return None


def answers_problem(ids: Sequence[str], preds: Sequence[Prediction | None], settings: Settings) -> str | None:
    """Why the first answer that breaks the task's contract does (a label the manifest does
    not list, probabilities that are not a distribution over its labels), naming its row;
    None when every answer keeps it. A model's answers are checked before they are cached or
    scored, as `stillhouse record` checks a recording."""
    labels = settings.labels if settings.task == "classification" and settings.labels else None
    known = set(labels) if labels else None
    for rid, p in zip(ids, preds):
        if p is None:
            continue
        if not isinstance(p.output, str):
            return f"row {rid!r}: expected an answer as text; found {p.output!r:.80}"
        if known is not None and p.output not in known:
            return (f"row {rid!r}: expected one of the manifest's labels ({', '.join(labels or [])}); "
                    f"found {p.output!r:.80}")
        if p.probs is not None:
            problem = probs_problem(p.probs, labels)
            if problem:
                return f"row {rid!r}: probs: expected {problem}; found {list(p.probs)!r:.80}"
    return None


class Adapter:
    """Base of every adapter. A kind's behaviour in an evaluation run is said by these class
    attributes, never by testing its `kind` string."""

    kind: ClassVar[str] = "?"
    #: "batch1": the harness times calls at batch size 1; "per-call": the adapter records
    #: each call's time while it runs (endpoints); None: no latency (recorded answers).
    latency_mode: ClassVar[str | None] = "batch1"
    #: Rows of similar length share a batch: a model that pads each batch to its longest
    #: input wastes little on padding that way. Outputs still come back in file order.
    batch_by_length: ClassVar[bool] = False
    #: `--batch-size` applies (local models and callables); other kinds size their own batches.
    takes_batch_size: ClassVar[bool] = False
    #: The model runs in torch in this process: CPU threads are set for the latency calls.
    runs_in_torch: ClassVar[bool] = False
    #: The answers carry token counts, and cost is priced per token (endpoints).
    priced_by_tokens: ClassVar[bool] = False
    #: Answers keep the task's contract by construction (a softmax over the manifest's labels,
    #: a recording checked when read), so `answers_problem` need not check them again.
    keeps_contract: ClassVar[bool] = False
    batch_size = 32
    device = "cpu"

    def __init__(self, role: str, spec: Any, settings: Settings, project_dir: Path):
        self.role, self.spec, self.settings, self.project_dir = role, spec, settings, project_dir
        self.call_seconds: list[float] = []
        self.input_tokens = 0
        self.output_tokens = 0

    def load(self) -> None:
        """Load the model (heavy work happens here, not in __init__)."""

    def predict(self, ids: list[str], inputs: list[str]) -> list[Prediction]:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_batches(self, ids: list[str], inputs: list[str],
                        batches: list[list[int]]) -> Iterator[tuple[list[int], list[Prediction]]]:
        """Outputs for each batch of row positions (indices into ``ids`` and ``inputs``), in
        turn: what an evaluation pass calls. By default one `predict` per batch; an adapter
        with per-row work that is cheaper done once for all the batches overrides it."""
        for rows in batches:
            yield rows, self.predict([ids[i] for i in rows], [inputs[i] for i in rows])

    def parameters(self) -> int | None:
        p = getattr(self.spec, "parameters", None)
        return p if isinstance(p, int) else None

    def size_bytes(self) -> int | None:
        return None

    def _fail(self, what: str) -> AdapterError:
        return AdapterError(f"{self.role} ({getattr(self.spec, 'kind', self.kind)}): {what}")


def torch_device() -> str:
    """Where local models run: CUDA when present, else the CPU."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def pad_batch(tok: Any, features: dict[str, list[list[int]]], rows: list[int] | None = None) -> Any:
    """Token lists to the tensors `tokenizer(..., padding=True, return_tensors="pt")`
    returns: every list padded to the longest, on the tokenizer's padding side. With
    ``rows``, only those positions of ``features`` (e.g. a whole set tokenized once), in
    that order. Tokenizing a set once and padding each batch with this makes batches cheap."""
    import torch

    if rows is not None:
        features = {name: [values[i] for i in rows] for name, values in features.items()}
    pad_values = {"input_ids": tok.pad_token_id, "attention_mask": 0,
                  "token_type_ids": getattr(tok, "pad_token_type_id", 0)}
    if any(pad_values.get(name) is None for name in features):
        # no pad token, or a model input we do not know how to pad: transformers decides
        return tok.pad(features, padding=True, return_tensors="pt")
    width = max(len(ids) for ids in features["input_ids"])
    left = tok.padding_side == "left"
    out = {}
    for name, seqs in features.items():
        v = pad_values[name]
        out[name] = torch.tensor([[v] * (width - len(x)) + x if left else x + [v] * (width - len(x)) for x in seqs],
                                 dtype=torch.long)
    return out
