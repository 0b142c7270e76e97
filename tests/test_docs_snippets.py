"""Every code sample on the site is a real file under docs/snippets, included into a page,
and run here: shell samples through the real `stillhouse` command, Python samples with
this checkout's packages, in a scratch folder holding a copy of examples/minimal."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stillhouse_site import _snippet_headers as _headers  # the site and the tests read the same headers

from .conftest import EXAMPLES, ROOT

SNIPPETS = ROOT / "docs" / "snippets"
DOCS = ROOT / "docs"
# `--8<-- "topic/file"`, `--8<-- "topic/file:section"`; `topic/file.out` is what the site
# built from running `topic/file` (stillhouse_site.snippet_outputs).
INCLUDE = re.compile(r'--8<--\s+"([^":]+)(?::[^"]*)?"')


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A scratch folder with examples/minimal (no report) and `stillhouse` on PATH."""
    shutil.copytree(EXAMPLES / "minimal", tmp_path / "examples" / "minimal",
                    ignore=shutil.ignore_patterns("report", ".stillhouse", "__pycache__"))
    bindir = tmp_path / ".bin"
    bindir.mkdir()
    wrapper = bindir / "stillhouse"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m harness "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
           "COLUMNS": "160"}
    env.pop("FORCE_COLOR", None)
    return tmp_path, env


def _available_commands() -> set[str]:
    from harness.cli import cli

    return set(cli.commands)


def run_folder(folder: str, ws: Path, env: dict[str, str]) -> list[str]:
    """Run a folder's snippets in name order; return the ones skipped for a missing command."""
    skipped = []
    for path in sorted((SNIPPETS / folder).iterdir()):
        h = _headers(path)
        if "requires" in h and h["requires"] not in _available_commands():
            skipped.append(f"{path.name} needs `stillhouse {h['requires']}`")
            continue
        if path.suffix in (".yaml", ".yml"):
            assert "file" in h, f"{path}: a YAML sample that is not copied anywhere is tested in its own test"
            dest = ws / h["file"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            continue
        cmd = ["bash", "-e", str(path)] if path.suffix == ".sh" else [sys.executable, str(path)]
        proc = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=300)
        expected = int(h.get("exit status", "0").split()[0])
        assert proc.returncode == expected, (f"{path.relative_to(ROOT)} exited {proc.returncode}, the page says "
                                             f"{expected}\n{proc.stdout}\n{proc.stderr}")
        if "output contains" in h:
            assert h["output contains"] in proc.stdout, f"{path}: {h['output contains']!r} not in\n{proc.stdout}"
        assert "Traceback" not in proc.stderr, proc.stderr
    return skipped


def test_getting_started_runs_from_zero_to_a_validated_project(workspace) -> None:
    ws, env = workspace
    skipped = run_folder("getting-started", ws, env)
    # Every must-level requirement passes.
    out = subprocess.run([sys.executable, "-m", "harness", "validate", "support-intent-router", "--format", "json"],
                         cwd=ws, env=env, capture_output=True, text=True, timeout=120)
    failed = [r["id"] for r in json.loads(out.stdout)["results"] if r["status"] == "fail" and r["level"] == "must"]
    assert failed == []
    assert (ws / "support-intent-router" / "review.md").read_text().startswith("# Review checklist")
    # CI runs on a clone: the starter's .gitignore must keep every file the manifest pins.
    project = ws / "support-intent-router"
    manifest = yaml.safe_load((project / "stillhouse.yaml").read_text())
    pinned = [manifest["teacher"]["path"], manifest["student"]["path"], manifest["eval_set"]["path"],
              manifest["distillation"]["train_set"]["path"],
              ".stillhouse/manifest.schema.json"]  # the manifest's first line points an editor at it
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *pinned], cwd=project,
                             capture_output=True, text=True)
    assert ignored.returncode == 1 and ignored.stdout == "", f"ignored by the starter: {ignored.stdout}"
    caches = subprocess.run(["git", "check-ignore", "--no-index", ".stillhouse/cache/x", "report/report.json"],
                            cwd=project, capture_output=True, text=True)
    assert caches.stdout.split() == [".stillhouse/cache/x", "report/report.json"]  # conveniences stay out
    if skipped:
        pytest.skip("ran every step up to the evaluation; " + "; ".join(skipped) + " (not in this build)")


def test_harness_guide_samples_run(workspace) -> None:
    ws, env = workspace
    assert run_folder("harness", ws, env) == []
    assert (ws / "review.md").read_text().startswith("# Review checklist: minimal-ticket-router")
    assert json.loads((ws / "validate.json").read_text())["exit_code"] == 1


