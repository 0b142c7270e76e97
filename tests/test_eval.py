"""`stillhouse eval` end to end on real, tiny projects: reports, gate, pins, cache, resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import harness
from harness import IntegrityError, load_project
from harness.render import load_report

from ._projects import classification_project, eval_rows, manifest, tiny_causal_lm, write_jsonl
from .conftest import EXAMPLES, ROOT, run_cli


def _sealed(path: Path) -> dict:
    """The JSON body of a sealed cache file (its first line is the sha256 of the rest)."""
    seal, _, body = path.read_bytes().partition(b"\n")
    import hashlib

    assert hashlib.sha256(body).hexdigest().encode() == seal, path
    return json.loads(body)


def _cached(path: Path) -> list:
    """The predictions a sealed cache file holds, decoded by the cache's own reader."""
    from harness.eval._cache import _rows

    columns = _sealed(path)["outputs"]
    return _rows(columns, len(columns["output"]))


def _calls(log: Path) -> int:
    return sum(int(x) for x in log.read_text().split()) if log.exists() else 0


# --- the minimal example --------------------------------------------------------------------


def test_minimal_example_passes_the_gate_and_then_validate(minimal_project):
    res = run_cli("eval", minimal_project, "--gate", "--quiet")
    assert res.code == 0, res.output
    report = load_report(minimal_project / "report" / "report.json")
    assert report.gate.verdict == "pass"
    assert [s.name for s in report.slices] == ["all", "short", "email", "typos"]
    assert report.slices[0].n == 320
    assert report.teacher.kind == "recorded" and report.teacher.latency is None
    assert report.student.parameters == 19556 and report.student.latency.calls == 100
    assert report.slices[0].js_divergence is not None
    for name in ("report.md", "report.html"):
        assert (minimal_project / "report" / name).stat().st_size > 1000
    val = run_cli("validate", minimal_project, "--format", "json")
    assert val.code == 0, val.output
    eval5 = next(r for r in json.loads(val.stdout)["results"] if r["id"] == "EVAL-005")
    assert eval5["status"] == "pass"


def test_out_option_writes_elsewhere(minimal_project, tmp_path):
    res = run_cli("eval", minimal_project, "--quiet", "--out", tmp_path / "elsewhere")
    assert res.code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == ["report.html", "report.json", "report.md"]
    assert not (minimal_project / "report").exists()
    prov = json.loads((tmp_path / "elsewhere" / "report.json").read_text())["provenance"]
    assert prov["command"].startswith("stillhouse eval ")


def test_progress_shows_items_per_second_and_eta(minimal_project):
    res = run_cli("eval", minimal_project)
    assert res.code == 0, res.output
    assert "items/s" in res.stderr and "ETA" in res.stderr and "student (local)" in res.stderr
    quiet = run_cli("eval", minimal_project, "--quiet")
    assert quiet.stderr == "" and quiet.stdout == ""


# --- verification before running ---------------------------------------------------------------


def test_one_byte_changed_in_the_eval_set_is_refused(minimal_project):
    p = minimal_project / "data" / "eval.jsonl"
    data = bytearray(p.read_bytes())
    data[10] = ord("X") if data[10] != ord("X") else ord("Y")
    p.write_bytes(bytes(data))
    res = run_cli("eval", minimal_project, "--quiet")
    assert res.code == 2
    pinned = yaml.safe_load((minimal_project / "stillhouse.yaml").read_text())["eval_set"]["sha256"]
    from standards import file_sha256

    assert pinned in res.stderr and file_sha256(p) in res.stderr
    assert "Traceback" not in res.output and not (minimal_project / "report").exists()


def test_one_byte_changed_in_the_student_weights_is_refused(minimal_project):
    p = minimal_project / "student" / "model.safetensors"
    data = bytearray(p.read_bytes())
    data[-1] ^= 0x01
    p.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as err:
        harness.evaluate(minimal_project)
    assert err.value.field == "student.sha256" and err.value.expected != err.value.found
    res = run_cli("eval", minimal_project, "--quiet")
    assert res.code == 2 and "student.sha256" in res.stderr and err.value.found in res.stderr


