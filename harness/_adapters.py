"""Adapters: each turns one kind of model into outputs for a batch of inputs.

    Adapter                      what it wraps
    ├── LocalClassifier          transformers sequence classification in a folder (labels, probabilities)
    ├── LocalGenerator           transformers causal LM in a folder (greedy, prompt template)
    ├── EndpointAdapter          an OpenAI-compatible chat-completions server (vLLM, TGI, hosted APIs)
    ├── RecordedAdapter          a JSONL file of answers keyed by example id
    └── CallableAdapter          a Python function `module:function`

Local models load from safetensors only (`use_safetensors=True`, never pickle), with
`trust_remote_code` exactly as the manifest says (off unless it opts in), from local
files only. They run on CUDA when present, else CPU. torch and transformers are imported
inside `load()`, never at module import.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standards import is_placeholder
from standards.hashing import artifact_files

from ._errors import AdapterError, ManifestError, Problem


@dataclass
class Prediction:
    """One model output for one example."""

    output: str
    probs: list[float] | None = None
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
        return cls(output=d["output"], probs=d.get("probs"), input_tokens=d.get("input_tokens"),
                   output_tokens=d.get("output_tokens"))


@dataclass
class Settings:
    """Everything about a run that changes a model's outputs (and so is in the cache key)."""

    task: str
    labels: list[str] | None
    prompt_template: str
    max_new_tokens: int
    max_length: int | None

    def prompt(self, text: str) -> str:
        return self.prompt_template.replace("{input}", text)


class Adapter:
    """Base of every adapter."""

    kind = "?"
    #: "batch1": the harness times calls at batch size 1; "per-call": the adapter records
    #: each call's time while it runs (endpoints); None: no latency (recorded answers).
    latency_mode: str | None = "batch1"
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
        return AdapterError(f"{self.role} ({self.kind}): {what}")


# --- local transformers models ----------------------------------------------------------------


def torch_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class _Local(Adapter):
    kind = "local"

    def _folder(self) -> Path:
        p = (self.project_dir / self.spec.path).resolve()
        if not p.is_dir():
            raise self._fail(f"{self.spec.path} is not a model folder")
        if not any(p.rglob("*.safetensors")):
            raise self._fail(f"no .safetensors weights in {self.spec.path}; Stillhouse loads safetensors only")
        return p

    def _load(self, auto_name: str) -> None:
        from ._data import offline_hub

        offline_hub()
        import torch
        import transformers

        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()
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
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise self._fail(f"cannot load {self.spec.path}: {msg}") from None
        self.model.to(self.device).eval()
        self._torch = torch
        self.folder = folder
        limit = self.settings.max_length
        if limit is None:
            limits = [getattr(self.tokenizer, "model_max_length", 512) or 512,
                      getattr(self.model.config, "max_position_embeddings", 512) or 512, 512]
            limit = int(min(limits))
        self.max_length = limit

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
        if labels is None:
            id2label = self.model.config.id2label
            labels = [str(id2label[i]) for i in range(n)]
        elif len(labels) != n:
            raise self._fail(f"{self.spec.path} has {n} output labels but the manifest's `labels` lists "
                             f"{len(labels)}: {', '.join(labels)}")
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
        # compares the two. Three times faster than rounding value by value in Python.
        rows = torch.round(probs.double(), decimals=7).tolist()
        return [Prediction(self.labels[t], row) for t, row in zip(top, rows)]


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
        with torch.inference_mode():
            out = self.model.generate(**enc, do_sample=False, num_beams=1,
                                      max_new_tokens=self.settings.max_new_tokens,
                                      pad_token_id=self.tokenizer.pad_token_id)
        new = out[:, enc["input_ids"].shape[1]:]                    # (batch, generated tokens)
        texts = self.tokenizer.batch_decode(new, skip_special_tokens=True)
        return [Prediction(t.strip()) for t in texts]


# --- recorded answers ---------------------------------------------------------------------------


