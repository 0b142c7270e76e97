"""Padding a batch of token lists: the harness's `pad_batch` against `tokenizer.pad`.

    .venv/bin/python benchmarks/pad_batch.py [--project DIR] [--rows N] [--batch B] [--runs R]

Both turn the token lists of one batch into the tensors a model takes; the script checks
they give the same tensors, then times each over the same batches, alternating which goes
first, and prints milliseconds per batch and the ratio. The eval's batched passes and every
training step pay this once a batch (see docs/internals/index.md, "Libraries").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", type=Path, default=ROOT / "examples" / "worked-example")
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    import torch
    from transformers import AutoTokenizer

    from harness import load_project
    from harness.eval.adapters import pad_batch

    project = load_project(args.project)
    tok = AutoTokenizer.from_pretrained(project.path(project.manifest.student.path))
    field = project.manifest.eval_set.fields.input
    with open(project.path(project.manifest.eval_set.path), encoding="utf-8") as f:
        texts = [json.loads(line)[field] for line, _ in zip(f, range(args.rows))]
    enc = dict(tok(texts, truncation=True, max_length=64))
    batches = [list(range(s, min(s + args.batch, len(texts)))) for s in range(0, len(texts), args.batch)]

    def ours() -> None:
        for rows in batches:
            pad_batch(tok, enc, rows)

    def library() -> None:
        for rows in batches:
            tok.pad({k: [v[i] for i in rows] for k, v in enc.items()}, padding=True, return_tensors="pt")

    first = {k: [v[i] for i in batches[0]] for k, v in enc.items()}
    a, b = pad_batch(tok, enc, batches[0]), tok.pad(first, padding=True, return_tensors="pt")
    assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in b), "the two paddings differ"

    times: dict[str, list[float]] = {"pad_batch": [], "tokenizer.pad": []}
    for run in range(args.runs):
        pair = [("pad_batch", ours), ("tokenizer.pad", library)]
        for name, fn in pair if run % 2 == 0 else pair[::-1]:
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) / len(batches) * 1000)
    ms = {k: statistics.median(v) for k, v in times.items()}
    print(f"{len(batches)} batches of {args.batch} rows from {args.project.name}, the same tensors both ways; "
          f"medians of {args.runs} runs")
    print(f"pad_batch {ms['pad_batch']:.3f} ms a batch, tokenizer.pad {ms['tokenizer.pad']:.3f} ms a batch: "
          f"tokenizer.pad takes {ms['tokenizer.pad'] / ms['pad_batch']:.2f}x the time")


if __name__ == "__main__":
    sys.exit(main())
