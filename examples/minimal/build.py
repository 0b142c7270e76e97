"""Build the minimal example project from nothing, deterministically.

    .venv/bin/python examples/minimal/build.py

Writes, beside this file:
  data/eval.jsonl          the frozen eval set (320 rows; a few hundred is enough here)
  data/train.jsonl         the training pool (disjoint from the eval set)
  teacher/predictions.jsonl  a *recorded* teacher: its answers on both sets, kept forever
  student/                 a one-layer word-level BERT distilled from those answers
  stillhouse.yaml          the manifest, with every hash filled in

The "teacher" here is a recording: the minimal example shows the manifest and the
harness, not a real teacher (the worked example has one). Its answers are simulated by a
seeded generator that is right about 92% of the time, less on messages with typos.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 7
LABELS = ["billing", "technical", "account", "shipping"]

PHRASES = {
    "billing": ["i was charged twice", "refund my last payment", "why is my invoice higher",
                "update the card on file", "cancel the subscription fee", "the bill looks wrong",
                "can i get a receipt", "charged after cancelling"],
    "technical": ["the app keeps crashing", "login page shows an error", "sync stopped working",
                  "the screen is blank after update", "cannot upload files", "error code 500 on save",
                  "notifications never arrive", "the page will not load"],
    "account": ["change my email address", "reset my password", "delete my account please",
                "add a second user", "i am locked out", "update my profile name",
                "merge two accounts", "turn on two factor"],
    "shipping": ["where is my parcel", "the package never arrived", "change delivery address",
                 "tracking number does not work", "order arrived damaged", "how long is delivery",
                 "ship to another country", "the box was empty"],
}
OPENERS = ["", "hi", "hello", "hey team", "good morning", "quick question"]
CLOSERS = ["", "thanks", "please help", "asap", "thank you so much", "any update"]
CHANNELS = ["email", "chat", "phone"]


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    cand = [i for i, w in enumerate(words) if len(w) > 3]
    if not cand:
        return text
    i = rng.choice(cand)
    w = list(words[i])
    j = rng.randrange(len(w) - 1)
    w[j], w[j + 1] = w[j + 1], w[j]
    words[i] = "".join(w)
    return " ".join(words)


def make_rows(n: int, rng: random.Random, prefix: str) -> list[dict]:
    rows = []
    for k in range(n):
        label = LABELS[k % len(LABELS)]
        core = rng.choice(PHRASES[label])
        short = rng.random() < 0.25
        text = core if short else " ".join(x for x in (rng.choice(OPENERS), core, rng.choice(CLOSERS)) if x)
        typo = rng.random() < 0.2
        if typo:
            text = _typo(text, rng)
        rows.append({"id": f"{prefix}-{k:04d}", "text": text, "label": label,
                     "channel": rng.choice(CHANNELS), "has_typo": typo})
    rng.shuffle(rows)
    return rows


def teacher_answer(row: dict, rng: random.Random) -> dict:
    right = rng.random() < (0.86 if row["has_typo"] else 0.93)
    top = row["label"] if right else rng.choice([x for x in LABELS if x != row["label"]])
    p_top = rng.uniform(0.55, 0.95)
    rest = [rng.random() + 0.05 for _ in LABELS[1:]]
    scale = (1 - p_top) / sum(rest)
    others = iter(r * scale for r in rest)
    probs = {lab: (p_top if lab == top else next(others)) for lab in LABELS}
    return {"id": row["id"], "output": top, "probs": [round(probs[lab], 6) for lab in LABELS]}


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")


def train_student(train: list[dict], teacher: dict[str, dict], out: Path) -> None:
    import torch
    import torch.nn.functional as F
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    torch.manual_seed(SEED)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = sorted({w for r in train for w in r["text"].lower().split()})
    vocab = {w: i for i, w in enumerate(specials + words)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]", model_max_length=32)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=32, num_labels=len(LABELS),
                        id2label=dict(enumerate(LABELS)), label2id={lab: i for i, lab in enumerate(LABELS)})
    model = BertForSequenceClassification(config)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    alpha, T = 0.8, 2.0
    texts = [r["text"] for r in train]
    gold = torch.tensor([LABELS.index(r["label"]) for r in train])
    soft = torch.tensor([teacher[r["id"]]["probs"] for r in train])
    g = torch.Generator().manual_seed(SEED)
    model.train()
    for _epoch in range(30):
        order = torch.randperm(len(texts), generator=g)
        for start in range(0, len(texts), 32):
            idx = order[start:start + 32]
            batch = fast([texts[i] for i in idx], padding=True, truncation=True, return_tensors="pt")
            logits = model(**batch).logits                                     # (B, labels)
            ce = F.cross_entropy(logits, gold[idx])
            kl = F.kl_div(F.log_softmax(logits / T, -1), soft[idx], reduction="batchmean")
            loss = (1 - alpha) * ce + alpha * T**2 * kl
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    fast.save_pretrained(out)


MANIFEST = """\
# yaml-language-server: $schema=../../standards/schemas/manifest-1.2.schema.json
#
# The minimal Stillhouse project: a recorded teacher, a tiny student, a frozen eval set.
# Rebuild everything:  .venv/bin/python examples/minimal/build.py
# Check it:            stillhouse validate examples/minimal
# Evaluate and gate:   stillhouse eval examples/minimal --gate
standards_version: "1.2"
name: minimal-ticket-router
description: Routes support tickets to one of four queues; the smallest complete Stillhouse project.
task: classification
owner: {{handle: ada, team: support-ml, backup: grace}}
labels: [billing, technical, account, shipping]

