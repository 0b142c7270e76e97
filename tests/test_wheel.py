"""Stillhouse as a team uses it: the wheel built as a release builds it, installed into a
fresh virtual environment, run from an empty folder outside this checkout with no
PYTHONPATH. First with only the base dependencies (the light commands), then with the
`models` extra (the whole road: init, data, teacher, distill, eval, validate, checklist,
publish, fleet, drift), and the starter's CI workflow, step by step, as its file says.

Slow: it installs torch and transformers into a new environment (from the local wheel
cache, pinned by constraints.txt)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from ._projects import TASK_LABELS, task_rows, trained_teacher, write_jsonl
from .conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.slow


@dataclass
class Env:
    """A fresh virtual environment with the built wheel installed."""

    dir: Path
    wheel: Path
    bin: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "FORCE_COLOR")}
        env.update(PATH=f"{self.bin}{os.pathsep}{env['PATH']}", COLUMNS="160", PIP_DISABLE_PIP_VERSION_CHECK="1",
                   **extra)
        return env

    def run(self, *args: str | os.PathLike[str], cwd: Path, timeout: int = 900,
            **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.bin / "stillhouse"), *map(str, args)], cwd=cwd, env=self.env(**extra),
                              capture_output=True, text=True, timeout=timeout)

    def pip(self, *args: str) -> None:
        proc = subprocess.run([str(self.bin / "python"), "-m", "pip", "install", "--quiet",
                               "-c", str(ROOT / "constraints.txt"), *args], env=self.env(), capture_output=True,
                              text=True, timeout=1500)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and the wheel, built from this checkout with `python -m build`."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sdist,), (wheel,) = list(out.glob("*.tar.gz")), list(out.glob("*.whl"))
    return sdist, wheel


@pytest.fixture(scope="module")
def base_env(built: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Env:
    """A fresh venv with the wheel and its base dependencies only."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = Env(venv, built[1], venv / "bin")
    env.pip(str(built[1]))
    return env


