"""Build the generation example from nothing, deterministically.

    .venv/bin/python examples/generation-mini/build.py

A generation project in miniature: the task spells out digits (`3 1 4` -> `three one
four`). The teacher is a Python callable (`spell_teacher.py`); the student is a two-layer
GPT-2 built from a config, trained here for a few seconds on the teacher's answers over a
training pool disjoint from the eval set, and saved as safetensors.

Writes, beside this file: data/eval.jsonl, data/train.jsonl, student/, stillhouse.yaml.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 11
TEMPLATE = "spell: {input} ="
sys.path.insert(0, str(HERE))
from spell_teacher import NAMES, VERSION, spell  # noqa: E402


def make_rows(rng: random.Random) -> tuple[list[dict], list[dict]]:
    """All digit strings of length 1-4 split into a train pool and a 240-row eval set."""
    strings = sorted({" ".join(rng.choice("0123456789") for _ in range(rng.randint(1, 4))) for _ in range(6000)})
    rng.shuffle(strings)
    eval_s, train_s = strings[:240], strings[240:]

    def row(i: int, s: str, prefix: str) -> dict:
        return {"id": f"{prefix}-{i:04d}", "text": s, "label": spell([TEMPLATE.format(input=s)])[0],
                "digits": len(s.split())}

    return [row(i, s, "eval") for i, s in enumerate(eval_s)], [row(i, s, "train") for i, s in enumerate(train_s)]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")


def train_student(train: list[dict], out: Path) -> int:
    import torch
    import torch.nn.functional as F
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    torch.manual_seed(SEED)
    torch.set_num_threads(1)  # deterministic and gentle on shared machines
    specials = ["[PAD]", "[UNK]", "[EOS]"]
    vocab = {w: i for i, w in enumerate(specials + ["spell:", "="] + list("0123456789") + NAMES)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")  # word-level tokens joined by spaces
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]",
                                   model_max_length=32)
    config = GPT2Config(vocab_size=len(vocab), n_embd=64, n_layer=2, n_head=4, n_positions=32,
                        bos_token_id=vocab["[EOS]"], eos_token_id=vocab["[EOS]"], pad_token_id=vocab["[PAD]"])
    model = GPT2LMHeadModel(config)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    # Each example: prompt tokens, then the answer and [EOS]; the loss reads the answer only.
    seqs, masks = [], []
    for r in train:
        prompt = fast(TEMPLATE.format(input=r["text"]))["input_ids"]
        answer = fast(r["label"])["input_ids"] + [vocab["[EOS]"]]
        seqs.append(prompt + answer)
        masks.append([0] * len(prompt) + [1] * len(answer))
    width = max(map(len, seqs))
    # Left padding, as batched generation pads; positions count real tokens only.
    ids = torch.tensor([[vocab["[PAD]"]] * (width - len(s)) + s for s in seqs])             # (N, T)
    attn = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in seqs])              # (N, T)
    target = torch.tensor([[0] * (width - len(m)) + m for m in masks])                      # (N, T)
    pos = (attn.cumsum(-1) - 1).clamp(min=0)
    g = torch.Generator().manual_seed(SEED)
    model.train()
    for _epoch in range(12):
        order = torch.randperm(len(seqs), generator=g)
        for start in range(0, len(seqs), 64):
            idx = order[start:start + 64]
            logits = model(input_ids=ids[idx], attention_mask=attn[idx], position_ids=pos[idx]).logits  # (B, T, V)
            labels = ids[idx][:, 1:].masked_fill(target[idx][:, 1:] == 0, -100)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    fast.save_pretrained(out)
    return sum(p.numel() for p in model.parameters())


MANIFEST = """\
# yaml-language-server: $schema=../../standards/schemas/manifest-1.2.schema.json
#
# A generation project in miniature: spell out digits. Teacher: a Python callable;
# student: a two-layer GPT-2 trained on its answers.
# Rebuild everything:  .venv/bin/python examples/generation-mini/build.py
# Evaluate and gate:   stillhouse eval examples/generation-mini --gate
standards_version: "1.2"
name: generation-mini-speller
description: Spells out digit strings; shows `stillhouse eval` on a generation task.
task: generation
owner: {{handle: ada, team: platform-ml, backup: grace}}

teacher:
  kind: callable
  target: "spell_teacher:spell"
  version: "{teacher_version}"

student:
  kind: local
  path: student/
  sha256: {student_sha}
  parameters: {student_params}

generation:
  prompt_template: "{template}"
  max_new_tokens: 6

eval_set:
  path: data/eval.jsonl
  sha256: {eval_sha}
  rows: {eval_rows}
  fields: {{id: id, input: text, label: label}}

slices:
  - name: long
    description: Four digits, the longest answers.
    rule: {{column: digits, equals: 4}}
  - name: has-zero
    description: Strings with a zero.
    rule: {{matches: "0"}}

quality_bars:
  - {{slice: "*", metric: accuracy, minimum: 0.85, min_examples: 30}}
  - {{slice: "*", metric: token_f1, minimum: 0.90, min_examples: 30}}
  - {{slice: all, metric: accuracy, max_drop_vs_teacher: 0.15, min_examples: 100}}

budgets: {{latency_p95_ms: 100, cost_per_1k_calls_usd: 0.01}}
cost_model: {{usd_per_hour: 0.40}}

triggers: {{teacher_change: true, drift: {{metric: agreement, max_drop: 0.05}}, cadence_days: 180}}

lifecycle:
  status: experimental
  created: 2026-11-01
"""


def main() -> None:
    from standards import artifact_sha256, file_sha256

    eval_rows, train_rows = make_rows(random.Random(SEED))
    write_jsonl(HERE / "data" / "eval.jsonl", eval_rows)
    write_jsonl(HERE / "data" / "train.jsonl", train_rows)
    params = train_student(train_rows, HERE / "student")
    (HERE / "stillhouse.yaml").write_text(MANIFEST.format(
        teacher_version=VERSION, student_sha=artifact_sha256(HERE / "student"), student_params=params,
        template=TEMPLATE, eval_sha=file_sha256(HERE / "data" / "eval.jsonl"), eval_rows=len(eval_rows)),
        encoding="utf-8")
    print(f"built {HERE.name}: {len(eval_rows)} eval rows, {len(train_rows)} train rows, student {params} parameters")


if __name__ == "__main__":
    main()
