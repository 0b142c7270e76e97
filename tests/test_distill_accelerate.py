"""`stillhouse distill` on several processes through `accelerate launch` (data parallel):
two CPU processes over gloo train one student, step for step the one-process training, and
write the same training record. Slow: each process imports torch and trains."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, run_cli
from .test_distill import tiny_project

pytestmark = pytest.mark.slow

ACCELERATE = Path(sys.executable).parent / "accelerate"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch(*args: str | Path, processes: int = 2) -> subprocess.CompletedProcess[str]:
    """`accelerate launch` as the docs show it: its torchrun launcher (`--multi_gpu`), which
    on a machine without GPUs trains on the CPU over gloo."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "OMP_NUM_THREADS": "1"}
    cmd = [str(ACCELERATE), "launch", "--multi_gpu", "--num_processes", str(processes), "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(_free_port()),
           *map(str, args)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The tiny project of test_distill.py: a local teacher, a transfer set of 240 rows."""
    return tiny_project(tmp_path / "project")


def test_two_processes_write_the_one_process_record(project: Path, tmp_path: Path):
    alone = tmp_path / "alone"
    shutil.copytree(project, alone)
    one = run_cli("distill", alone)
    assert one.code == 0, one.output
    r = _launch("-m", "harness", "distill", project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("epoch   1/3") == 1  # the main process reports for both
    assert not list(project.glob(".student.tmp*"))
    a = json.loads((alone / "training" / "record.json").read_text())
    b = json.loads((project / "training" / "record.json").read_text())
    assert set(a) == set(b)
    assert a["data_parallel"] is None
    assert {k: b["data_parallel"][k] for k in ("processes", "backend", "device")} == \
        {"processes": 2, "backend": "gloo", "device": "cpu"}
    assert b["key"] == a["key"]  # the same inputs: how many processes trained it is not one of them
    assert [e["epoch"] for e in b["epochs"]] == [e["epoch"] for e in a["epochs"]]
    for ea, eb in zip(a["epochs"], b["epochs"]):  # other dropout draws per process: close, not equal
        assert eb["loss"] == pytest.approx(ea["loss"], rel=0.05)
    from standards import artifact_sha256

    assert b["student"]["sha256"] == artifact_sha256(project / "student")
    assert b["student"]["parameters"] == a["student"]["parameters"]
    # One process now finds the student current: the record is an ordinary training record.
    again = run_cli("distill", project)
    assert again.code == 0 and "up to date" in again.output, again.output


PROBE = '''
import hashlib, json, sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, {root!r})
import torch
from transformers import BertConfig, BertForSequenceClassification

from harness.distillation import train_student
from harness.distillation._accelerate import data_parallel
from tests.test_distill import LABELS, _rows, _tokenizer

out = Path({out!r})
dp = data_parallel()
tok = _tokenizer()
dist = SimpleNamespace(alpha=0.5, temperature=2.0, epochs=2, learning_rate=0.01, batch_size=16, seed=3, max_length=16)
result = {{}}
for n in (96, 99):  # batches of 16 that split evenly over 2 processes; then a last batch of 3 that does not
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=32, num_labels=3,
                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = BertForSequenceClassification(cfg)
    rows = _rows(n, 1, "t")
    gold = torch.tensor([LABELS.index(r["label"]) for r in rows])
    teacher = torch.randn(n, 3, generator=torch.Generator().manual_seed(0))
    history = train_student(model, tok, [r["text"] for r in rows], gold, teacher, dist, data_parallel=dp)
    weights = b"".join(p.detach().double().numpy().tobytes() for p in model.parameters())
    result[n] = {{"history": history, "weights": hashlib.sha256(weights).hexdigest()}}
name = f"rank{{dp.rank}}-of-{{dp.processes}}" if dp is not None else "alone"
(out / f"{{name}}.json").write_text(json.dumps(result))
'''


def test_processes_keep_one_student_and_take_the_one_process_steps(tmp_path: Path):
    """Without dropout, the two processes hold the same weights after every step and their
    epoch figures are those of one process on whole batches, to float rounding."""
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE.format(root=str(ROOT), out=str(tmp_path)), encoding="utf-8")
    r = _launch(probe)
    assert r.returncode == 0, r.stdout + r.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    alone = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=600,
                           env={**env, "OMP_NUM_THREADS": "1"})
    assert alone.returncode == 0, alone.stderr
    ranks = [json.loads((tmp_path / f"rank{k}-of-2.json").read_text()) for k in (0, 1)]
    one = json.loads((tmp_path / "alone.json").read_text())
    for n in ("96", "99"):
        assert ranks[0][n]["weights"] == ranks[1][n]["weights"]  # gradients averaged: one student
        figures = [[{k: v for k, v in e.items() if k != "seconds"} for e in rank[n]["history"]] for rank in ranks]
        assert figures[0] == figures[1]  # the figures summed over both
    close: Any = lambda a, b: a == pytest.approx(b, abs=2e-5)  # noqa: E731
    for e2, e1 in zip(ranks[0]["96"]["history"], one["96"]["history"]):
        assert all(close(e2[k], e1[k]) for k in ("loss", "ce", "kl", "train_agreement")), (e2, e1)
