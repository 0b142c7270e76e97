"""Build and check the generation example: a causal-LM student distilled by `stillhouse distill`
from a larger causal-LM teacher, in both modes.

    python examples/generation-mini/build.py                    # everything; retrains only what is stale
    python examples/generation-mini/build.py --no-eval          # stop after the students (what `make` needs)
    python examples/generation-mini/build.py --retrain-teacher  # train the teacher again from its config

The task spells out digit strings (`spell: 3 1 4 =` -> `three one four`). No pretrained
generative weights are reachable here, so the teacher is trained by this script from a
config (a four-layer GPT-2, 0.8M parameters) on the reference answers; then two students,
two-layer GPT-2s of 0.1M parameters built from `student-config.json`, learn from it:

  1. data      the data generator must reproduce data/ byte for byte (the eval set is frozen).
  2. teacher   teacher-lm/ is trained only when missing (or --retrain-teacher); its pin is
               written into stillhouse.yaml. The weights are committed, so a clone never
               retrains it and every machine evaluates the same teacher.
  3. distill   token level, in this project: the student matches the teacher's next-token
               distributions (GKD's generalised JSD), half of the batches on its own samples.
  4. record    `stillhouse record` runs the teacher once over the eval and distillation sets
               into sequence-level/recorded/teacher.jsonl (only when the teacher or the sets
               changed): what an API teacher's answers look like.
  5. distill   sequence level, in sequence-level/: a second project whose teacher is that
               recording; its student learns the teacher's answers, text only.
  6. eval      `stillhouse eval --gate` on both projects: both must pass.
  7. validate  `stillhouse validate` on both: exit 0.

Each `stillhouse` step is the command a user would type. Steps 3 and 5 are skipped by distill
itself when the training record's key matches (data, teacher pin, settings, trainer source,
library versions). Torch runs on one thread throughout, so a rebuild reproduces the committed
students bit for bit on the same machine.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SEQ = HERE / "sequence-level"
RECORDING = "sequence-level/recorded/teacher.jsonl"
SEED = 11
TEMPLATE = "spell: {input} ="
NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}


def spell(text: str) -> str:
    return " ".join(NAMES[int(d)] for d in text.split())


# --- 1. data -------------------------------------------------------------------------------------


def make_data(out: Path) -> None:
    """All digit strings of 1-4 digits drawn with a fixed seed, split into a 240-row eval set
    and a disjoint training pool; `label` is the reference answer."""
    rng = random.Random(SEED)
    strings = sorted({" ".join(rng.choice("0123456789") for _ in range(rng.randint(1, 4))) for _ in range(6000)})
    rng.shuffle(strings)
    for name, part, prefix in (("eval.jsonl", strings[:240], "eval"), ("train.jsonl", strings[240:], "train")):
        rows = [{"id": f"{prefix}-{i:04d}", "text": s, "label": spell(s), "digits": len(s.split())}
                for i, s in enumerate(part)]
        (out / name).write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")


def check_data() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        make_data(Path(tmp))
        for name in ("eval.jsonl", "train.jsonl"):
            if not filecmp.cmp(Path(tmp) / name, HERE / "data" / name, shallow=False):
                raise SystemExit(f"data: the generator no longer reproduces data/{name}; the eval set is frozen, "
                                 "so a change to the generator is a new data set: re-pin it deliberately")


# --- 2. the teacher ------------------------------------------------------------------------------


def tokenizer() -> object:
    """Word-level: the prompt words, the digits and their names, padding and end of sequence."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[EOS]", "spell:", "="] + list("0123456789") + NAMES)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")  # word-level tokens joined by spaces
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]",
                                   model_max_length=32)


def train_teacher(out: Path, epochs: int = 6, batch_size: int = 32, lr: float = 2e-3) -> int:
    """The teacher: a GPT-2 from teacher-config.json trained on the training pool's reference
    answers, loss on the answer tokens and [EOS] only. Returns its parameter count."""
    import torch
    import torch.nn.functional as F
    from transformers import AutoConfig, AutoModelForCausalLM

    tok = tokenizer()
    cfg = json.loads((HERE / "teacher-config.json").read_text(encoding="utf-8"))
    torch.manual_seed(SEED)
    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(cfg.pop("model_type"), **cfg))
    rows = [json.loads(line) for line in (HERE / "data" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    examples = [(tok(TEMPLATE.format(input=r["text"]))["input_ids"], tok(r["label"])["input_ids"] + [tok.eos_token_id])
                for r in rows]
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    g = torch.Generator().manual_seed(SEED)
    model.train()
    for epoch in range(1, epochs + 1):
        total = count = 0.0
        for batch in torch.randperm(len(examples), generator=g).split(batch_size):
            seqs = [examples[i] for i in batch.tolist()]
            width = max(len(p) + len(a) for p, a in seqs)
            ids = torch.full((len(seqs), width), tok.pad_token_id)                  # (B, T), padded on the right
            mask = torch.zeros((len(seqs), width), dtype=torch.long)               # (B, T)
            labels = torch.full((len(seqs), width), -100)                          # (B, T): the answer only
            for i, (p, a) in enumerate(seqs):
                ids[i, :len(p) + len(a)] = torch.tensor(p + a)
                mask[i, :len(p) + len(a)] = 1
                labels[i, len(p):len(p) + len(a)] = torch.tensor(a)
            logits = model(input_ids=ids, attention_mask=mask).logits                # (B, T, V)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            n = int((labels != -100).sum())
            total, count = total + loss.item() * n, count + n
        print(f"             teacher epoch {epoch}/{epochs}: loss {total / count:.4f} per answer token")
    model.eval()
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)  # type: ignore[attr-defined]
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)
    return sum(p.numel() for p in model.parameters())