def _workspace(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """An empty folder that is not inside this checkout."""
    ws = tmp_path_factory.mktemp(name)
    assert ROOT not in ws.resolve().parents
    return ws


def test_the_wheel_and_sdist_hold_everything_a_command_reads(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("standards/catalogue.yaml", "standards/py.typed", "harness/py.typed",
                   "standards/schemas/manifest-1.2.schema.json", "standards/schemas/eval-report-1.1.schema.json",
                   "harness/project/starter/stillhouse.yaml", "harness/project/starter/README.md",
                   "harness/project/starter/gitignore", "harness/project/starter/data/README.md",
                   "harness/project/starter/.github/workflows/stillhouse.yml"):
        assert needed in names, needed
    assert any(n.startswith("harness/render/templates/") for n in names)
    import tarfile

    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert "harness/project/starter/.github/workflows/stillhouse.yml" in members
    # one version number, in one place: the wheel's metadata is pyproject's
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert wheel.name.startswith(f"stillhouse-{version}-")


def test_light_commands_work_from_the_base_install(base_env: Env, tmp_path_factory: pytest.TempPathFactory) -> None:
    ws = _workspace(tmp_path_factory, "light")
    res = base_env.run("init", "demo", cwd=ws)
    assert res.returncode == 0, res.stderr
    assert (ws / "demo" / ".gitignore").is_file() and (ws / "demo" / ".github" / "workflows" / "stillhouse.yml").is_file()
    res = base_env.run("validate", "demo", "--format", "json", cwd=ws)
    assert res.returncode == 1, res.stdout + res.stderr
    failed = {r["id"]: r["detail"] for r in json.loads(res.stdout)["results"]
              if r["status"] == "fail" and r["level"] == "must"}
    # a new project fails only on what its owner must still provide
    for rid, detail in failed.items():
        assert "placeholder" in detail or "FILL-IN" in detail or "yet" in detail, (rid, detail)
    assert "MAN-001" in failed and "EVAL-001" in failed
    assert "distill . --write-pin" in failed["TEACH-003"]
    assert base_env.run("checklist", "demo", cwd=ws).returncode == 1
    assert base_env.run("schema", "--out", "schemas", cwd=ws).returncode == 0
    assert (ws / "schemas" / "manifest-1.2.schema.json").is_file()
    minimal = ws / "minimal"
    shutil.copytree(EXAMPLES / "minimal", minimal, ignore=shutil.ignore_patterns("report", ".stillhouse"))
    res = base_env.run("hash", "minimal/data/eval.jsonl", cwd=ws)
    assert res.returncode == 0 and yaml.safe_load((minimal / "stillhouse.yaml").read_text())["eval_set"]["sha256"] in res.stdout
    res = base_env.run("validate", "minimal", cwd=ws)
    assert res.returncode == 1 and "EVAL-005" in res.stdout  # in review, no report yet
    # a command that runs models says which extra it needs, without a traceback
    res = base_env.run("eval", "minimal", "--quiet", cwd=ws)
    assert res.returncode == 2 and "stillhouse[models]" in res.stderr and "Traceback" not in res.stderr
    res = base_env.run("fleet", EXAMPLES / "demo-fleet", "--out", ws / "fleet-out", cwd=ws)
    assert res.returncode == 0 and (ws / "fleet-out" / "fleet.json").is_file()


@pytest.fixture(scope="module")
def models_env(base_env: Env) -> Env:
    """The same venv with the `models` extra added."""
    base_env.pip(f"{base_env.wheel}[models]")
    return base_env


def _fill(project: Path, rows: int) -> None:
    """What the owner writes into the starter's manifest once data and teacher exist."""
    from standards import artifact_sha256, file_sha256

    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    m["description"] = "Routes support messages to billing, shipping or account."
    m["owner"] = {"handle": "ada", "team": "support-ml", "backup": "grace"}
    m["labels"] = TASK_LABELS
    m["teacher"].update(family="support-router-teacher", sha256=artifact_sha256(project / "teacher"))
    m["eval_set"].update(sha256=file_sha256(project / "data" / "eval.jsonl"), rows=rows)
    m["slices"] = [{"name": "email", "rule": {"column": "channel", "equals": "email"}},
                   {"name": "typos", "rule": {"column": "has_typo", "equals": True}}]
    m["quality_bars"] = [{"slice": "*", "metric": "accuracy", "minimum": 0.5, "min_examples": 20},
                         {"slice": "*", "metric": "agreement", "minimum": 0.6, "min_examples": 20},
                         {"slice": "all", "metric": "accuracy", "max_drop_vs_teacher": 0.5, "min_examples": 20}]
    m["budgets"] = {"latency_p95_ms": 500, "cost_per_1k_calls_usd": 1.0}
    m["distillation"]["train_set"]["sha256"] = file_sha256(project / "data" / "train.jsonl")
    m["distillation"].update(epochs=6, learning_rate=0.005)
    m["distillation"]["student"] = {"layers": 1, "hidden_size": 32, "heads": 2, "intermediate_size": 64,
                                    "vocabulary": "pruned"}
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m, sort_keys=False))


