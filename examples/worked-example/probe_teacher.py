"""How far can a student copy this teacher? Linear read-outs of the teacher's own layers.

    python examples/worked-example/probe_teacher.py                    # transfer set as committed (~1 min)
    python examples/worked-example/probe_teacher.py --rows 6000 24000  # also a 24,000-message set (~3 min)

A diagnostic for the worked example's agreement target (0.95), run on `data/dev.jsonl`
only, never on the eval set. For each of the teacher's seven hidden states (the embedding
output, then its six layers) it takes one vector per message -- the [CLS] vector, which is
what the teacher's head reads, and the mean over the message's tokens -- and fits a linear
softmax read-out to the teacher's own soft labels on the transfer set (`data/train.jsonl`,
or a larger set drawn by `make_data.py`'s generator with the transfer seed, whose first
6,000 rows are the committed ones). It then reports how often the read-out agrees with
the teacher on dev messages, with and without typos.

What it means: a read-out of layer k shows how much of the teacher's decision can be
recovered from what the teacher has computed by layer k, with this much transfer data. A
student that reproduces layer k no better than the teacher itself does will not copy the
teacher better than that read-out (it may do worse). Figures and conclusions are in
README.md ("How far can a student copy this teacher?").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_data  # noqa: E402

MAX_LENGTH = 64


def transfer_rows(n: int) -> list[dict]:
    """The committed transfer set, or a larger one from the same generator, seed and exclusions."""
    committed = [json.loads(line) for line in (HERE / "data" / "train.jsonl").open(encoding="utf-8")]
    if n <= len(committed):
        return committed[:n]
    frozen = {r["text"].lower() for r in make_data.make(make_data.SIZES["eval"], make_data.SEED_EVAL, "eval", set())}
    rows = make_data.make(n, make_data.SEED_TRAIN, "train", exclude=frozen)
    assert [r["text"] for r in rows[:len(committed)]] == [r["text"] for r in committed], "generator changed"
    return rows


def features(texts: list[str], tok, teacher):  # noqa: ANN001, ANN201
    """Per hidden state: [CLS] vectors and token means, (states, n, 384) each; and the logits."""
    import torch

    cls, mean, logits = [], [], []
    with torch.inference_mode():
        for i in range(0, len(texts), 64):
            batch = tok(texts[i:i + 64], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
            out = teacher(**batch, output_hidden_states=True)
            mask = batch["attention_mask"].unsqueeze(-1).float()
            cls.append(torch.stack([h[:, 0] for h in out.hidden_states]))
            mean.append(torch.stack([(h * mask).sum(1) / mask.sum(1) for h in out.hidden_states]))
            logits.append(out.logits)
    return torch.cat(cls, 1), torch.cat(mean, 1), torch.cat(logits)


def read_out(x, soft, x_dev):  # noqa: ANN001, ANN201
    """A linear softmax read-out fitted to the teacher's soft labels (full batch, Adam, seeded)."""
    import torch

    torch.manual_seed(0)
    mu, sd = x.mean(0), x.std(0) + 1e-6
    w = torch.nn.Linear(x.shape[1], soft.shape[1])
    opt = torch.optim.Adam(w.parameters(), lr=1e-2, weight_decay=1e-4)
    xs = (x - mu) / sd
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(w(xs), soft).backward()
        opt.step()
    with torch.no_grad():
        return w((x_dev - mu) / sd).argmax(-1)


def mistakes(dev: list[dict], logits, id2label: dict) -> str:  # noqa: ANN001
    """What the teacher's mistakes on typo'd dev messages look like: how many there are, how
    scattered they are over intents, and how sure the teacher is of them. A systematic
    mistake (always the same wrong intent) could be learnt by a student; scattered,
    confident ones come from how the teacher reads each misspelt word."""
    import statistics

    probs = logits.softmax(-1)
    answer = [id2label[int(k)] for k in probs.argmax(-1)]
    top = probs.max(-1).values.tolist()
    typo = [k for k, r in enumerate(dev) if r["has_typo"]]
    wrong = [k for k in typo if answer[k] != dev[k]["label"]]
    right = [k for k in typo if answer[k] == dev[k]["label"]]
    if not wrong:
        return f"teacher on {len(typo)} typo'd dev messages: no mistakes"
    answers = {answer[k] for k in wrong}
    pairs = {(dev[k]["label"], answer[k]) for k in wrong}
    return (f"teacher on {len(typo)} typo'd dev messages: {len(wrong)} mistakes, {len(answers)} distinct wrong "
            f"intents, {len(pairs)} distinct (gold, answer) pairs; median top probability "
            f"{statistics.median(top[k] for k in wrong):.2f} when wrong ("
            f"{sum(top[k] >= 0.9 for k in wrong) / len(wrong):.0%} at 0.9 or more), "
            f"{statistics.median(top[k] for k in right) if right else float('nan'):.3f} when right")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1500, 3000, 6000],
                    help="transfer-set sizes to fit read-outs on (default: 1500 3000 6000)")
    args = ap.parse_args(argv)
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.set_num_threads(2)
    teacher_dir = HERE / "teacher"
    if not (teacher_dir / "model.safetensors").is_file():
        print("error: teacher/ is missing: run build_teacher.py first", file=sys.stderr)
        return 2
    tok = AutoTokenizer.from_pretrained(teacher_dir)
    teacher = AutoModelForSequenceClassification.from_pretrained(teacher_dir).eval()
    dev = [json.loads(line) for line in (HERE / "data" / "dev.jsonl").open(encoding="utf-8")]
    train = transfer_rows(max(args.rows))
    t0 = time.perf_counter()
    cls, mean, logits = features([r["text"] for r in train], tok, teacher)
    d_cls, d_mean, d_logits = features([r["text"] for r in dev], tok, teacher)
    print(f"teacher on {len(train)} transfer and {len(dev)} dev messages: {time.perf_counter() - t0:.0f} s")
    target = d_logits.argmax(-1)
    typo = torch.tensor([bool(r["has_typo"]) for r in dev])
    print(mistakes(dev, d_logits, teacher.config.id2label))
    print("| hidden state | vector | transfer rows | dev agreement | with typos | without |")
    print("| --- | --- | --- | --- | --- | --- |")
    for layer in range(cls.shape[0]):
        for name, x, x_dev in (("[CLS]", cls, d_cls), ("token mean", mean, d_mean)):
            if layer == 0 and name == "[CLS]":
                continue  # the same vector for every message before any layer mixes the tokens
            for n in sorted(args.rows):
                agree = (read_out(x[layer, :n], torch.softmax(logits[:n], -1), x_dev[layer]) == target).float()
                label = "embeddings" if layer == 0 else f"layer {layer}"
                print(f"| {label} | {name} | {n} | {agree.mean():.3f} | {agree[typo].mean():.3f} "
                      f"| {agree[~typo].mean():.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