def test_local_teacher_weights_are_verified(tmp_path):
    project = classification_project(tmp_path / "p", teacher="local")
    p = project / "teacher" / "config.json"
    p.write_text(p.read_text().replace('"hidden_act"', ' "hidden_act"', 1))
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and "teacher.sha256" in res.stderr


# --- adapters ---------------------------------------------------------------------------------


def test_local_teacher_and_student_classification(tmp_path):
    project = classification_project(tmp_path / "p", teacher="local", n=24)
    report = harness.evaluate(project)
    assert report.teacher.kind == "local" and report.teacher.parameters > report.student.parameters > 0
    assert report.teacher.latency.p50_ms > 0 and report.teacher.latency.throughput_per_s > 0
    assert report.teacher.cost is not None and report.cost_ratio is not None
    assert report.slices[0].js_divergence is not None and report.slices[0].kl_divergence is not None
    assert report.provenance.student_sha256 == yaml.safe_load((project / "stillhouse.yaml").read_text())["student"]["sha256"]
    assert "torch" in report.provenance.libraries and report.provenance.device.startswith("cpu")


def test_recorded_teacher_missing_an_answer_is_unusable_input(tmp_path):
    project = classification_project(tmp_path / "p", teacher="recorded", n=20)
    rec = project / "teacher" / "predictions.jsonl"
    rec.write_text("".join(rec.read_text().splitlines(keepends=True)[1:]))
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    from standards import file_sha256

    m["teacher"]["sha256"] = file_sha256(rec)
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m))
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and "no answer for 1 id(s)" in res.stderr and "ex-0000" in res.stderr


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_eval_set_formats_read_the_same_by_validate_and_eval(tmp_path, fmt):
    """CSV and Parquet eval sets: eval reads every row, the slice rule on a CSV boolean column
    counts the same rows in `validate` (BAR-003's counts) as in the report."""
    import datasets

    project = classification_project(tmp_path / "p", teacher="recorded", n=20)
    rows = eval_rows(20)
    for i, r in enumerate(rows):
        r["has_typo"] = i % 3 == 0
    ds = datasets.Dataset.from_list(rows)
    rel = {"csv": "data/eval.csv", "parquet": "data/eval.parquet"}[fmt]
    if fmt == "csv":
        ds.to_csv(project / rel, index=False)
    else:
        ds.to_parquet(project / rel)
    (project / "data" / "eval.jsonl").unlink()
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    from standards import artifact_sha256

    m["eval_set"].update(path=rel, sha256=artifact_sha256(project / rel))
    m["slices"].append({"name": "typos", "rule": {"column": "has_typo", "equals": True}})
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m))
    report = harness.evaluate(project)
    assert report.slices[0].n == 20 and report.slices[0].teacher_accuracy.value == 1.0
    assert report.slices[1].n == sum(r["channel"] == "email" for r in rows)
    assert report.slices[2].n == 7
    ctx = load_project(project).check_context()
    from standards import slice_masks

    assert sum(slice_masks(ctx.manifest.slices, ctx.eval_rows(), "text")["typos"]) == 7


def test_eval_set_is_read_from_the_pinned_file_every_time(tmp_path):
    """No copy of the eval set is kept or believed: a run reads the file whose hash it checked."""
    project = classification_project(tmp_path / "p", teacher="recorded", n=20)
    harness.evaluate(project)
    assert not (project / ".stillhouse" / "cache" / "eval-sets").exists()


