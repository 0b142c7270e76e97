"""The benchmark scripts still run (on tiny inputs) and print the figures the docs quote.

These are smoke tests, not timed tests: nothing here asserts a duration or a ratio. The
figures come from running the scripts at full size on a quiet machine (see the docs)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from .conftest import ROOT


def _run(*args: str, timeout: int = 600) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_fleet_benchmark_runs_and_reports_cold_and_warm():
    out = _run("benchmarks/fleet_scale.py", "--sizes", "30", "--runs", "1")
    assert re.search(r"30 models .*cold [\d.]+ s .*warm [\d.]+ s", out), out
    assert "CPU seconds" in out


def test_fleet_scale_side_by_side_times_each_code_and_this_one_on_its_own_registry():
    """`--against REV` checks REV out into a worktree; HEAD keeps the test quick."""
    out = _run("benchmarks/fleet_scale.py", "--sizes", "30", "--runs", "1", "--against", "HEAD")
    assert re.search(r"30 models cold: this checkout [\d.]+ s, HEAD [\d.]+ s; .*: [\d.]+x", out), out
    assert re.search(r"without its collector switches.*this checkout [\d.]+x that", out), out
    assert re.search(r"on its own demo fleet's registry.*: [\d.]+ s; median [\d.]+ s; [\d.]+x HEAD", out), out
    assert re.search(r"CPU seconds \(medians, all processes\): this checkout [\d.]+ \([\d.]+ on its own", out), out


def test_fleet_scale_per_file_prints_each_step_of_a_worker():
    out = _run("benchmarks/fleet_scale.py", "--per-file", "14", "--runs", "1")
    steps = re.findall(r"^(manifest|report|hash)[^\n]*?\s([\d.]+) µs$", out, re.M)
    assert len(steps) == 10 and all(float(us) > 0 for _, us in steps), out


def test_eval_overhead_benchmark_runs_and_reports_every_ratio():
    out = _run("benchmarks/eval_overhead.py", "--rows", "200", "--repeats", "1", "--pairs", "2",
               "--latency-calls", "20")
    for label in ("ratio (a)/(b)", "ratio (c)/(d)", "fixed cost per run", "with those calls counted"):
        assert label in out, out
    diffs = re.findall(r"(teacher|student): report p50 [\d.]+ .*p50 differs by ([+-][\d.]+)%", out)
    assert [role for role, _ in diffs] == ["teacher", "student"], out


def test_eval_overhead_benchmark_runs_on_an_existing_project(tmp_path):
    """`--project` times a real pair (the worked example in the docs); here a tiny project
    with local teacher and student, which the script copies and leaves untouched."""
    from ._projects import classification_project

    project = classification_project(tmp_path / "p", teacher="local", n=60)
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    out = _run("benchmarks/eval_overhead.py", "--project", str(project), "--repeats", "1", "--pairs", "1",
               "--latency-calls", "20")
    assert "60 rows" in out and "ratio (a)/(b)" in out and "ratio (c)/(d)" in out, out
    harness_agree, bare_agree = map(float, re.search(r"agreement: harness ([\d.]+), bare loop ([\d.]+)", out).groups())
    assert harness_agree == bare_agree, out  # the same answers, whoever runs the models
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_validate_benchmark_runs():
    out = _run("benchmarks/validate_wall.py", "--runs", "2")
    assert re.search(r"stillhouse validate\s*:\s*[\d.]+ ms", out) and "ratio validate/startup" in out, out


def test_distill_batching_benchmark_runs_on_the_worked_example(tmp_path):
    """Both ways of batching train the same student from the same teacher logits; on 64
    rows the grouped batches carry less padding than random ones."""
    import shutil

    we = ROOT / "examples" / "worked-example"
    project = tmp_path / "we"
    shutil.copytree(we, project, ignore=shutil.ignore_patterns("teacher", "report", ".stillhouse", "__pycache__"))
    sys.path.insert(0, str(we))
    try:
        from build_teacher import assemble
    finally:
        sys.path.remove(str(we))
    assemble(project / "teacher")
    out = _run("benchmarks/distill_batching.py", "--project", str(project), "--rows", "64", "--epochs", "1")
    assert "64 transfer rows" in out and "ratio grouped/random" in out, out
    pad = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(grouped by length|random batches)\s+[\d.]+\s+(\d+)%",
                                                             out, re.M)}
    assert set(pad) == {"grouped by length", "random batches"} and pad["grouped by length"] < pad["random batches"], out


def test_distill_generative_benchmark_runs_and_reports_the_ratio():
    """The same student on the same tokens both ways: `stillhouse distill` (shuffled, and
    grouped by length) and the bare Hugging Face loop."""
    out = _run("benchmarks/distill_generative.py", "--rows", "60", "--epochs", "1", "--repeats", "1", "--threads", "1")
    assert "60 training rows" in out, out
    assert "ratio stillhouse/bare (training time per token, median of the rounds' ratios)" in out, out
    ways = {m.group(1).strip(): int(m.group(2)) for m in re.finditer(
        r"^(stillhouse distill|bare HF loop|  group_by_length)\s+[\d.]+\s+[\d.]+\s+(\d+)\s+\d+\s+[\d.]+$", out, re.M)}
    assert set(ways) == {"stillhouse distill", "bare HF loop", "group_by_length"}, out
    assert len(set(ways.values())) == 1, out        # every way trains on exactly the same tokens


def test_intent_transfer_manifest_takes_another_student_and_stays_valid():
    """`distill_transfer.py --student` goes through make_project's manifest; the result must be
    a valid manifest with the student asked for, and a bad setting is refused. In a process of
    its own: the script puts its folder on sys.path for its `make_data`, a name the worked
    example's folder uses too."""
    code = """if True:
        import json, sys, yaml, standards
        sys.path.insert(0, "benchmarks/intent_transfer")
        import make_project as mp
        acc = {name: 0.8 for name in [*mp.DOMAINS, "all", "out_of_scope", "typos"]}
        out = {}
        for asked in (None, "hidden_size=384,heads=12,intermediate_size=1536"):
            data = yaml.safe_load(mp.manifest(*["ab" * 32] * 5, 3000, acc, mp.student_settings(asked)))
            standards.parse_manifest(data)
            out[str(asked)] = data["distillation"]["student"]
        for bad in ("width=384", "layers=two", "layers="):
            try:
                mp.student_settings(bad)
            except ValueError as exc:
                out[bad] = str(exc)
        print(json.dumps(out))
    """
    out = json.loads(_run("-c", code).strip().splitlines()[-1])
    default = {"layers": 2, "hidden_size": 192, "heads": 3, "intermediate_size": 384, "vocabulary": "pruned"}
    assert out["None"] == default
    assert out["hidden_size=384,heads=12,intermediate_size=1536"] == {
        **default, "hidden_size": 384, "heads": 12, "intermediate_size": 1536}
    assert "KEY one of layers" in out["width=384"] and "whole number" in out["layers=two"]
    assert "--student" in out["layers="]


