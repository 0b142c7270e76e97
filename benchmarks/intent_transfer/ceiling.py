"""How often two teachers agree on the held-out wordings: a ceiling for a student's agreement.

    .venv/bin/python benchmarks/intent_transfer/ceiling.py               # seeds 1 and 2
    .venv/bin/python benchmarks/intent_transfer/ceiling.py --seeds 1 --threads 1

The benchmark's targets ask a student to agree with its teacher on 85% of messages worded in
paraphrase families it never saw. This script asks what the same question gives for a model
that has everything the student lacks: the teacher's own architecture and pretrained
weights, fine-tuned on the same data by the same recipe (`build_teacher.py`), only with
another seed (the new classifier's initial weights and the batch order). Where two such
teachers disagree, the data and the pretraining do not decide the answer, and no student
trained from the teacher's answers on other wordings can be expected to guess it.

Needs the data and the teacher (`distill_transfer.py` builds both). Each other teacher goes
into `build/ceiling/seed-N/` and is reused while current. Prints, per slice of the eval set
(and dev overall), each teacher's accuracy and its agreement with the benchmark's teacher,
next to the student's agreement from the last `build/project/report/report.json` when there
is one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build_teacher  # noqa: E402
from build_teacher import in_slice, predict  # noqa: E402
from make_data import DEFAULT_OUT, DOMAINS  # noqa: E402

SLICES = ["all", *DOMAINS, "out_of_scope", "typos"]


def load(teacher: Path, threads: int):
    """(model, tokenizer) of a teacher folder."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.set_num_threads(threads)
    return (AutoModelForSequenceClassification.from_pretrained(teacher, use_safetensors=True, local_files_only=True),
            AutoTokenizer.from_pretrained(teacher, local_files_only=True))


def share(flags: list[bool]) -> str:
    return f"{sum(flags) / len(flags):.3f}" if flags else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_OUT, help="folder with the JSONL files and project/")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2], help="seeds of the other teachers (not 0)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (1 when another job holds a core)")
    args = ap.parse_args(argv)
    data = args.data.resolve()
    main_teacher = data / "project" / "teacher"
    if not (main_teacher / "model.safetensors").is_file() or 0 in args.seeds:
        print(f"error: needs the benchmark's teacher in {main_teacher} (run distill_transfer.py) and seeds "
              "other than 0", file=sys.stderr)
        return 2
    others = {}
    for seed in args.seeds:
        folder = data / "ceiling" / f"seed-{seed}"
        rc = build_teacher.main(["--data", str(data), "--project", str(folder), "--seed", str(seed),
                                 "--threads", str(args.threads)])
        if rc:
            return rc
        others[seed] = folder / "teacher"

    student: dict[str, float] = {}
    report_file = data / "project" / "report" / "report.json"
    if report_file.is_file():
        report = json.loads(report_file.read_text(encoding="utf-8"))
        student = {s["name"]: s["agreement"]["value"] for s in report["slices"] if s.get("agreement")}

    splits = {split: build_teacher.read_rows(data / f"{split}.jsonl") for split in ("eval", "dev")}
    labels: dict[int, dict[str, list[str]]] = {}   # seed -> split -> the teacher's label per row
    for seed, folder in {0: main_teacher, **others}.items():
        model, tok = load(folder, args.threads)
        labels[seed] = {split: predict(model, tok, rows) for split, rows in splits.items()}
    for split, rows in splits.items():
        ref = labels[0][split]
        preds = {seed: labels[seed][split] for seed in others}
        names = SLICES if split == "eval" else ["all"]
        header = ["slice", "n", "teacher (seed 0) acc."]
        for seed in others:
            header += [f"seed {seed} acc.", f"seed {seed} agrees with seed 0"]
        if split == "eval" and student:
            header.append("student agrees with seed 0 (report.json)")
        print(f"\n{split}: {len(rows):,} messages from paraphrase families no teacher trained on")
        print("| " + " | ".join(header) + " |")
        print("|" + " --- |" * len(header))
        for name in names:
            idx = [i for i, r in enumerate(rows) if in_slice(r, name)]
            line = [name, f"{len(idx):,}", share([ref[i] == rows[i]["label"] for i in idx])]
            for seed in others:
                p = preds[seed]
                line += [share([p[i] == rows[i]["label"] for i in idx]), share([p[i] == ref[i] for i in idx])]
            if split == "eval" and student:
                line.append(f"{student[name]:.3f}" if name in student else "-")
            print("| " + " | ".join(line) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
