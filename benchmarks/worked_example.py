"""Teacher vs student of the worked example, side by side in one run: size, p50/p95
latency at batch size 1 on CPU, and accuracy/agreement per slice, with the ratios.

    .venv/bin/python benchmarks/worked_example.py                # on the dev split (choosing settings)
    .venv/bin/python benchmarks/worked_example.py --split eval   # on the frozen eval set (final figures)

Settings of the example were chosen on the dev split only; `stillhouse eval` reports the
frozen set. Both models run in this process, alternating call by call, so background load
hits both alike and the ratio stays meaningful on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--project", default=str(ROOT / "examples" / "worked-example"))
    ap.add_argument("--split", choices=["dev", "eval"], default="dev")
    ap.add_argument("--calls", type=int, default=300, help="timed calls per model")
    args = ap.parse_args()

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from harness import load_project
    from standards import slice_masks
    from standards.tabular import read_rows

    project = load_project(args.project)
    m = project.manifest
    rows = read_rows(project.dir / "data" / f"{args.split}.jsonl")
    texts = [r["text"] for r in rows]
    gold = [m.labels.index(r["label"]) for r in rows]
    models = {}
    for role in ("teacher", "student"):
        d = project.path(getattr(m, role).path)
        models[role] = (AutoTokenizer.from_pretrained(d),
                        AutoModelForSequenceClassification.from_pretrained(d, use_safetensors=True).eval())
    preds = {}
    with torch.inference_mode():
        for role, (tok, model) in models.items():
            out = []
            for s in range(0, len(texts), 64):
                b = tok(texts[s:s + 64], padding=True, truncation=True, max_length=64, return_tensors="pt")
                out += model(**b).logits.argmax(-1).tolist()
            preds[role] = out
    params = {role: sum(p.numel() for p in model.parameters()) for role, (_, model) in models.items()}

    # Latency: one text per call (tokenise + forward), the two models alternating.
    times: dict[str, list[float]] = {"teacher": [], "student": []}
    with torch.inference_mode():
        for i in range(args.calls + 20):
            text = texts[i % len(texts)]
            for role, (tok, model) in models.items():
                t0 = time.perf_counter()
                model(**tok([text], truncation=True, max_length=64, return_tensors="pt"))
                if i >= 20:
                    times[role].append((time.perf_counter() - t0) * 1000)

    def pct(xs: list[float], q: float) -> float:
        return sorted(xs)[int(q * (len(xs) - 1))]

    print(f"split: {args.split} ({len(rows)} rows), torch threads {torch.get_num_threads()}")
    print(f"parameters: teacher {params['teacher']:,}  student {params['student']:,}  "
          f"ratio {params['teacher'] / params['student']:.1f}x")
    p50 = {r: statistics.median(t) for r, t in times.items()}
    print(f"latency p50 ms: teacher {p50['teacher']:.2f}  student {p50['student']:.2f}  "
          f"ratio {p50['teacher'] / p50['student']:.1f}x   (p95: teacher {pct(times['teacher'], .95):.2f}, "
          f"student {pct(times['student'], .95):.2f})")
    masks = slice_masks(m.slices, rows, m.eval_set.fields.input)
    print(f"{'slice':<14}{'n':>6}{'teacher':>9}{'student':>9}{'ratio':>8}{'agree':>8}")
    worst = 9.0
    for name, mask in masks.items():
        idx = [i for i, keep in enumerate(mask) if keep]
        if not idx:
            continue
        acc_t = sum(preds["teacher"][i] == gold[i] for i in idx) / len(idx)
        acc_s = sum(preds["student"][i] == gold[i] for i in idx) / len(idx)
        agree = sum(preds["teacher"][i] == preds["student"][i] for i in idx) / len(idx)
        worst = min(worst, acc_s / acc_t)
        print(f"{name:<14}{len(idx):>6}{acc_t:>9.3f}{acc_s:>9.3f}{acc_s / acc_t:>8.3f}{agree:>8.3f}")
    print(json.dumps({"param_ratio": params["teacher"] / params["student"],
                      "p50_ratio": p50["teacher"] / p50["student"], "worst_slice_accuracy_ratio": worst}))


if __name__ == "__main__":
    main()
