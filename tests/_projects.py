"""Builders of small, real Stillhouse projects for the harness tests: tiny transformers
models made from configs (saved as safetensors), real eval files, manifests with real hashes."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import yaml

from standards import artifact_sha256, file_sha256

LABELS = ["billing", "technical"]
WORDS = {"billing": ["refund", "invoice", "charge", "payment", "card"],
         "technical": ["crash", "error", "login", "sync", "upload"]}
FILLER = ["please", "my", "the", "help", "now", "again"]


def word_tokenizer(words: list[str], causal: bool = False) -> Any:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[EOS]"]
    vocab = {w: i for i, w in enumerate(specials + sorted(set(words)))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    if causal:
        from tokenizers import decoders

        tok.decoder = decoders.WordPiece(prefix="##")  # joins word-level tokens with spaces
        return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                       eos_token="[EOS]", model_max_length=64)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", model_max_length=32)


def tiny_bert(folder: Path, seed: int, hidden: int = 32, layers: int = 1, labels: list[str] = LABELS) -> Path:
    """A one-layer BERT classifier with random weights, from a config."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    tok = word_tokenizer([w for ws in WORDS.values() for w in ws] + FILLER)
    config = BertConfig(vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=hidden * 2, max_position_embeddings=32, num_labels=len(labels),
                        id2label=dict(enumerate(labels)), label2id={lab: i for i, lab in enumerate(labels)})
    model = BertForSequenceClassification(config).eval()
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    return folder


def tiny_causal_lm(folder: Path, words: list[str], seed: int = 0) -> Path:
    """A two-layer GPT-2 with random weights, from a config."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    tok = word_tokenizer(words, causal=True)
    config = GPT2Config(vocab_size=len(tok), n_embd=32, n_layer=2, n_head=2, n_positions=64,
                        bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    model = GPT2LMHeadModel(config).eval()
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    return folder


def eval_rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        label = LABELS[k % 2]
        text = " ".join([rng.choice(FILLER), rng.choice(WORDS[label]), rng.choice(FILLER)])
        rows.append({"id": f"ex-{k:04d}", "text": text, "label": label, "channel": rng.choice(["email", "chat"])})
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")
    return path


def manifest(project: Path, teacher: dict[str, Any], student: dict[str, Any], *, task: str = "classification",
             rows: int, bars: list[dict[str, Any]] | None = None, eval_path: str = "data/eval.jsonl",
             extra: dict[str, Any] | None = None, name: str = "test-project") -> Path:
    """Write stillhouse.yaml with the real hashes of what lies in ``project``."""
    for spec in (teacher, student):
        if spec["kind"] in ("local", "recorded"):
            spec.setdefault("sha256", artifact_sha256(project / spec["path"]))
    data: dict[str, Any] = {
        "standards_version": "1.2", "name": name, "task": task,
        "owner": {"handle": "ada", "team": "ml", "backup": "grace"},
        "teacher": teacher, "student": student,
        "eval_set": {"path": eval_path, "sha256": artifact_sha256(project / eval_path), "rows": rows,
                     "fields": {"id": "id", "input": "text", "label": "label"}},
        "slices": [{"name": "email", "rule": {"column": "channel", "equals": "email"}}],
        "quality_bars": bars if bars is not None else [{"slice": "*", "metric": "agreement", "minimum": 0.0,
                                                         "min_examples": 1}],
        "cost_model": {"usd_per_hour": 1.0},
        "lifecycle": {"status": "experimental", "created": "2026-11-01"},
    }
    if task == "classification":
        data["labels"] = LABELS
    data.update(extra or {})
    path = project / "stillhouse.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


COUNTING_TEACHER = '''
"""A callable teacher that records every call in the file $STILLHOUSE_TEST_CALLS."""
import os, time

LABELS = {"refund": "billing", "invoice": "billing", "charge": "billing", "payment": "billing", "card": "billing"}


def answer(texts):
    log = os.environ.get("STILLHOUSE_TEST_CALLS")
    if log:
        with open(log, "a") as f:
            f.write(f"{len(texts)}\\n")
    delay = float(os.environ.get("STILLHOUSE_TEST_DELAY", "0"))
    if delay:
        time.sleep(delay)
    out = []
    for t in texts:
        label = "billing" if any(w in LABELS for w in t.split()) else "technical"
        out.append({"output": label, "probs": [0.9, 0.1] if label == "billing" else [0.1, 0.9]})
    return out
'''


def classification_project(root: Path, *, n: int = 40, teacher: str = "callable", module: str = "counting_teacher",
                           bars: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None) -> Path:
    """A classification project: tiny BERT student, and a callable, local or recorded teacher."""
    root.mkdir(parents=True, exist_ok=True)
    rows = eval_rows(n)
    write_jsonl(root / "data" / "eval.jsonl", rows)
    tiny_bert(root / "student", seed=1)
    if teacher == "callable":
        (root / f"{module}.py").write_text(COUNTING_TEACHER, encoding="utf-8")
        tspec: dict[str, Any] = {"kind": "callable", "target": f"{module}:answer", "version": "1.0.0"}
    elif teacher == "local":
        tiny_bert(root / "teacher", seed=2, hidden=48, layers=2)
        tspec = {"kind": "local", "path": "teacher/"}
    else:
        recs = [{"id": r["id"], "output": r["label"], "probs": [0.8, 0.2] if r["label"] == "billing" else [0.2, 0.8]}
                for r in rows]
        write_jsonl(root / "teacher" / "predictions.jsonl", recs)
        tspec = {"kind": "recorded", "path": "teacher/predictions.jsonl", "source": "test answers of 2026-11-01"}
    manifest(root, tspec, {"kind": "local", "path": "student/"}, rows=n, bars=bars, extra=extra)
    return root


# --- a small labelled task, a WordPiece tokenizer and a trained tiny teacher ------------------

TASK_LABELS = ["billing", "shipping", "account"]
TASK_WORDS = {"billing": ["refund", "charge", "invoice", "card", "price"],
              "shipping": ["parcel", "delivery", "track", "box", "courier"],
              "account": ["password", "login", "email", "profile", "username"]}
TASK_FILLER = ["please", "my", "the", "help", "now", "where", "is", "i", "need", "can", "you"]


def task_rows(n: int, seed: int, prefix: str) -> list[dict[str, Any]]:
    """Labelled messages with two slice columns (`channel`, `has_typo`), like a team's own set."""
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        label = TASK_LABELS[k % len(TASK_LABELS)]
        words = [rng.choice(TASK_FILLER) for _ in range(rng.randint(1, 5))]
        words.insert(rng.randint(0, len(words)), rng.choice(TASK_WORDS[label]))
        typo = rng.random() < 0.2
        if typo:
            i = max(range(len(words)), key=lambda j: len(words[j]))
            w = words[i]
            words[i] = w[:-2] + w[-1] + w[-2] if len(w) > 3 else w
        rows.append({"id": f"{prefix}-{k:04d}", "text": " ".join(words), "label": label,
                     "channel": rng.choice(["email", "chat"]), "has_typo": typo})
    return rows