def test_the_paved_road_from_an_empty_folder(models_env: Env, tmp_path_factory: pytest.TempPathFactory) -> None:
    ws = _workspace(tmp_path_factory, "road")
    run = models_env.run
    assert run("init", "demo", cwd=ws).returncode == 0
    project = ws / "demo"
    write_jsonl(project / "data" / "eval.jsonl", task_rows(150, seed=1, prefix="ev"))
    write_jsonl(project / "data" / "train.jsonl", task_rows(600, seed=2, prefix="tr"))
    trained_teacher(project / "teacher", task_rows(600, seed=3, prefix="te"))
    _fill(project, rows=150)
    res = run("eval", "demo", "--teacher-only", "--quiet", cwd=ws)  # TEACH-004: the teacher per slice, first
    assert res.returncode == 0, res.stderr
    res = run("distill", "demo", "--write-pin", cwd=ws)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Loading weights" not in res.stdout + res.stderr and "pinned" in res.stdout
    res = run("eval", "demo", "--gate", cwd=ws)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "report/report.html" in res.stdout
    res = run("validate", "demo", cwd=ws)
    assert res.returncode == 0, res.stdout + res.stderr
    assert run("checklist", "demo", "--output", "demo/review.md", cwd=ws).returncode == 0
    res = run("publish", "demo", "--registry", "registry", cwd=ws)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (ws / "registry" / "models" / "demo" / "published.json").is_file()
    res = run("fleet", "registry", "--check", cwd=ws)
    assert res.returncode == 0, res.stdout + res.stderr
    # production traffic that agrees with the teacher: drift runs and does not fire
    prod = [{"timestamp": f"2026-11-{10 + i % 14:02d}T10:00:00Z", "text": r["text"], "output": r["label"],
             "teacher_output": r["label"]} for i, r in enumerate(task_rows(200, seed=4, prefix="pr"))]
    write_jsonl(ws / "prod.jsonl", prod)
    res = run("drift", "demo", "--production", "prod.jsonl", "--registry", "registry", cwd=ws)
    assert res.returncode in (0, 1) and "Traceback" not in res.stderr, res.stderr
    assert list((ws / "registry" / "models" / "demo" / "drift").glob("drift-*.json"))


def test_a_copy_of_the_minimal_example_goes_all_the_way(models_env: Env,
                                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    ws = _workspace(tmp_path_factory, "minimal")
    shutil.copytree(EXAMPLES / "minimal", ws / "minimal", ignore=shutil.ignore_patterns("report", ".stillhouse"))
    run = models_env.run
    assert run("validate", "minimal", cwd=ws).returncode == 1  # in review without a report
    res = run("eval", "minimal", "--gate", "--quiet", cwd=ws)
    assert res.returncode == 0, res.stderr
    assert run("validate", "minimal", cwd=ws).returncode == 0
    res = run("publish", "minimal", "--registry", "new-registry", cwd=ws)
    assert res.returncode == 0 and "created the registry" in res.stdout, res.stdout + res.stderr
    res = run("fleet", "new-registry", "--check", cwd=ws)
    assert res.returncode == 0 and "minimal-ticket-router" in res.stdout, res.stdout + res.stderr


def test_the_starter_workflow_runs_as_written(models_env: Env, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each `run:` step of the starter's CI workflow, read from the file itself, in order,
    in the fresh environment, with the workflow's package variable pointing at the wheel."""
    ws = _workspace(tmp_path_factory, "workflow")
    assert models_env.run("init", "demo", cwd=ws).returncode == 0
    project = ws / "demo"
    write_jsonl(project / "data" / "eval.jsonl", task_rows(150, seed=1, prefix="ev"))
    write_jsonl(project / "data" / "train.jsonl", task_rows(600, seed=2, prefix="tr"))
    trained_teacher(project / "teacher", task_rows(600, seed=3, prefix="te"))
    _fill(project, rows=150)
    assert models_env.run("distill", ".", "--write-pin", cwd=project).returncode == 0
    wf = yaml.safe_load((project / ".github" / "workflows" / "stillhouse.yml").read_text())
    assert "STILLHOUSE_PACKAGE" in wf["env"], "the workflow names where Stillhouse comes from in one place"
    assert wf["env"]["PIP_EXTRA_INDEX_URL"].endswith("/whl/cpu"), "a CPU runner installs torch's CPU build"
    env = {**{k: str(v) for k, v in wf["env"].items()}, "STILLHOUSE_PACKAGE": f"{models_env.wheel}[models]",
           "STILLHOUSE_REGISTRY": str(ws / "registry"), "PIP_CONSTRAINT": str(ROOT / "constraints.txt")}
    steps = [s for s in wf["jobs"]["gate"]["steps"] if "run" in s]
    assert [s["run"].split()[0] for s in steps][:1] == ["python"]  # the install comes first
    for step in steps:
        proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=project, env=models_env.env(**env),
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"step {step.get('name')!r} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert (ws / "registry" / "models" / "demo" / "report" / "report.json").is_file()