def test_one_reader_refuses_what_validate_refuses(tmp_path):
    """An empty label, a byte-order mark, a label outside the manifest's: validate and eval agree."""
    project = classification_project(tmp_path / "p", teacher="recorded", n=20)
    rows = eval_rows(20)
    data = project / "data" / "eval.jsonl"

    def repin(text: bytes) -> None:
        data.write_bytes(text)
        m = yaml.safe_load((project / "stillhouse.yaml").read_text())
        from standards import file_sha256

        m["eval_set"]["sha256"] = file_sha256(data)
        (project / "stillhouse.yaml").write_text(yaml.safe_dump(m))

    import json

    repin(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\n" for r in rows).encode())  # a BOM: read by both
    assert harness.evaluate(project).slices[0].n == 20
    out = json.loads(run_cli("validate", project, "--format", "json").stdout)
    assert next(r for r in out["results"] if r["id"] == "EVAL-003")["status"] == "pass"
    rows[3]["label"] = ""
    repin("".join(json.dumps(r) + "\n" for r in rows).encode())
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and "empty" in res.stderr and "row 4" in res.stderr
    out = json.loads(run_cli("validate", project, "--format", "json").stdout)
    eval3 = next(r for r in out["results"] if r["id"] == "EVAL-003")
    assert eval3["status"] == "fail" and "row 4" in eval3["detail"]
    rows[3]["label"] = "refund-desk"
    repin("".join(json.dumps(r) + "\n" for r in rows).encode())
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and "refund-desk" in res.stderr
    out = json.loads(run_cli("validate", project, "--format", "json").stdout)
    assert next(r for r in out["results"] if r["id"] == "EVAL-003")["status"] == "fail"


def test_callable_teacher_and_counting_cache(tmp_path):
    """A cache hit runs the teacher zero times; --no-cache and a changed setting run it again."""
    project = classification_project(tmp_path / "p", teacher="callable", n=30)
    log = tmp_path / "calls.log"
    env = {"STILLHOUSE_TEST_CALLS": str(log)}
    assert run_cli("eval", project, "--quiet", env=env).code == 0
    first = _calls(log)
    assert first >= 30  # 30 rows batched, plus the latency calls
    log.unlink()
    assert run_cli("eval", project, "--quiet", env=env).code == 0
    assert _calls(log) == 0
    assert load_report(project / "report" / "report.json").teacher.from_cache is True
    assert run_cli("eval", project, "--quiet", "--no-cache", env=env).code == 0
    assert _calls(log) == first
    log.unlink()
    # a new teacher version is a new key
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    m["teacher"]["version"] = "1.0.1"
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m))
    assert run_cli("eval", project, "--quiet", env=env).code == 0
    assert _calls(log) == first


def test_cache_key_changes_with_every_output_setting():
    from harness.eval.adapters import Settings
    from harness.eval import output_key

    base = dict(task="generation", labels=None, prompt_template="Q: {input}", max_new_tokens=8, max_length=None)
    fields = {"id": "id", "input": "text"}

    def key(pin="p", kind="callable", sha="a" * 64, **changes):
        return output_key("teacher", pin, kind, sha, Settings(**{**base, **changes}), fields)

    k = key()
    assert key() == k
    for other in (key(pin="q"), key(kind="endpoint"), key(sha="b" * 64), key(prompt_template="{input}"),
                  key(max_new_tokens=9), key(max_length=16), key(labels=["x"]), key(task="classification")):
        assert other != k


# --- interruption and concurrency -----------------------------------------------------------


_RUN = "import sys, harness; harness.evaluate(sys.argv[1], checkpoint_rows=8, checkpoint_seconds=0, batch_size=4, latency_calls=5)"