def wordpiece_tokenizer(words: list[str]) -> Any:
    """A BERT-style WordPiece tokenizer over ``words`` and every ASCII character."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = [chr(c) for c in range(33, 127)]
    pieces = dict.fromkeys(specials + chars + ["##" + c for c in chars] + sorted(set(words)))  # "i" is a char too
    vocab = {t: i for i, t in enumerate(pieces)}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=32)


def trained_teacher(folder: Path, rows: list[dict[str, Any]], labels: list[str] = TASK_LABELS, *,
                    seed: int = 0, steps: int = 120) -> Path:
    """A two-layer BERT classifier trained for a few steps on ``rows``, saved with safetensors:
    a small but real teacher (right on most messages, not all)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    tok = wordpiece_tokenizer([w for ws in TASK_WORDS.values() for w in ws] + TASK_FILLER)
    config = BertConfig(vocab_size=len(tok), hidden_size=48, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=96, max_position_embeddings=32, num_labels=len(labels),
                        id2label=dict(enumerate(labels)), label2id={x: i for i, x in enumerate(labels)})
    model = BertForSequenceClassification(config)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    gold = torch.tensor([labels.index(r["label"]) for r in rows])
    enc = tok([r["text"] for r in rows], padding=True, truncation=True, max_length=32, return_tensors="pt")
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        idx = torch.randint(len(rows), (32,), generator=g)
        out = model(input_ids=enc["input_ids"][idx], attention_mask=enc["attention_mask"][idx], labels=gold[idx])
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    model.eval()
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    return folder