class RecordedAdapter(Adapter):
    """Answers recorded once in a JSONL file: `{"id": ..., "output": ..., "probs": [...]?}`."""

    kind = "recorded"
    latency_mode = None
    batch_size = 4096

    def load(self) -> None:
        path = (self.project_dir / self.spec.path).resolve()
        self.answers: dict[str, Prediction] = {}
        labels = self.settings.labels
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise self._fail(f"cannot read {self.spec.path}: {exc}") from None
        for i, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{self.spec.path}:{i}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ManifestError([Problem(where, "", "a JSON object per line", f"invalid JSON ({exc.msg})")]) from None
            if not isinstance(obj, dict) or "id" not in obj or "output" not in obj:
                raise ManifestError([Problem(where, "", "an object with `id` and `output`", repr(obj)[:80])])
            probs = obj.get("probs")
            if probs is not None:
                if not isinstance(probs, list) or not all(isinstance(x, (int, float)) for x in probs):
                    raise ManifestError([Problem(where, "probs", "a list of numbers", repr(probs)[:80])])
                if labels is not None and len(probs) != len(labels):
                    raise ManifestError([Problem(where, "probs", f"{len(labels)} probabilities (one per label)",
                                                 f"{len(probs)}")])
            self.answers[str(obj["id"])] = Prediction(str(obj["output"]), probs)

    def predict(self, ids: list[str], inputs: list[str]) -> list[Prediction]:
        missing = [i for i in ids if i not in self.answers]
        if missing:
            raise self._fail(f"{self.spec.path} has no answer for {len(missing)} example(s), first {missing[0]!r}")
        return [self.answers[i] for i in ids]

    def size_bytes(self) -> int | None:
        p = (self.project_dir / self.spec.path).resolve()
        return p.stat().st_size if p.is_file() else None


# --- a Python callable ----------------------------------------------------------------------------


def _coerce(obj: Any, where: str) -> Prediction:
    if isinstance(obj, Prediction):
        return obj
    if isinstance(obj, str):
        return Prediction(obj)
    if isinstance(obj, dict) and "output" in obj:
        return Prediction(str(obj["output"]), obj.get("probs"))
    raise AdapterError(f"{where}: expected a string or {{'output': ..., 'probs': [...]}} per input, found {obj!r:.80}")


class CallableAdapter(Adapter):
    """A function `module:function` that takes a list of inputs and returns one answer per input:
    a string, or `{"output": ..., "probs": [...]}`. The project folder is on `sys.path` while
    it is imported, so a module beside the manifest works."""

    kind = "callable"

    def load(self) -> None:
        module_name, fn_name = self.spec.target.split(":")
        added = str(self.project_dir) not in sys.path
        if added:
            sys.path.insert(0, str(self.project_dir))
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise self._fail(f"cannot import {module_name!r} for {self.spec.target}: {exc}") from None
        finally:
            if added:
                sys.path.remove(str(self.project_dir))
        fn = getattr(module, fn_name, None)
        if not callable(fn):
            raise self._fail(f"{module_name} has no function {fn_name!r}")
        self.fn: Callable[[list[str]], list[Any]] = fn

    def predict(self, ids: list[str], inputs: list[str]) -> list[Prediction]:
        prompts = [self.settings.prompt(x) for x in inputs] if self.settings.task == "generation" else inputs
        try:
            out = list(self.fn(prompts))
        except AdapterError:
            raise
        except Exception as exc:
            raise self._fail(f"{self.spec.target} raised {type(exc).__name__}: {exc}") from None
        if len(out) != len(inputs):
            raise self._fail(f"{self.spec.target} returned {len(out)} answers for {len(inputs)} inputs")
        return [_coerce(o, self.spec.target) for o in out]


# --- an OpenAI-compatible endpoint -----------------------------------------------------------------


@dataclass
class _Attempt:
    status: str
    retry_after: float | None = None