def _spawn(project: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _RUN, str(project)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_killed_run_leaves_no_report_and_the_rerun_resumes(tmp_path):
    project = classification_project(tmp_path / "p", teacher="callable", module="slow_teacher", n=48)
    log = tmp_path / "calls.log"
    proc = _spawn(project, {"STILLHOUSE_TEST_CALLS": str(log), "STILLHOUSE_TEST_DELAY": "0.3"})
    cache = project / ".stillhouse" / "cache"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(cache.glob("teacher-*/part-*.json"))) < 2:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    parts = list(cache.glob("teacher-*/part-*.json"))
    assert len(parts) >= 2 and not (project / "report").exists()
    done = sum(len(_cached(p)) for p in parts)
    assert done < 48
    log.unlink()
    proc = _spawn(project, {"STILLHOUSE_TEST_CALLS": str(log)})
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    batched = [int(x) for x in log.read_text().split() if int(x) > 1]
    assert sum(batched) == 48 - done  # only the rows no part held; then batch-1 latency calls
    report = load_report(project / "report" / "report.json")
    assert report.slices[0].n == 48 and report.slices[0].teacher_accuracy.value == 1.0
    assert not list(cache.glob("teacher-*/part-*.json"))  # complete: parts folded into outputs.json


def test_two_concurrent_runs_share_one_cache(tmp_path):
    project = classification_project(tmp_path / "p", teacher="callable", module="shared_teacher", n=32)
    env = {"STILLHOUSE_TEST_DELAY": "0.05"}
    procs = [_spawn(project, env) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    outputs = list((project / ".stillhouse" / "cache").glob("teacher-*/outputs.json"))
    assert len(outputs) == 1 and len(_cached(outputs[0])) == 32
    assert not list(project.rglob("*.tmp"))
    report = load_report(project / "report" / "report.json")
    assert report.slices[0].teacher_accuracy.value == 1.0
    # and a third run is a clean cache hit
    log = tmp_path / "calls.log"
    assert run_cli("eval", project, "--quiet", env={"STILLHOUSE_TEST_CALLS": str(log)}).code == 0
    assert _calls(log) == 0


# --- the gate -----------------------------------------------------------------------------


def test_gate_fails_with_reasons_and_small_slices_fail(tmp_path):
    bars = [{"slice": "all", "metric": "accuracy", "minimum": 0.99, "min_examples": 1},
            {"slice": "email", "metric": "agreement", "minimum": 0.0, "min_examples": 1000},
            {"slice": "all", "metric": "accuracy", "max_drop_vs_teacher": 0.01, "min_examples": 1},
            {"slice": "all", "metric": "agreement", "minimum": 0.99, "level": "should", "min_examples": 1}]
    project = classification_project(tmp_path / "p", teacher="recorded", n=30, bars=bars,
                                     extra={"budgets": {"latency_p95_ms": 0.000001, "cost_per_1k_calls_usd": 100}})
    res = run_cli("eval", project, "--gate", "--quiet")
    assert res.code == 1, res.output
    report = load_report(project / "report" / "report.json")
    by = {(b.slice, b.metric, b.minimum, b.max_drop_vs_teacher): b for b in report.gate.bars}
    assert not by[("all", "accuracy", 0.99, None)].passed  # random student
    small = by[("email", "agreement", 0.0, None)]
    assert not small.passed and "needs at least 1000" in small.reason
    drop = by[("all", "accuracy", None, 0.01)]
    assert not drop.passed and "beyond the allowed drop" in drop.reason
    lat, cost = report.gate.budgets
    assert not lat.passed and "p95" in lat.reason and cost.passed
    assert "FAIL" in res.stderr
    # without --gate the verdict is reported but the exit is 0
    assert run_cli("eval", project, "--quiet").code == 0


# --- the report is safe to render ---------------------------------------------------------------


def test_report_renderings_escape_manifest_strings(minimal_project):
    report = harness.evaluate(minimal_project)
    evil = "<script>alert(1)</script>|[x](javascript:1)"
    bad = report.model_copy(deep=True)
    bad.project = evil
    bad.provenance.command = evil
    bad.teacher.pin = evil
    bad.slices[1].name = evil
    html = harness.report_html(bad)
    md = harness.report_markdown(bad)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" not in md and "](javascript" not in md
    for needle in ("http://", "https://", "<link", "<script", "src="):
        # the only <link> is an inline empty favicon, so browsers ask the server for nothing
        assert needle not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
            '<link rel="icon" href="data:,">', "")
    assert html.count("<svg") == 2