teacher:
  kind: recorded
  family: ticket-router-teacher
  path: teacher/predictions.jsonl
  sha256: {teacher_sha}
  source: "ticket-router-teacher sha256:{teacher_sha} answered once on 2026-11-01"

student:
  kind: local
  path: student/
  sha256: {student_sha}
  parameters: {student_params}

eval_set:
  path: data/eval.jsonl
  sha256: {eval_sha}
  rows: {eval_rows}
  fields: {{id: id, input: text, label: label}}

slices:
  - name: short
    description: Four words or fewer; little context to go on.
    rule: {{text_length: {{max_words: 4}}}}
  - name: email
    description: Tickets that came in by email.
    rule: {{column: channel, equals: email}}
  - name: typos
    description: Messages with a misspelt word; the student's vocabulary is closed.
    rule: {{column: has_typo, equals: true}}

quality_bars:
  - {{slice: "*", metric: accuracy, minimum: 0.60, min_examples: 30}}
  - {{slice: "*", metric: agreement, minimum: 0.60, min_examples: 30}}
  - {{slice: all, metric: accuracy, max_drop_vs_teacher: 0.10, min_examples: 100}}

budgets: {{latency_p95_ms: 50, cost_per_1k_calls_usd: 0.01}}
cost_model: {{usd_per_hour: 0.40}}

triggers:
  teacher_change: true
  drift: {{metric: agreement, max_drop: 0.05}}
  cadence_days: 180

monitoring:
  production_sample: monitoring/production.jsonl
  spot_check_share: 0.05

lifecycle:
  status: in_review
  created: 2026-11-01

approvals: []

distillation:
  train_set: {{path: data/train.jsonl, sha256: {train_sha}, input: text, label: label}}
  alpha: 0.8
  temperature: 2.0
  epochs: 30
  learning_rate: 0.003
  batch_size: 32
  seed: {seed}
"""


def main() -> None:
    from standards import artifact_sha256, file_sha256

    rng = random.Random(SEED)
    eval_rows = make_rows(320, rng, "eval")
    train_rows = make_rows(1200, rng, "train")
    write_jsonl(HERE / "data" / "eval.jsonl", eval_rows)
    write_jsonl(HERE / "data" / "train.jsonl", train_rows)
    trng = random.Random(SEED + 1)
    answers = [teacher_answer(r, trng) for r in eval_rows + train_rows]
    write_jsonl(HERE / "teacher" / "predictions.jsonl", answers)
    train_student(train_rows, {a["id"]: a for a in answers}, HERE / "student")
    import torch  # noqa: F401 - loaded by train_student already
    from safetensors import safe_open

    with safe_open(str(HERE / "student" / "model.safetensors"), "pt") as f:
        params = sum(f.get_slice(k).get_shape().numel() if hasattr(f.get_slice(k).get_shape(), "numel")
                     else _numel(f.get_slice(k).get_shape()) for k in f.keys())
    (HERE / "stillhouse.yaml").write_text(MANIFEST.format(
        teacher_sha=file_sha256(HERE / "teacher" / "predictions.jsonl"),
        student_sha=artifact_sha256(HERE / "student"), student_params=params,
        eval_sha=file_sha256(HERE / "data" / "eval.jsonl"), eval_rows=len(eval_rows),
        train_sha=file_sha256(HERE / "data" / "train.jsonl"), seed=SEED), encoding="utf-8")
    print(f"built {HERE.name}: {len(eval_rows)} eval rows, {len(train_rows)} train rows, student {params} parameters")


def _numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


if __name__ == "__main__":
    main()
