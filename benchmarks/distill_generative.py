"""Generative distillation: `stillhouse distill` vs a bare Hugging Face training loop.

    .venv/bin/python benchmarks/distill_generative.py [--rows N] [--epochs E] [--repeats R] [--threads T]

Trains the same tiny causal-LM student (a GPT-2 built from a config, same seed) on the same
data side by side: (a) `harness.distill` on a generation project whose teacher is a
recorded file (sequence level: the student learns the teacher's answers), and (b) the loop
a Hugging Face user writes by hand: the same prompts and completions tokenized once,
shuffled batches padded on the right, labels -100 on the prompt, `model(..., labels=...)
.loss`, AdamW with the same learning rate and a linear warm-up/decay schedule. Both train
on exactly the same tokens each epoch.

Prints, per way, the training time (wall clock, and the process's CPU time, which a busy
shared machine disturbs less), the tokens trained on (prompt and completion, padding
excluded) and tokens per second (medians over the repeats, the order rotating), and the
ratio of the harness's training time per token to the bare loop's (target: at most 1.10):
the median over the rounds of each round's ratio, since runs next to each other share the
machine's load and a busy shared machine moves single runs by 10% or more,
then the last-epoch loss of each (both per completion token), so a speed-up that cost
quality would show. A third way is the harness with `group_by_length: true` (batches of
rows of similar length: less padding). The harness's whole `distill` (reading the
recording, building and saving the student, the record) is printed beside its training time.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEMPLATE = "spell: {input} ="
SEED = 5


def make_project(root: Path, rows: int, epochs: int, batch_size: int, group_by_length: bool = False) -> Path:
    """A generation project: digit strings spelled out; the teacher's answers recorded; a
    two-layer GPT-2 student built from a config on a word-level tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from standards import file_sha256
    from harness.eval import text_sha256

    rng = random.Random(SEED)
    data = []
    for i in range(rows):
        digits = [rng.choice("0123456789") for _ in range(rng.randint(1, 6))]
        data.append({"id": f"t-{i}", "text": " ".join(digits), "label": " ".join(NAMES[int(d)] for d in digits)})
    (root / "data").mkdir(parents=True)
    for name, part in (("train", data), ("eval", data[:50])):
        (root / "data" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
    recorded = [{"id": r["id"], "set": "distillation", "input_sha256": text_sha256(r["text"]), "output": r["label"]}
                for r in data]
    (root / "teacher").mkdir()
    (root / "teacher" / "recorded.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recorded), encoding="utf-8")

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[EOS]", "spell:", "="] + list("0123456789") + NAMES)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]",
                            model_max_length=32).save_pretrained(root / "tokenizer")
    config = {"model_type": "gpt2", "vocab_size": len(vocab), "n_embd": 64, "n_layer": 2, "n_head": 4,
              "n_positions": 32, "bos_token_id": vocab["[EOS]"], "eos_token_id": vocab["[EOS]"],
              "pad_token_id": vocab["[PAD]"]}
    (root / "student-config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    manifest = {
        "standards_version": "1.2", "name": "bench-generative", "task": "generation",
        "owner": {"handle": "ada", "team": "ml", "backup": "grace"},
        "teacher": {"kind": "recorded", "path": "teacher/recorded.jsonl",
                    "sha256": file_sha256(root / "teacher" / "recorded.jsonl"), "source": "the benchmark's answers"},
        "student": {"kind": "local", "path": "student/", "sha256": "0" * 64},
        "generation": {"prompt_template": TEMPLATE, "max_new_tokens": 8},
        "eval_set": {"path": "data/eval.jsonl", "sha256": file_sha256(root / "data" / "eval.jsonl"), "rows": 50,
                     "fields": {"id": "id", "input": "text", "label": "label"}},
        "quality_bars": [{"slice": "*", "metric": "token_f1", "minimum": 0.0, "min_examples": 1}],
        "cost_model": {"usd_per_hour": 1.0},
        "lifecycle": {"status": "experimental", "created": "2026-11-01"},
        "distillation": {
            "train_set": {"path": "data/train.jsonl", "sha256": file_sha256(root / "data" / "train.jsonl"),
                          "label": None},
            "alpha": 1.0, "epochs": epochs, "learning_rate": 0.003, "batch_size": batch_size, "seed": SEED,
            "max_length": 16, "tokenizer": "tokenizer/",
            "generation": {"mode": "sequence", "student": {"config": "student-config.json"},
                           "group_by_length": group_by_length},
        },
    }
    (root / "stillhouse.yaml").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return root


def bare_loop(root: Path, epochs: int, batch_size: int) -> dict[str, float]:
    """The loop by hand: training wall and CPU seconds, tokens trained on, last-epoch loss per
    completion token."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, get_linear_schedule_with_warmup

    rows = [json.loads(line) for line in (root / "data" / "train.jsonl").read_text().splitlines()]
    tok = AutoTokenizer.from_pretrained(root / "tokenizer")
    cfg = json.loads((root / "student-config.json").read_text())
    torch.manual_seed(SEED)
    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(cfg.pop("model_type"), **cfg))
    prompts = tok([TEMPLATE.replace("{input}", r["text"]) for r in rows], truncation=True, max_length=16)["input_ids"]
    answers = tok([r["label"] for r in rows], add_special_tokens=False)["input_ids"]
    examples = [(p, a[:8] + [tok.eos_token_id]) for p, a in zip(prompts, answers)]
    steps = epochs * -(-len(examples) // batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=0.003, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, max(1, steps // 20), steps)
    g = torch.Generator().manual_seed(SEED)
    tokens, last = 0, 0.0
    model.train()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(epochs):
        order = torch.randperm(len(examples), generator=g).tolist()
        total = count = 0.0
        for s in range(0, len(order), batch_size):
            batch = [examples[i] for i in order[s:s + batch_size]]
            width = max(len(p) + len(c) for p, c in batch)
            ids = torch.full((len(batch), width), tok.pad_token_id)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            labels = torch.full((len(batch), width), -100)
            for i, (p, c) in enumerate(batch):
                ids[i, :len(p) + len(c)] = torch.tensor(p + c)
                mask[i, :len(p) + len(c)] = 1
                labels[i, len(p):len(p) + len(c)] = torch.tensor(c)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            n = int((labels != -100).sum())
            total, count = total + loss.item() * n, count + n
            tokens += int(mask.sum())
        last = total / count
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "tokens": tokens, "loss": last}


def harness_run(root: Path) -> dict[str, float]:
    """`harness.distill`: its training's wall and CPU seconds, tokens, last-epoch loss (from the
    training record), and the whole distill's wall seconds."""
    import harness

    t0 = time.perf_counter()
    rec: dict[str, Any] = harness.distill(root, force=True).record
    return {"wall": rec["wall_s"]["training"], "cpu": sum(e["cpu_seconds"] for e in rec["epochs"]),
            "tokens": sum(e["tokens"] for e in rec["epochs"]), "loss": rec["epochs"][-1]["loss"],
            "whole": time.perf_counter() - t0}