# --- a generation project -------------------------------------------------------------------


GEN_TEACHER = '''
def answer(prompts):
    return [p.split(":", 1)[1].strip().split()[0] for p in prompts]
'''


def test_generation_with_a_tiny_causal_lm_and_a_callable_teacher(tmp_path):
    project = tmp_path / "gen"
    words = ["one", "two", "three", "four", "echo"]
    rows = [{"id": f"g{i}", "text": f"{words[i % 4]} {words[(i + 1) % 4]}", "label": words[i % 4],
             "channel": "email" if i % 2 else "chat"} for i in range(12)]
    write_jsonl(project / "data" / "eval.jsonl", rows)
    tiny_causal_lm(project / "student", words)
    (project / "gen_teacher.py").write_text(GEN_TEACHER)
    manifest(project, {"kind": "callable", "target": "gen_teacher:answer", "version": "2026-11-01"},
             {"kind": "local", "path": "student/"}, task="generation", rows=12,
             bars=[{"slice": "*", "metric": "token_f1", "minimum": 0.9, "min_examples": 1}],
             extra={"generation": {"prompt_template": "echo: {input}", "max_new_tokens": 3}})
    res = run_cli("eval", project, "--gate", "--quiet")
    assert res.code == 1, res.output  # a random-weight student cannot echo
    report = load_report(project / "report" / "report.json")
    assert report.task == "generation"
    assert report.slices[0].teacher_accuracy.value == 1.0  # the teacher echoes the first word
    assert report.slices[0].token_f1 is not None and report.slices[0].reference_token_f1 is not None
    assert report.student.latency.calls > 0
    assert all(b.metric == "token_f1" and "token_f1" in b.reason for b in report.gate.bars)


def test_generation_mini_example_passes_the_gate(tmp_path):
    dst = tmp_path / "generation-mini"
    shutil.copytree(EXAMPLES / "generation-mini", dst, ignore=shutil.ignore_patterns("report", ".stillhouse",
                                                                                     "__pycache__"))
    res = run_cli("eval", dst, "--gate", "--quiet")
    assert res.code == 0, res.output
    report = load_report(dst / "report" / "report.json")
    assert report.gate.verdict == "pass" and report.task == "generation"
    assert run_cli("validate", dst).code == 0


def test_classifier_probabilities_are_rounded_exactly_as_python_rounds():
    """The classification adapter rounds probabilities to 7 decimals with torch, not value by
    value in Python; for float32 probabilities the two must give the same floats, so cached
    outputs and reports do not change with the faster path."""
    import torch

    torch.manual_seed(0)
    probs = torch.cat([torch.softmax(torch.randn(20000, 25) * scale, -1).flatten() for scale in (0.1, 1, 5, 30)]
                      + [torch.rand(200000), torch.rand(20000) * 1e-6,
                         torch.tensor([0.0, 1.0, 0.5, 0.25, 1e-8, 0.12345675, 0.99999995, 5e-8, 1.5e-7])]).float()
    assert torch.round(probs.double(), decimals=7).tolist() == [round(x, 7) for x in probs.tolist()]


def _varied_rows(n: int, seed: int = 3) -> list[dict[str, object]]:
    """Rows from one word to past the models' 32-token limit, so batches need padding and
    the longest need truncating."""
    import random

    from ._projects import FILLER, LABELS, WORDS

    rng = random.Random(seed)
    rows = []
    for k in range(n):
        label = LABELS[k % 2]
        words = [rng.choice(FILLER) for _ in range(rng.choice([0, 1, 3, 8, 20, 40]))] + [rng.choice(WORDS[label])]
        rng.shuffle(words)
        rows.append({"id": f"v-{k:04d}", "text": " ".join(words), "label": label, "channel": "email"})
    return rows