def test_intent_transfer_ceiling_refuses_without_a_teacher_and_a_seed_is_another_teacher(tmp_path):
    """ceiling.py trains teachers of other seeds next to the benchmark's: without the
    benchmark's teacher it stops with exit 2, and a teacher of another seed has another reuse
    key (else build_teacher would call seed 0's folder current and never train seed 1)."""
    proc = subprocess.run([sys.executable, "benchmarks/intent_transfer/ceiling.py", "--data", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and "needs the benchmark's teacher" in proc.stderr, proc.stderr
    (tmp_path / "teacher_train.jsonl").write_text('{"text": "hi", "label": "small_talk_greeting"}\n')
    code = f"""if True:
        import sys
        sys.path.insert(0, "benchmarks/intent_transfer")
        import build_teacher as bt
        from pathlib import Path
        keys = []
        for seed in (0, 1, 0):
            bt.FINETUNE["seed"] = seed
            keys.append(bt.weights_key(Path({str(tmp_path / "teacher_train.jsonl")!r})))
        print(keys[0] != keys[1], keys[0] == keys[2])
    """
    assert _run("-c", code).split()[-2:] == ["True", "True"]


def test_pad_batch_benchmark_checks_the_tensors_and_prints_the_ratio():
    out = _run("benchmarks/pad_batch.py", "--rows", "100", "--runs", "1")
    assert re.search(r"pad_batch [\d.]+ ms a batch, tokenizer.pad [\d.]+ ms a batch: .* [\d.]+x the time", out), out
    assert "the same tensors both ways" in out
