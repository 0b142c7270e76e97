"""One process vs a local Ray cluster: `stillhouse eval` and `stillhouse eval --ray local`.

    .venv/bin/python benchmarks/scale_out.py [--workers 2] [--rows 200000] [--batch-size 512]
    .venv/bin/python benchmarks/scale_out.py --skip-worked-example --rows 20000     # quicker

Two projects, each evaluated both ways, side by side in one run (teacher run fresh:
`use_cache=False`), one process first:

  1. the worked example (examples/worked-example, copied; its teacher assembled from the
     pip package): all-MiniLM-L6-v2 (22.7M parameters) and its 1.2M-parameter student on
     the 2,000-row frozen eval set, at the default batch size;
  2. ROWS recorded rows: a `recorded` teacher (answers in a JSONL file) and a 1-layer BERT
     student, at --batch-size (a tiny model's time goes per batch, not per row).

For each it prints the wall time of each run and their ratio, checks that the two reports
carry the same predictions digest (the same answers, so the same figures), and splits the
cluster run's time into its phases as the report records them (`provenance.cluster_seconds`):
starting the cluster, shipping the models, starting the workers (processes, imports, model
loads), computing, merging and checkpointing, the batch-size-1 latency on one worker, and
shutting down. It also prints both runs' batched throughput (the cluster's: rows over the
wall time in which its workers computed).

The local cluster has `--workers` CPUs, one worker each; every worker computes on as many
torch threads as the one process does (so their answers are bit for bit the same), so on a
machine with fewer cores than workers x threads they share the cores. What scales is the
number of machines: see docs/harness/scaling-out.md for what to expect on a real cluster.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _tiny_bert import tiny_bert  # noqa: E402  the benchmarks' own folder is on sys.path

LABELS = ["billing", "technical"]
WORDS = {"billing": "refund invoice charge payment card".split(), "technical": "crash error login sync upload".split()}
FILLER = "please my the help now again".split()


def recorded_project(root: Path, rows: int) -> Path:
    """A recorded teacher's answers on ``rows`` rows and a 1-layer BERT student (random weights)."""
    import yaml

    from standards import artifact_sha256, file_sha256

    rng = random.Random(0)
    data, answers = [], []
    for k in range(rows):
        label = LABELS[k % 2]
        text = " ".join([rng.choice(FILLER), rng.choice(WORDS[label]), rng.choice(FILLER)])
        data.append({"id": f"r{k:07d}", "text": text, "label": label})
        answers.append({"id": f"r{k:07d}", "output": label, "probs": [0.8, 0.2] if label == "billing" else [0.3, 0.7]})
    (root / "data").mkdir(parents=True)
    (root / "data" / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in data))
    (root / "teacher").mkdir()
    (root / "teacher" / "answers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in answers))
    tiny_bert(root / "student", {w for ws in WORDS.values() for w in ws} | set(FILLER), LABELS, hidden=32, layers=1,
              heads=2, intermediate=64, seed=1)
    manifest = {
        "standards_version": "1.2", "name": "scale-out-bench", "task": "classification", "labels": LABELS,
        "owner": {"handle": "bench", "team": "platform", "backup": "bench2"},
        "teacher": {"kind": "recorded", "path": "teacher/answers.jsonl",
                    "sha256": file_sha256(root / "teacher" / "answers.jsonl"), "source": "benchmark answers"},
        "student": {"kind": "local", "path": "student/", "sha256": artifact_sha256(root / "student")},
        "eval_set": {"path": "data/eval.jsonl", "sha256": file_sha256(root / "data" / "eval.jsonl"), "rows": rows},
        "slices": [{"name": "billing", "rule": {"column": "label", "equals": "billing"}}],
        "quality_bars": [{"slice": "*", "metric": "agreement", "minimum": 0.0, "min_examples": 1}],
        "cost_model": {"usd_per_hour": 0.4},
        "lifecycle": {"status": "experimental", "created": "2026-11-01"},
    }
    (root / "stillhouse.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


def worked_example(root: Path) -> Path:
    src = ROOT / "examples" / "worked-example"
    dst = root / "worked-example"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("teacher", "report", ".stillhouse", "__pycache__",
                                                            ".ipynb_checkpoints", ".*.tmp"))
    sys.path.insert(0, str(src))
    try:
        import build_teacher
    finally:
        sys.path.remove(str(src))
    build_teacher.assemble(dst / "teacher")
    return dst


def compare(name: str, project: Path, workers: int, batch_size: int) -> dict[str, Any]:
    from harness.eval import evaluate

    t0 = time.perf_counter()
    one = evaluate(project, use_cache=False, out_dir=project / "report-one", batch_size=batch_size)
    one_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    two = evaluate(project, use_cache=False, out_dir=project / "report-ray", batch_size=batch_size, ray="local",
                   ray_workers=workers)
    ray_s = time.perf_counter() - t0
    same = one.provenance.predictions_sha256 == two.provenance.predictions_sha256
    print(f"\n== {name}: {one.slices[0].n:,} rows, batch size {batch_size}")
    print(f"  one process             : {one_s:8.1f} s")
    print(f"  {workers} Ray workers (local) : {ray_s:8.1f} s   ratio ray/one {ray_s / one_s:.2f}x")
    print(f"  same answers (predictions digest): {'yes' if same else 'NO'}; the cluster: {two.provenance.cluster}")
    for role in ("teacher", "student"):
        a, b = getattr(one, role), getattr(two, role)
        thr = [m.latency.throughput_per_s if m and m.latency and m.latency.throughput_per_s else None for m in (a, b)]
        p50 = [m.latency.p50_ms if m and m.latency else None for m in (a, b)]
        if thr[0] or thr[1]:
            print(f"  {role} throughput rows/s: one process {_num(thr[0])}, cluster {_num(thr[1])}; "
                  f"p50 at batch size 1: {_num(p50[0], 'ms')} here, {_num(p50[1], 'ms')} on one worker")
    print("  where the cluster run's time went (s):")
    phases = two.provenance.cluster_seconds or {}
    for phase, seconds in phases.items():
        print(f"    {phase:<55} {seconds:8.1f}")
    print(f"    {'(the rest: reading the eval set, hashing, metrics, report)':<55} "
          f"{max(ray_s - sum(v for k, v in phases.items() if '(slowest)' not in k), 0):8.1f}")
    return {"name": name, "one_s": one_s, "ray_s": ray_s, "same": same}


def _num(v: float | None, unit: str = "") -> str:
    return "–" if v is None else f"{v:,.1f}{' ' + unit if unit else ''}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rows", type=int, default=200_000, help="rows of the recorded project")
    ap.add_argument("--batch-size", type=int, default=512, help="batch size on the recorded project")
    ap.add_argument("--skip-worked-example", action="store_true")
    args = ap.parse_args()
    import os

    import torch

    print(f"{os.cpu_count()} CPUs here; one process computes on {torch.get_num_threads()} torch threads, and so "
          f"does each of the {args.workers} workers")
    results = []
    with tempfile.TemporaryDirectory(prefix="stillhouse-scale-out-") as tmp:
        if not args.skip_worked_example:
            results.append(compare("worked example", worked_example(Path(tmp)), args.workers, 32))
        t0 = time.perf_counter()
        project = recorded_project(Path(tmp) / "recorded", args.rows)
        print(f"\n(built the {args.rows:,}-row recorded project in {time.perf_counter() - t0:.1f} s)")
        results.append(compare(f"{args.rows:,} recorded rows", project, args.workers, args.batch_size))
    print("\nside by side:")
    for r in results:
        print(f"  {r['name']:<24} one process {r['one_s']:7.1f} s   {args.workers} workers {r['ray_s']:7.1f} s   "
              f"ratio {r['ray_s'] / r['one_s']:.2f}x   same answers: {'yes' if r['same'] else 'NO'}")
    if not all(r["same"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