def teacher_step(retrain: bool) -> None:
    import harness
    from harness.project import set_values
    from standards import artifact_sha256

    project = harness.load_project(HERE)
    folder = HERE / project.manifest.teacher.path
    current = folder.is_dir() and artifact_sha256(folder) == project.manifest.teacher.sha256
    if current and not retrain:
        print(f"[teacher ]    0.0 s  teacher-lm/ matches its pin; not retrained (--retrain-teacher to retrain)")
        return
    t0 = time.perf_counter()
    torch_threads()
    params = train_teacher(folder)
    sha = artifact_sha256(folder)
    set_values(project.manifest_file, "teacher", {"sha256": sha})
    print(f"[teacher ] {time.perf_counter() - t0:6.1f} s  trained teacher-lm/ ({params:,} parameters); pinned {sha}")


def torch_threads() -> None:
    import torch

    torch.set_num_threads(1)  # the same bits on every run on a machine, and gentle on shared ones


# --- 3-7. the stillhouse commands ------------------------------------------------------------------


def run(step: str, *args: str, expect: int = 0) -> None:
    cmd = [sys.executable, "-m", "harness", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=ENV, text=True, capture_output=True)
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-2:]
    print(f"[{step:<8}] {time.perf_counter() - t0:6.1f} s  exit {proc.returncode}  stillhouse {' '.join(args)}")
    for line in tail:
        print(f"             {line}")
    if proc.returncode != expect:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        raise SystemExit(f"{step}: expected exit {expect}, got {proc.returncode}")


def recording_current() -> bool:
    """Does the recording answer for this teacher over these exact sets?"""
    import harness
    from standards import file_sha256, model_pin

    path = HERE / RECORDING
    if not path.is_file():
        return False
    with open(path, encoding="utf-8") as f:
        header = json.loads(f.readline()).get("stillhouse_recording", {})
    project = harness.load_project(HERE)
    wanted = {"eval": file_sha256(HERE / "data" / "eval.jsonl"), "distillation": file_sha256(HERE / "data" / "train.jsonl")}
    return (header.get("teacher", {}).get("pin") == model_pin(project.manifest.teacher)
            and {s["name"]: s["sha256"] for s in header.get("sets", [])} == wanted)


def sequence_level_inputs() -> None:
    """The second project's own copies of what it reads (a project reads nothing outside its
    folder): the data, the tokenizer the teacher lends, the student's config; and the
    recording's pin in its manifest."""
    from harness.project import load_project
    from harness.project import set_values
    from standards import file_sha256

    for rel in ("data/eval.jsonl", "data/train.jsonl", "student-config.json"):
        (SEQ / rel).parent.mkdir(parents=True, exist_ok=True)
        if not (SEQ / rel).is_file() or not filecmp.cmp(HERE / rel, SEQ / rel, shallow=False):
            shutil.copyfile(HERE / rel, SEQ / rel)
    (SEQ / "tokenizer").mkdir(exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if not (SEQ / "tokenizer" / name).is_file() or not filecmp.cmp(HERE / "teacher-lm" / name,
                                                                        SEQ / "tokenizer" / name, shallow=False):
            shutil.copyfile(HERE / "teacher-lm" / name, SEQ / "tokenizer" / name)
    sha = file_sha256(SEQ / "recorded" / "teacher.jsonl")
    project = load_project(SEQ)
    if project.manifest.teacher.sha256 != sha:
        with open(SEQ / "recorded" / "teacher.jsonl", encoding="utf-8") as f:
            header = json.loads(f.readline())["stillhouse_recording"]
        source = (f"the generation-mini teacher ({header['teacher']['pin']}), recorded by `stillhouse record` on "
                  f"{header['finished_at'][:10]}")
        set_values(project.manifest_file, "teacher", {"sha256": sha, "source": source})


def main() -> None:
    ap = argparse.ArgumentParser(description="Build and check the generation example.")
    ap.add_argument("--no-eval", action="store_true", help="stop after the students")
    ap.add_argument("--retrain-teacher", action="store_true", help="train teacher-lm/ again from its config")
    args = ap.parse_args()
    t0 = time.perf_counter()
    check_data()
    print(f"[data    ] {time.perf_counter() - t0:6.1f} s  the generator reproduces data/ byte for byte")
    teacher_step(args.retrain_teacher)
    run("distill", "distill", "examples/generation-mini", "--write-pin")
    if recording_current():
        print(f"[record  ]    0.0 s  {RECORDING} answers for this teacher and these sets; not recorded again")
    else:
        run("record", "record", "examples/generation-mini", "--out", RECORDING, "--quiet")
    sequence_level_inputs()
    run("distill", "distill", "examples/generation-mini/sequence-level", "--write-pin")
    if not args.no_eval:
        for proj in ("examples/generation-mini", "examples/generation-mini/sequence-level"):
            run("eval", "eval", proj, "--gate", "--quiet")
        for proj in ("examples/generation-mini", "examples/generation-mini/sequence-level"):
            run("validate", "validate", proj)
    print(f"built the generation example in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