class EndpointAdapter(Adapter):
    """Chat completions over HTTP, as vLLM, TGI and hosted APIs serve them.

    Requests run `max_concurrency` at a time; 429, 5xx, timeouts and dropped connections are
    retried up to `max_retries` times with exponential backoff and jitter (a `Retry-After`
    header is honoured, up to 30 s); other 4xx fail at once. Each call's time and token
    counts are recorded. The API key is read from the environment variable the manifest
    names, sent as a bearer token and never written anywhere."""

    kind = "endpoint"
    latency_mode = "per-call"
    backoff_s = 0.5
    max_backoff_s = 30.0

    def load(self) -> None:
        spec = self.spec
        self.url = spec.base_url.rstrip("/") + "/chat/completions"
        parsed = urllib.parse.urlparse(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise self._fail(f"base_url must be an http(s) URL, found {spec.base_url!r}")
        self.headers = {"Content-Type": "application/json", "User-Agent": "stillhouse-eval"}
        if spec.api_key_env:
            key = os.environ.get(spec.api_key_env)
            if not key:
                raise self._fail(f"the environment variable {spec.api_key_env} (named by {self.role}.api_key_env) "
                                 "is not set; export the API key there")
            self.headers["Authorization"] = f"Bearer {key}"
        handlers: list[Any] = []
        if parsed.hostname in ("127.0.0.1", "localhost", "::1"):
            handlers.append(urllib.request.ProxyHandler({}))
        self.opener = urllib.request.build_opener(*handlers)
        self.batch_size = max(spec.max_concurrency * 4, 16)
        self.device = f"endpoint {parsed.scheme}://{parsed.netloc}"
        self._lock = threading.Lock()
        self.retries = 0

    def _body(self, text: str) -> bytes:
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": [{"role": "user", "content": self.settings.prompt(text)}],
            "temperature": 0,
        }
        if self.settings.task == "generation":
            body["max_tokens"] = self.settings.max_new_tokens
        return json.dumps(body).encode("utf-8")

    def _label(self, text: str) -> str:
        labels = self.settings.labels
        if self.settings.task != "classification" or not labels:
            return text.strip()
        clean = text.strip().strip(".!\"'` ").lower()
        for lab in labels:
            if clean == lab.lower():
                return lab
        return text.strip()

    def _once(self, body: bytes) -> tuple[Prediction | None, _Attempt, float]:
        req = urllib.request.Request(self.url, data=body, headers=self.headers, method="POST")
        t0 = time.perf_counter()
        try:
            with self.opener.open(req, timeout=self.spec.timeout_s) as resp:
                raw = resp.read()
            elapsed = time.perf_counter() - t0
        except urllib.error.HTTPError as exc:
            retry_after = None
            if exc.headers and exc.headers.get("Retry-After"):
                try:
                    retry_after = float(exc.headers["Retry-After"])
                except ValueError:
                    retry_after = None
            exc.close()
            if exc.code == 429 or exc.code >= 500:
                return None, _Attempt(f"HTTP {exc.code}", retry_after), 0.0
            hint = f" (is {self.spec.api_key_env} right?)" if exc.code in (401, 403) and self.spec.api_key_env else ""
            raise self._fail(f"{self.url} answered HTTP {exc.code} {exc.reason}{hint}") from None
        except (TimeoutError, socket.timeout):
            return None, _Attempt(f"no answer within {self.spec.timeout_s} s"), 0.0
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, (TimeoutError, socket.timeout)):
                return None, _Attempt(f"no answer within {self.spec.timeout_s} s"), 0.0
            return None, _Attempt(f"connection failed: {reason}"), 0.0
        try:
            data = json.loads(raw)
            text = data["choices"][0]["message"]["content"]
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError):
            raise self._fail(f"{self.url} did not answer in the chat-completions format: {raw[:120]!r}") from None
        pred = Prediction(self._label(str(text or "")), None, usage.get("prompt_tokens"), usage.get("completion_tokens"))
        return pred, _Attempt("ok"), elapsed

    def call(self, text: str) -> Prediction:
        body = self._body(text)
        last = _Attempt("not tried")
        for attempt in range(self.spec.max_retries + 1):
            pred, last, elapsed = self._once(body)
            if pred is not None:
                with self._lock:
                    self.call_seconds.append(elapsed)
                    self.input_tokens += pred.input_tokens or 0
                    self.output_tokens += pred.output_tokens or 0
                return pred
            if attempt == self.spec.max_retries:
                break
            with self._lock:
                self.retries += 1
            wait = self.backoff_s * 2**attempt * (0.5 + random.random() / 2)
            if last.retry_after is not None:
                wait = max(wait, last.retry_after)
            time.sleep(min(wait, self.max_backoff_s))
        raise self._fail(f"{self.url} failed {self.spec.max_retries + 1} time(s); last: {last.status}")

    def predict(self, ids: list[str], inputs: list[str]) -> list[Prediction]:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(self.spec.max_concurrency, len(inputs)) or 1) as pool:
            return list(pool.map(self.call, inputs))


def make_adapter(role: str, spec: Any, settings: Settings, project_dir: Path) -> Adapter:
    """The adapter for one manifest model spec."""
    kind = spec.kind
    if kind in ("local", "hub"):
        if is_placeholder(spec.path):
            raise AdapterError(f"{role}.path is a placeholder: {spec.path}")
        cls: type[Adapter] = LocalGenerator if settings.task == "generation" else LocalClassifier
        adapter = cls(role, spec, settings, project_dir)
        adapter.kind = kind
        return adapter
    if kind == "recorded":
        return RecordedAdapter(role, spec, settings, project_dir)
    if kind == "callable":
        return CallableAdapter(role, spec, settings, project_dir)
    if kind == "endpoint":
        return EndpointAdapter(role, spec, settings, project_dir)
    raise AdapterError(f"{role}: unknown model kind {kind!r}")  # pragma: no cover



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

__all__ = ["Adapter", "CallableAdapter", "EndpointAdapter", "LocalClassifier", "LocalGenerator", "Prediction",
           "RecordedAdapter", "Settings", "make_adapter", "torch_device"]
