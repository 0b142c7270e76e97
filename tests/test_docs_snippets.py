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

from .conftest import EXAMPLES, ROOT

SNIPPETS = ROOT / "docs" / "snippets"
DOCS = ROOT / "docs"
INCLUDE = re.compile(r'--8<--\s+"([^"]+)"')


def _headers(path: Path) -> dict[str, str]:
    """Leading `# key: value` comment lines of a snippet."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s*([a-z ]+):\s*(.*)$", line)
        if not m:
            break
        out[m.group(1).strip()] = m.group(2).strip()
    return out


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


def test_every_snippet_is_on_a_page_and_every_include_exists() -> None:
    included: set[str] = set()
    for page in DOCS.rglob("*.md"):
        for ref in INCLUDE.findall(page.read_text(encoding="utf-8")):
            assert (SNIPPETS / ref).is_file(), f"{page.relative_to(ROOT)} includes missing {ref}"
            included.add(ref)
    files = {p.relative_to(SNIPPETS).as_posix() for p in SNIPPETS.rglob("*") if p.is_file()
             and "__pycache__" not in p.parts}
    assert files - included == set(), "snippets no page shows"
    # Every folder is run by a test above.
    assert {p.parent.name for p in SNIPPETS.rglob("*") if p.is_file()} == {
        "getting-started", "harness", "adapters", "office-hours"}