def test_manifest_errors_sample_lists_every_problem(workspace) -> None:
    ws, env = workspace
    proc = subprocess.run([sys.executable, str(SNIPPETS / "harness" / "manifest_errors.py")], cwd=ws, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "name: expected" in proc.stdout and "task: expected" in proc.stdout


def test_callable_adapter_sample(workspace) -> None:
    """The in-house function answers with declared labels, and the manifest fragment that
    names it is schema-valid in a real project."""
    ws, env = workspace
    import importlib.util

    import standards
    from pydantic import TypeAdapter

    spec = importlib.util.spec_from_file_location("in_house_router", SNIPPETS / "adapters" / "in_house_router.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    project = ws / "examples" / "minimal"
    manifest = yaml.safe_load((project / "stillhouse.yaml").read_text())
    rows = [json.loads(line) for line in (project / "data" / "eval.jsonl").read_text().splitlines()]
    answers = mod.predict([r["text"] for r in rows])
    assert len(answers) == len(rows) and set(answers) <= set(manifest["labels"])
    assert sum(a == r["label"] for a, r in zip(answers, rows)) / len(rows) > 0.25  # better than chance

    fragment = yaml.safe_load((SNIPPETS / "adapters" / "callable_student.yaml").read_text())
    TypeAdapter(standards.v1_1.ModelSpec).validate_python(fragment["student"])
    manifest["student"] = fragment["student"]
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    shutil.copyfile(SNIPPETS / "adapters" / "in_house_router.py", project / "in_house_router.py")
    proc = subprocess.run([sys.executable, "-m", "harness", "validate", str(project), "--format", "json"],
                          cwd=ws, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 2 would mean the schema refused it


def _office_hours_inputs(ws: Path) -> None:
    """A report whose `typos` slice has a weak teacher the student copies, and a production
    sample that is mostly short messages."""
    from .fleet_data import make_report

    project = ws / "examples" / "minimal"
    report = make_report("minimal-ticket-router", random.Random(3), slices=("all", "short", "email", "typos"))
    typos = report.slices[3]
    typos.teacher_accuracy.value, typos.student_accuracy.value, typos.agreement.value = 0.62, 0.60, 0.94
    (project / "report").mkdir()
    (project / "report" / "report.json").write_text(report.model_dump_json(), encoding="utf-8")
    rows = [json.loads(line) for line in (project / "data" / "eval.jsonl").read_text().splitlines()]
    short = [r for r in rows if len(r["text"].split()) <= 4]
    sample = short * 3 + rows[:40]
    (project / "monitoring").mkdir()
    (project / "monitoring" / "production.jsonl").write_text("".join(json.dumps(r) + "\n" for r in sample))


def test_office_hours_diagnoses(workspace) -> None:
    ws, env = workspace
    _office_hours_inputs(ws)
    outputs = {}
    for name in ("teacher_quality.py", "slice_mix.py", "small_slices.py"):
        proc = subprocess.run([sys.executable, str(SNIPPETS / "office-hours" / name)], cwd=ws, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        outputs[name] = proc.stdout
    assert re.search(r"typos .*teacher-quality problem", outputs["teacher_quality.py"])
    psi = float(re.search(r"PSI over the slices: ([0-9.]+)", outputs["slice_mix.py"]).group(1))
    assert psi > 0.25  # the sample is mostly short messages
    assert re.search(r"all +n=320 .*ok", outputs["small_slices.py"])


def _stand_in_llm(ws: Path) -> None:
    """`my-llm` at tiny scale: a copy of examples/generation-mini switched to sequence level,
    its local teacher (0.8M parameters) standing in for the endpoint, the student built from
    its config on the teacher's tokenizer (a recording lends none)."""
    proj = ws / "my-llm"
    shutil.copytree(EXAMPLES / "generation-mini", proj, ignore=shutil.ignore_patterns(
        "report", ".stillhouse", "__pycache__", "sequence-level", "student", "training", "build.py"))
    (proj / "tokenizer").mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(proj / "teacher-lm" / name, proj / "tokenizer" / name)
    data = yaml.safe_load((proj / "stillhouse.yaml").read_text(encoding="utf-8"))
    data["distillation"]["tokenizer"] = "tokenizer/"
    data["distillation"]["generation"] = {"mode": "sequence", "student": {"config": "student-config.json"}}
    (proj / "stillhouse.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_language_model_commands_run_at_tiny_scale(workspace) -> None:
    """The page's commands in order: record the teacher, distill, gate."""
    ws, env = workspace
    env = {**env, "OMP_NUM_THREADS": "1"}  # tiny models: one thread beats two shared cores
    _stand_in_llm(ws)
    folder = SNIPPETS / "language-models"
    commands = sorted(p for p in folder.iterdir() if p.suffix == ".sh")
    assert [p.name for p in commands] == ["01_record.sh", "02_distill.sh", "03_eval.sh"]
    for path in commands:
        h = _headers(path)
        proc = subprocess.run(["bash", "-e", str(path)], cwd=ws, env=env, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == int(h.get("exit status", "0").split()[0]), (path.name, proc.stdout, proc.stderr)
        if "output contains" in h:
            assert h["output contains"] in proc.stdout, f"{path}: {h['output contains']!r} not in\n{proc.stdout}"
        assert "Traceback" not in proc.stderr, proc.stderr
    manifest = yaml.safe_load((ws / "my-llm" / "stillhouse.yaml").read_text())
    assert manifest["teacher"]["kind"] == "recorded"
    record = json.loads((ws / "my-llm" / "training" / "record.json").read_text())
    assert record["mode"] == "sequence" and record["teacher"]["kind"] == "recorded"
    assert record["teacher"]["recording"]["sets"][1]["name"] == "distillation"


def _tiny_qwen2(folder: Path, tok, layers: int, seed: int) -> None:
    """A Qwen2-architecture causal LM from a config: the module names LoRA targets in a
    real 0.5B student (q_proj ... down_proj), at 30-60k parameters."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=layers,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                         tie_word_embeddings=True)
    Qwen2ForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)


def test_real_model_manifest_runs_at_tiny_scale(tmp_path: Path) -> None:
    """The page's real-model manifest is valid as it stands, and its distillation settings
    (LoRA on a Qwen2 student's seven projections, sequence level; then the token-level
    block) train at tiny scale: a Qwen2-architecture base and teacher built from configs,
    recorded answers standing in for the endpoint."""
    import harness
    import standards
    from harness.eval._recording import text_sha256
    from standards import artifact_sha256, file_sha256

    from ._projects import word_tokenizer

    folder = SNIPPETS / "language-models"
    data = yaml.safe_load((folder / "real_model.yaml").read_text(encoding="utf-8"))
    standards.parse_manifest(data)
    token_block = yaml.safe_load((folder / "token_level.yaml").read_text(encoding="utf-8"))["generation"]
    standards.v1_2.GenerationRecipe.model_validate(token_block)

    proj = tmp_path / "ticket-triage-notes"
    words = ["printer", "login", "refund", "broken", "again", "urgent", "hardware", "account", "billing", "note:"]
    rng = random.Random(0)
    rows = []
    for i in range(48):
        ticket = " ".join(rng.choice(words[:6]) for _ in range(4))
        rows.append({"id": f"t{i}", "ticket": ticket, "note": rng.choice(words[6:9])})
    for name, part in (("eval", rows[:16]), ("train", rows[16:])):
        (proj / "data").mkdir(parents=True, exist_ok=True)
        (proj / "data" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
    template = data["generation"]["prompt_template"]
    tok = word_tokenizer(words + template.replace("{input}", "").split(), causal=True)
    _tiny_qwen2(proj / "base-model", tok, layers=1, seed=1)
    header = {"stillhouse_recording": {"version": 1, "teacher": {"kind": "endpoint", "pin": "endpoint:" + data["teacher"]["model"]},
                                       "tokens": {"input": 1200, "output": 64}, "usd": 0.0011}}
    answers = [json.dumps(header)] + [json.dumps({"id": r["id"], "set": s, "input_sha256": text_sha256(r["ticket"]),
                                                  "output": r["note"]})
                                      for s, part in (("eval", rows[:16]), ("distillation", rows[16:])) for r in part]
    (proj / "recorded").mkdir()
    (proj / "recorded" / "teacher.jsonl").write_text("\n".join(answers) + "\n", encoding="utf-8")
    # What `stillhouse record --write-manifest` and the data's pins would fill in; nothing else changes.
    data["teacher"] = {"kind": "recorded", "path": "recorded/teacher.jsonl",
                       "sha256": file_sha256(proj / "recorded" / "teacher.jsonl"), "source": "tiny stand-in"}
    data["eval_set"].update(sha256=file_sha256(proj / "data" / "eval.jsonl"), rows=16)
    data["distillation"]["train_set"]["sha256"] = file_sha256(proj / "data" / "train.jsonl")
    data["quality_bars"] = [dict(b, min_examples=16) for b in data["quality_bars"]]
    (proj / "stillhouse.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    record = harness.distill(proj, write_manifest_pin=True).record
    assert record["student"]["lora"]["target_modules"] == data["distillation"]["generation"]["lora"]["target_modules"]
    assert record["student"]["trained_parameters"] < record["student"]["parameters"] / 2
    assert record["teacher"]["recording"]["usd"] == 0.0011 and record["student"]["architecture"]["model_type"] == "qwen2"

    # The token-level block: a local (two-layer) Qwen2 teacher with the student's tokenizer.
    _tiny_qwen2(proj / "teacher", tok, layers=2, seed=2)
    data["teacher"] = {"kind": "local", "path": "teacher/", "sha256": artifact_sha256(proj / "teacher")}
    data["distillation"]["generation"] = token_block
    (proj / "stillhouse.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    record = harness.distill(proj).record
    assert record["mode"] == "token" and "JSD" in record["loss_formula"]
    assert sum(e["on_policy_batches"] for e in record["epochs"]) >= 1


def test_your_own_model_track_runs_from_an_empty_folder(workspace) -> None:
    """The "Your own model" page, command by command: init, data, a fine-tuned MiniLM
    teacher, pins, teacher-only eval, distill, eval --gate, validate, checklist, publish, fleet."""
    ws, env = workspace
    assert run_folder("your-own-model", ws, env) == []
    project = ws / "support-router"
    assert json.loads((project / "report" / "report.json").read_text())["gate"]["verdict"] == "pass"
    assert (ws / "fleet-registry" / "models" / "support-router" / "published.json").is_file()
    assert (project / "stillhouse.yaml").read_text().startswith("# yaml-language-server")  # comments kept


@pytest.mark.slow
@pytest.mark.alone  # its first command must print "Gate: PASS", which gates the minimal example's 50 ms p95
def test_scaling_out_commands_run_on_a_local_cluster(workspace, tmp_path: Path) -> None:
    """The "Scaling out" page at tiny scale: eval on a local two-worker Ray cluster and the
    report's provenance; a served teacher (a chat-completions server on 127.0.0.1 standing in
    for vLLM) recorded on two workers; distill under `accelerate launch` with two CPU processes.
    The YAML samples parse as what they claim to be. Slow: each Ray worker imports torch."""
    import standards

    from .test_distill import tiny_project
    from .test_endpoint import KEY, _endpoint_project, _Server

    ws, env = workspace
    env = {**env, "PATH": f"{env['PATH']}{os.pathsep}{Path(sys.executable).parent}", "STILLHOUSE_TEST_KEY": KEY,
           "RAY_USAGE_STATS_ENABLED": "0", "OMP_NUM_THREADS": "1"}
    folder = SNIPPETS / "scaling-out"
    teacher = yaml.safe_load((folder / "03_vllm_teacher.yaml").read_text(encoding="utf-8"))["teacher"]
    base = yaml.safe_load((EXAMPLES / "minimal" / "stillhouse.yaml").read_text(encoding="utf-8"))
    standards.parse_manifest({**base, "teacher": teacher})          # a valid teacher block as it stands
    job = yaml.safe_load((folder / "05_rayjob.yaml").read_text(encoding="utf-8"))
    assert job["kind"] == "RayJob" and job["spec"]["entrypoint"].startswith("stillhouse eval ")
    assert "--ray auto" in job["spec"]["entrypoint"]

    server = _Server()
    try:
        _endpoint_project(ws / "my-llm", server.url, n=40, timeout_s=5.0)
        tiny_project(ws / "my-model", train_rows=120, eval_rows=40)
        for path in sorted(p for p in folder.iterdir() if p.suffix in (".sh", ".py")):
            h = _headers(path)
            cmd = ["bash", "-e", str(path)] if path.suffix == ".sh" else [sys.executable, str(path)]
            proc = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, (path.name, proc.stdout, proc.stderr)
            if "output contains" in h:
                assert h["output contains"] in proc.stdout, f"{path}: {h['output contains']!r} not in\n{proc.stdout}"
            assert "Traceback" not in proc.stderr, proc.stderr
    finally:
        server.close()
    report = json.loads((ws / "examples" / "minimal" / "report" / "report.json").read_text())
    assert report["provenance"]["workers"] == 2
    assert json.loads((ws / "my-model" / "training" / "record.json").read_text())["data_parallel"]["processes"] == 2


def test_every_snippet_is_on_a_page_and_every_include_exists() -> None:
    included: set[str] = set()
    for page in DOCS.rglob("*.md"):
        for ref in INCLUDE.findall(page.read_text(encoding="utf-8")):
            ref = ref.removesuffix(".out")
            assert (SNIPPETS / ref).is_file(), f"{page.relative_to(ROOT)} includes missing {ref}"
            included.add(ref)
    files = {p.relative_to(SNIPPETS).as_posix() for p in SNIPPETS.rglob("*") if p.is_file()
             and "__pycache__" not in p.parts}
    assert files - included == set(), "snippets no page shows"
    # Every folder is run by a test above.
    assert {p.parent.name for p in SNIPPETS.rglob("*") if p.is_file()} == {
        "getting-started", "harness", "adapters", "office-hours", "language-models", "your-own-model",
        "scaling-out"}
