"""`local` and `hub` models: a transformers model in a folder of the project (a hub snapshot
is one too, pinned by its commit), sequence classification or a causal LM.

Weights load from safetensors only (`use_safetensors=True`, never pickle), with
`trust_remote_code` exactly as the manifest says (off unless it opts in), from local files
only. They run on CUDA when present, else CPU. torch and transformers are imported inside
`load()`, never at module import."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from standards import is_placeholder
from standards.hashing import artifact_files

from ..._errors import AdapterError, first_line
from . import adapter
from ._base import Adapter, Prediction, Settings, pad_batch, torch_device


def model_folder(project_dir: Path, rel: str) -> Path:
    """A model folder inside the project, refusing one whose files (or links) lead outside it."""
    root = project_dir.resolve()
    p = (project_dir / rel).resolve()
    if p != root and root not in p.parents:
        raise AdapterError(f"{rel}: resolves outside the project ({p})")
    for f in artifact_files(p) if p.is_dir() else []:
        real = f.resolve()
        if real != root and root not in real.parents:
            raise AdapterError(f"{rel}: {f.relative_to(p).as_posix()} is a link to {real}, outside the project; "
                               "copy the file into the project instead")
    return p


#: The files a saved tokenizer leaves in a model folder (one is enough).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "tokenizer.model",
                   "spiece.model", "sentencepiece.bpe.model")


class _Local(Adapter):
    kind = "local"
    keeps_contract = True  # a softmax over the manifest's labels, whose count load checks
    batch_by_length = True
    takes_batch_size = True
    runs_in_torch = True

    def _folder(self) -> Path:
        p = model_folder(self.project_dir, self.spec.path)
        if not p.is_dir():
            raise self._fail(f"{self.spec.path} is not a model folder")
        if not any(p.rglob("*.safetensors")):
            raise self._fail(f"no .safetensors weights in {self.spec.path}; Stillhouse loads safetensors only")
        if not any((p / name).is_file() for name in TOKENIZER_FILES):
            # transformers would build an almost empty tokenizer from config.json alone, and every
            # word would become [UNK]: a report whose figures look real and mean nothing
            raise self._fail(f"no tokenizer in {self.spec.path} (none of {', '.join(TOKENIZER_FILES)}); "
                             "save it beside the model: tokenizer.save_pretrained(folder)")
        return p

    def _load(self, auto_name: str) -> None:
        from ..._extras import require_models
        from .._data import offline_hub

        require_models(f"the {self.role} ({self.spec.kind})")
        offline_hub()
        import torch
        import transformers

        from ..._extras import quiet_libraries

        quiet_libraries()
        folder = self._folder()
        remote = bool(getattr(self.spec, "trust_remote_code", False))
        self.device = torch_device()
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(
                folder, local_files_only=True, trust_remote_code=remote)
            auto = getattr(transformers, auto_name)
            self.model = auto.from_pretrained(folder, local_files_only=True, use_safetensors=True,
                                              trust_remote_code=remote)
        except Exception as exc:  # transformers raises OSError, ValueError, KeyError, ...
            raise self._fail(f"cannot load {self.spec.path}: {first_line(exc)}") from None
        self.model.to(self.device).eval()
        self._torch = torch
        self.folder = folder
        # Inputs are cut at what the model accepts: the manifest's token limit, the model's
        # position embeddings, its tokenizer's limit, 512 at most (a longer input would crash
        # the model's forward pass, not just cost time).
        limits = [getattr(self.tokenizer, "model_max_length", 512) or 512,
                  getattr(self.model.config, "max_position_embeddings", 512) or 512, 512]
        if self.settings.max_length is not None:
            limits.append(self.settings.max_length)
        self.max_length = int(min(limits))

    def parameters(self) -> int | None:
        model = getattr(self, "model", None)
        return int(sum(p.numel() for p in model.parameters())) if model is not None else super().parameters()

    def size_bytes(self) -> int | None:
        p = (self.project_dir / self.spec.path).resolve()
        return sum(f.stat().st_size for f in artifact_files(p)) if p.exists() else None


class LocalClassifier(_Local):
    """Sequence classification: the label with the highest probability, and every probability."""

    def load(self) -> None:
        self._load("AutoModelForSequenceClassification")
        n = int(self.model.config.num_labels)
        labels = self.settings.labels
        id2label = self.model.config.id2label
        theirs = [str(id2label[i]) for i in range(n)]
        if labels is None:
            labels = theirs
        elif len(labels) != n:
            raise self._fail(f"{self.spec.path} has {n} output labels but the manifest's `labels` lists "
                             f"{len(labels)}: {', '.join(labels)}")
        elif theirs != labels and theirs != [f"LABEL_{i}" for i in range(n)]:  # transformers' unnamed default
            # each output would be scored as another class, with no error anywhere
            raise self._fail(f"{self.spec.path}/config.json id2label names its outputs {', '.join(theirs)}; "
                             f"the manifest's `labels` are {', '.join(labels)}: list them in the model's output "
                             "order (distill refuses the same mismatch)")
        self.labels = labels

    def predict(self, ids: list[str], inputs: list[str]) -> list[Prediction]:
        enc = self.tokenizer(inputs, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        return self._classify(enc)

    def predict_batches(self, ids: list[str], inputs: list[str],
                        batches: list[list[int]]) -> Iterator[tuple[list[int], list[Prediction]]]:
        """Tokenize every row of ``batches`` in one call, then pad batch by batch: the fast
        tokenizer's per-call cost and transformers' tensor conversion are paid once, not per
        batch (half the tokenizing time of `predict` on 32-row batches of short messages).
        The padded tensors are those `predict` builds (tested)."""
        enc = self.tokenizer([inputs[i] for batch in batches for i in batch], truncation=True,
                             max_length=self.max_length)
        start = 0
        for batch in batches:  # batch k's token lists follow batch k-1's
            end = start + len(batch)
            features = {name: values[start:end] for name, values in enc.items()}
            yield batch, self._classify(pad_batch(self.tokenizer, features))
            start = end

    def _classify(self, enc: Any) -> list[Prediction]:
        torch = self._torch
        enc = {k: v.to(self.device) for k, v in enc.items()}
        with torch.inference_mode():
            logits = self.model(**enc).logits                     # (batch, labels)
            probs = torch.softmax(logits.float(), dim=-1).cpu()
        top = probs.argmax(dim=-1).tolist()
        # Probabilities kept to 7 decimals. torch rounds exactly as Python's round(x, 7) here:
        # a float32 value times 1e7 is exact in float64 (24 + 17 significant bits), so both
        # pick the same integer (half to even) and divide it by 1e7 correctly rounded; a test
        # compares the two (rounding in torch saves a Python call per value).
        rows = torch.round(probs.double(), decimals=7).tolist()
        return [Prediction(self.labels[t], tuple(row)) for t, row in zip(top, rows)]


class LocalGenerator(_Local):
    """Causal-LM generation: greedy, `max_new_tokens` from the manifest, left-padded batches."""

    def load(self) -> None:
        self._load("AutoModelForCausalLM")
        tok = self.tokenizer
        tok.padding_side = "left"
        if tok.pad_token is None:
            if tok.eos_token is None:
                raise self._fail(f"the tokenizer in {self.spec.path} has neither a pad nor an eos token")
            tok.pad_token = tok.eos_token

    def predict(self, ids: list[str], inputs: list[str]) -> list[Prediction]:
        torch = self._torch
        prompts = [self.settings.prompt(x) for x in inputs]
        enc = self.tokenizer(prompts, padding=True, truncation=True, max_length=self.max_length,
                             return_tensors="pt", return_token_type_ids=False)
        enc = {k: v.to(self.device) for k, v in enc.items()}
        s = self.settings
        sampling: dict[str, Any] = {"do_sample": False}
        if s.samples:
            # Seeded from the repeat's seed and the batch's first id, so a resumed run and a
            # batch recomputed elsewhere draw the same answers.
            torch.manual_seed(int(hashlib.sha256(f"{s.seed}/{ids[0]}".encode()).hexdigest()[:15], 16))
            sampling = {"do_sample": True, "temperature": s.temperature, "top_p": s.top_p}
        with torch.inference_mode():
            out = self.model.generate(**enc, num_beams=1, max_new_tokens=s.max_new_tokens,
                                      pad_token_id=self.tokenizer.pad_token_id, **sampling)
        new = out[:, enc["input_ids"].shape[1]:]                    # (batch, generated tokens)
        texts = self.tokenizer.batch_decode(new, skip_special_tokens=True)
        return [Prediction(t.strip()) for t in texts]




def _local(role: str, spec: Any, settings: Settings, project_dir: Path) -> Adapter:
    if is_placeholder(spec.path):
        raise AdapterError(f"{role}.path is a placeholder: {spec.path}")
    cls: type[_Local] = LocalGenerator if settings.task == "generation" else LocalClassifier
    return cls(role, spec, settings, project_dir)


@adapter("local")
def local_adapter(role: str, spec: Any, settings: Settings, project_dir: Path) -> Adapter:
    """A model folder of the project: a classifier or a causal LM, by the manifest's task."""
    return _local(role, spec, settings, project_dir)


@adapter("hub")
def hub_adapter(role: str, spec: Any, settings: Settings, project_dir: Path) -> Adapter:
    """A hub snapshot already on disk, read exactly like a local folder (never fetched)."""
    return _local(role, spec, settings, project_dir)