def test_batched_pass_pads_as_transformers_does_and_matches_predict(tmp_path):
    """`LocalClassifier.predict_batches` tokenizes a chunk once and pads each batch itself:
    the tensors must be those the tokenizer's own padding builds (both padding sides, with
    truncation), and the outputs those `predict` gives batch by batch."""
    import torch

    from harness import load_project
    from harness.eval.adapters import make_adapter, pad_batch
    from harness.eval._run import batch_order, settings_of

    project = classification_project(tmp_path / "p", teacher="local", n=8)
    p = load_project(project)
    adapter = make_adapter("teacher", p.manifest.teacher, settings_of(p.manifest), p.dir)
    adapter.load()
    rows = _varied_rows(70)
    ids, texts = [r["id"] for r in rows], [r["text"] for r in rows]
    order = batch_order(texts, 0, len(texts))
    assert [len(texts[i]) for i in order] == sorted(len(t) for t in texts)
    batches = [order[b:b + 16] for b in range(0, len(order), 16)] + [[5, 0, 69]]  # any positions, any size
    tok = adapter.tokenizer
    for side, names in (("right", None), ("left", None), ("right", ["input_ids", "token_type_ids", "attention_mask"])):
        tok.padding_side = side
        if names:  # as BERT's own tokenizers return them
            tok.model_input_names = names
            assert "token_type_ids" in tok(["a"])
        for batch in batches:
            want = tok([texts[i] for i in batch], padding=True, truncation=True, max_length=adapter.max_length,
                       return_tensors="pt")
            enc = tok([texts[i] for i in batch], truncation=True, max_length=adapter.max_length)
            got = pad_batch(tok, dict(enc))
            assert set(got) == set(want) and all(torch.equal(got[k], want[k]) for k in want), (side, batch)
            assert max(len(x) for x in enc["input_ids"]) <= adapter.max_length
        # an input transformers knows how to pad and we do not: handed to `tokenizer.pad`
        enc = tok([texts[i] for i in batches[0]], truncation=True, max_length=adapter.max_length,
                  return_special_tokens_mask=True)
        got = pad_batch(tok, dict(enc))
        want = tok.pad(dict(enc), padding=True, return_tensors="pt")
        assert all(torch.equal(got[k], want[k]) for k in want)
    tok.padding_side = "right"
    seen = list(adapter.predict_batches(ids, texts, batches))
    assert [b for b, _ in seen] == batches
    for batch, preds in seen:
        assert preds == adapter.predict([ids[i] for i in batch], [texts[i] for i in batch])


def test_batches_by_length_keep_every_output_on_its_row(tmp_path):
    """Batches are formed by length within each checkpoint chunk, yet every cached output
    and every figure belongs to its own row: compared with the model called row by row."""
    from harness import load_project
    from harness.eval.adapters import make_adapter
    from harness.eval import settings_of

    project = classification_project(tmp_path / "p", teacher="local", n=8)
    rows = _varied_rows(90)
    write_jsonl(project / "data" / "eval.jsonl", rows)
    manifest(project, {"kind": "local", "path": "teacher/"}, {"kind": "local", "path": "student/"}, rows=len(rows))
    report = harness.evaluate(project, checkpoint_rows=40, batch_size=8, latency_calls=3)
    cached = _cached(next((project / ".stillhouse" / "cache").glob("teacher-*/outputs.json")))
    p = load_project(project)
    adapter = make_adapter("teacher", p.manifest.teacher, settings_of(p.manifest), p.dir)
    adapter.load()
    alone = [adapter.predict([r["id"]], [r["text"]])[0] for r in rows]
    assert len(cached) == len(rows)
    for row, out, one in zip(rows, cached, alone):
        assert out.output == one.output, row["id"]
        assert max(abs(a - b) for a, b in zip(out.probs, one.probs)) < 1e-5, row["id"]
    assert len({o.probs for o in cached}) > 10  # rows differ, so a shuffle would show
    assert report.slices[0].n == len(rows)




