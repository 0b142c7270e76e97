"""Distillation training time: batches grouped by token length vs random batches.

    .venv/bin/python benchmarks/distill_batching.py [--project DIR] [--rows N] [--epochs E] [--repeats R]

`stillhouse distill` shuffles the transfer set each epoch and then batches messages of
similar length together (`harness.distillation.length_grouped_batches`), so little of each
batch is padding. This script trains the same student (same seed, same teacher logits)
both ways, side by side, alternating which goes first, and prints the training time per
epoch, the ratio, the share of padding in the batches, and each run's last-epoch loss and
agreement with the teacher (so a speed-up that cost quality would show). The project's
teacher must be in place (for the worked example: `build_teacher.py` assembles it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def random_batches(lengths: list[int], batch_size: int, generator) -> list[list[int]]:
    """What the trainer did before: a shuffled epoch cut into consecutive batches."""
    import torch

    order = torch.randperm(len(lengths), generator=generator).tolist()
    return [order[s:s + batch_size] for s in range(0, len(order), batch_size)]


def padded_share(batches: list[list[int]], lengths: list[int]) -> float:
    padded = sum(max(lengths[i] for i in b) * len(b) for b in batches)
    return 1 - sum(lengths[i] for b in batches for i in b) / padded


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", type=Path, default=ROOT / "examples" / "worked-example")
    ap.add_argument("--rows", type=int, default=0, help="use the first N transfer rows (0: all)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1, help="pairs of runs; the order alternates")
    args = ap.parse_args()

    import torch

    from harness.distillation import _classification as _distill
    from harness.project import load_project

    project = load_project(args.project)
    plan = _distill._plan(project)
    dist, labels, ts = plan.dist, plan.labels, plan.dist.train_set
    rows = plan.rows[:args.rows] if args.rows else plan.rows
    texts = [str(r[ts.input]) for r in rows]
    gold = torch.tensor([labels.index(r[ts.label]) for r in rows]) if ts.label is not None else None
    key = plan.train_sha256 + (f"-first-{len(rows)}" if args.rows else "")
    logits, _ = _distill.teacher_logits(project, texts, [str(i) for i in range(len(rows))], key,
                                        dist.max_length, labels)
    dist = dist.model_copy(update={"epochs": args.epochs})
    shipped = _distill.length_grouped_batches
    ways = {"grouped by length": shipped, "random batches": random_batches}

    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer, _ = _distill._build_student(project, plan, texts, Path(tmp))
        initial = {k: v.clone() for k, v in model.state_dict().items()}
        lengths = [len(x) for x in tokenizer(texts, truncation=True, max_length=dist.max_length)["input_ids"]]
        results: dict[str, list[tuple[float, dict]]] = {name: [] for name in ways}
        for rep in range(args.repeats):
            order = list(ways) if rep % 2 == 0 else list(reversed(ways))
            for name in order:
                model.load_state_dict(initial)
                _distill.length_grouped_batches = ways[name]
                try:
                    t0 = time.perf_counter()
                    history = _distill.train_student(model, tokenizer, texts, gold, logits, dist)
                    results[name].append(((time.perf_counter() - t0) / args.epochs, history[-1]))
                finally:
                    _distill.length_grouped_batches = shipped
        g = torch.Generator().manual_seed(0)
        padding = {name: padded_share(fn(lengths, dist.batch_size, g), lengths) for name, fn in ways.items()}

    print(f"project {project.manifest.name}: {len(texts):,} transfer rows, batch size {dist.batch_size}, "
          f"{args.epochs} epoch(s), {torch.get_num_threads()} thread(s), {args.repeats} pair(s) of runs")
    print(f"{'batches':<20}{'s/epoch (median)':>18}{'padding':>9}{'last loss':>11}{'agreement':>11}")
    median = {}
    for name, runs in results.items():
        median[name] = statistics.median(s for s, _ in runs)
        last = runs[-1][1]
        print(f"{name:<20}{median[name]:>18.2f}{padding[name]:>9.0%}{last['loss']:>11.4f}"
              f"{last['train_agreement']:>11.3f}")
    print(f"ratio grouped/random: {median['grouped by length'] / median['random batches']:.3f}x")


if __name__ == "__main__":
    main()