WAYS = ("stillhouse distill", "bare HF loop", "  group_by_length")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=5, help="rounds of the three ways; the order rotates")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in WAYS}
    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp) / "project", args.rows, args.epochs, args.batch_size)
        grouped = make_project(Path(tmp) / "grouped", args.rows, args.epochs, args.batch_size, group_by_length=True)
        harness_run(root)                    # warm-up: imports, first-call costs of both paths
        for rep in range(args.repeats):
            for name in WAYS[rep % 3:] + WAYS[:rep % 3]:
                if name == "bare HF loop":
                    results[name].append(bare_loop(root, args.epochs, args.batch_size))
                else:
                    results[name].append(harness_run(grouped if "group" in name else root))
    print(f"{args.rows} training rows, {args.epochs} epochs, batch size {args.batch_size}, "
          f"{torch.get_num_threads()} threads, {args.repeats} repeats (medians)")
    print(f"{'':20} {'training s':>10} {'CPU s':>7} {'tokens':>8} {'tokens/s':>9} {'last loss':>9}")
    for name, runs in results.items():
        wall, cpu = statistics.median(r["wall"] for r in runs), statistics.median(r["cpu"] for r in runs)
        tokens = int(runs[0]["tokens"])
        print(f"{name:20} {wall:10.2f} {cpu:7.2f} {tokens:8d} {tokens / wall:9.0f} {runs[-1]['loss']:9.4f}")
    for k, what in (("wall", "training time per token"), ("cpu", "CPU time per token")):
        def paired(way: str) -> float:
            return statistics.median((r[k] / r["tokens"]) / (b[k] / b["tokens"])
                                     for r, b in zip(results[way], results["bare HF loop"]))
        spread = sorted((r[k] / r["tokens"]) / (b[k] / b["tokens"])
                        for r, b in zip(results["stillhouse distill"], results["bare HF loop"]))
        print(f"ratio stillhouse/bare ({what}, median of the rounds' ratios): {paired('stillhouse distill'):.3f}  "
              f"(target <= 1.10; rounds {spread[0]:.3f}..{spread[-1]:.3f}); "
              f"group_by_length/bare: {paired('  group_by_length'):.3f}")
    whole = statistics.median(r["whole"] for r in results["stillhouse distill"])
    print(f"whole `distill` (recording, student build, save, record): {whole:.2f} s")


if __name__ == "__main__":
    main()