def test_repeated_runs_of_a_sampling_student(tmp_path):
    """A student that samples (temperature > 0) runs K times: the report says per slice how
    often items changed answer and how often the runs agree on the verdict, each run's gate is
    kept, and the verdict combines them by the manifest's rule; the receipt re-derives it."""
    project = tmp_path / "gen"
    words = ["one", "two", "three", "four", "echo"]
    rows = [{"id": f"g{i}", "text": f"{words[i % 4]} {words[(i + 1) % 4]}", "label": words[i % 4],
             "channel": "email" if i % 2 else "chat"} for i in range(24)]
    write_jsonl(project / "data" / "eval.jsonl", rows)
    tiny_causal_lm(project / "student", words)
    (project / "gen_teacher.py").write_text(GEN_TEACHER)
    manifest(project, {"kind": "callable", "target": "gen_teacher:answer", "version": "2026-11-01"},
             {"kind": "local", "path": "student/"}, task="generation", rows=24,
             bars=[{"slice": "*", "metric": "token_f1", "minimum": 0.0, "min_examples": 1}],
             extra={"generation": {"prompt_template": "echo: {input}", "max_new_tokens": 3, "temperature": 1.5},
                    "repeats": {"runs": 1, "rule": "majority"}})
    res = run_cli("eval", project, "--repeats", "4")
    assert res.code == 0, res.output
    assert "4 runs" in res.stdout and "changed answer" in res.stdout
    report = load_report(project / "report" / "report.json")
    rep = report.repeats
    assert rep.runs == 4 and rep.rule == "majority" and len(rep.gates) == 4 and rep.verdicts == ["pass"] * 4
    assert {s.name for s in rep.slices} == {"all", "email"}
    assert rep.slices[0].changed_share > 0.2  # a random-weight model sampling at T=1.5 rarely repeats itself
    assert rep.slices[0].verdict_agreement == 1.0 and report.gate.verdict == "pass"
    # the files a reviewer reads say it too, not only the terminal
    md = (project / "report" / "report.md").read_text()
    assert "## Repeated runs" in md and "4 of 4 runs passed" in md and "4 of 4 |" in md
    html = (project / "report" / "report.html").read_text()
    assert 'id="repeats"' in html and "4 of 4 runs passed" in html
    # a second time, the same seeds: the same answers
    assert run_cli("eval", project, "--repeats", "4", "--quiet").code == 0
    again = load_report(project / "report" / "report.json")
    assert again.provenance.predictions_sha256 == report.provenance.predictions_sha256
    assert again.repeats.slices == rep.slices
    # the manifest says one run: a report of four is not the report of record
    from standards.receipts import recheck

    from harness import load_project

    assert any("repeats" in s for s in recheck(again, load_project(project).manifest).stale)


def test_cached_outputs_round_trip_as_columns_and_a_file_of_other_rows_is_refused():
    """The cache stores outputs as a few long lists; every kind of prediction comes back as
    it went in, and a file whose columns do not make the rows asked for is not a hit."""
    from harness.eval._cache import _columns, _rows
    from harness.eval.adapters import Prediction

    preds = [Prediction("a", (0.25, 0.75)), Prediction("b"), Prediction("c", (1.0,), 3, 5), Prediction("d", ())]
    columns = json.loads(json.dumps(_columns(preds)))
    assert _rows(columns, 4) == preds
    assert all(type(p.probs) is tuple for p in _rows(columns, 4) if p.probs is not None)
    with pytest.raises(ValueError):
        _rows(columns, 3)
    columns["probs"].pop()
    with pytest.raises(ValueError):
        _rows(columns, 4)
