"""`stillhouse record` (an API or in-house teacher answers once, kept forever as a pinned
file), the checks on recorded answers, and `stillhouse publish` into a fleet registry."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest
import yaml

import harness
from standards import file_sha256

from ._projects import FILLER, WORDS, classification_project, eval_rows, wordpiece_tokenizer, write_jsonl
from .conftest import run_cli
from .test_endpoint import KEY, _Server


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def _with_training_set(project: Path, *, tokenizer: bool = True) -> None:
    """A distillation section, a training set and (for teachers that lend none) a tokenizer."""
    write_jsonl(project / "data" / "train.jsonl", [dict(r, id=f"tr-{i}") for i, r in enumerate(eval_rows(120, seed=9))])
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    m["distillation"] = {"train_set": {"path": "data/train.jsonl", "sha256": file_sha256(project / "data" / "train.jsonl")},
                         "epochs": 25, "learning_rate": 0.01, "seed": 1, "max_length": 16,
                         "student": {"layers": 1, "hidden_size": 16, "heads": 2, "intermediate_size": 32}}
    if tokenizer:
        wordpiece_tokenizer([w for ws in WORDS.values() for w in ws] + FILLER).save_pretrained(project / "tokenizer")
        m["distillation"]["tokenizer"] = "tokenizer/"
    m["student"]["sha256"] = "0" * 64
    m["quality_bars"] = [{"slice": "*", "metric": "agreement", "minimum": 0.6, "min_examples": 10}]
    (project / "stillhouse.yaml").write_text("# the team's notes stay where they are\n" + yaml.safe_dump(m, sort_keys=False))


def test_an_endpoint_teacher_is_recorded_then_distilled_and_gated(server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("STILLHOUSE_TEST_KEY", KEY)
    project = classification_project(tmp_path / "p", teacher="recorded", n=40)
    _with_training_set(project)
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    m["teacher"] = {"kind": "endpoint", "family": "support-llm", "base_url": server.url, "model": "support-llm-2026-10-01",
                    "api_key_env": "STILLHOUSE_TEST_KEY", "max_concurrency": 4,
                    "pricing": {"usd_per_1k_input_tokens": 0.5, "usd_per_1k_output_tokens": 1.5}}
    (project / "stillhouse.yaml").write_text("# the team's notes stay where they are\n" + yaml.safe_dump(m, sort_keys=False))
    res = run_cli("record", project, "--write-manifest", "--quiet", env={"STILLHOUSE_TEST_KEY": KEY})
    assert res.code == 0, res.stderr
    assert "cost:" in res.stdout and "USD" in res.stdout
    assert len(server.requests) == 40 + 120
    text = (project / "stillhouse.yaml").read_text()
    assert text.startswith("# the team's notes stay where they are")
    teacher = yaml.safe_load(text)["teacher"]
    assert teacher["kind"] == "recorded" and teacher["family"] == "support-llm"
    assert teacher["sha256"] == file_sha256(project / teacher["path"])
    assert "endpoint:support-llm-2026-10-01" in teacher["source"]
    header = json.loads((project / teacher["path"]).read_text().splitlines()[0])["stillhouse_recording"]
    assert header["tokens"]["output"] == 2 * 160 and header["usd"] > 0
    # distill and eval read the recording: the server is asked nothing more
    res = run_cli("distill", project, "--write-pin")
    assert res.code == 0, res.stdout + res.stderr
    assert "the tokenizer in tokenizer/" in res.stdout
    record = json.loads((project / "training" / "record.json").read_text())
    assert record["teacher"]["recording"]["usd"] == header["usd"]
    assert run_cli("eval", project, "--gate", "--quiet").code == 0
    assert len(server.requests) == 160


def test_a_callable_teacher_feeds_distill_through_a_recording(tmp_path) -> None:
    project = classification_project(tmp_path / "p", teacher="callable", n=30)
    _with_training_set(project)
    res = run_cli("distill", project)
    assert res.code == 2 and "stillhouse record" in res.stderr  # says the way, without a traceback
    assert run_cli("record", project, "--write-manifest", "--quiet").code == 0
    res = run_cli("distill", project, "--write-pin")
    assert res.code == 0, res.stdout + res.stderr
    assert run_cli("eval", project, "--gate", "--quiet").code == 0


def test_eval_after_record_times_the_teacher_without_asking_for_its_answers_again(tmp_path) -> None:
    project = classification_project(tmp_path / "p", teacher="callable", n=30)
    assert run_cli("record", project, "--set", "eval", "--quiet").code == 0
    calls = tmp_path / "calls.log"
    assert run_cli("eval", project, "--quiet", env={"STILLHOUSE_TEST_CALLS": str(calls)}).code == 0
    sizes = [int(x) for x in calls.read_text().split()]
    assert sizes and set(sizes) == {1}  # only the batch-size-1 timing calls: the answers came from the cache
    report = json.loads((project / "report" / "report.json").read_text())
    assert report["provenance"]["caches_used"] and report["teacher"]["latency"]["calls"] == 100
    assert report["cost_ratio"] is not None


def test_a_recording_is_refused_for_a_changed_set(tmp_path) -> None:
    project = classification_project(tmp_path / "p", teacher="callable", n=30)
    assert run_cli("record", project, "--set", "eval", "--write-manifest", "--quiet").code == 0
    assert run_cli("record", project, "--quiet").code == 2  # already a recording
    rows = [json.loads(x) for x in (project / "data" / "eval.jsonl").read_text().splitlines()]
    rows[3]["text"] = "a different message entirely"
    write_jsonl(project / "data" / "eval.jsonl", rows)
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    m["eval_set"]["sha256"] = file_sha256(project / "data" / "eval.jsonl")
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m))
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and rows[3]["id"] in res.stderr and "different version of the set" in res.stderr


def test_record_never_replaces_what_is_not_a_recording_nor_a_good_recording_with_bad_answers(tmp_path) -> None:
    project = classification_project(tmp_path / "p", teacher="callable", n=30)
    assert run_cli("record", project, "--set", "eval", "--quiet").code == 0
    good = file_sha256(project / "recorded" / "teacher.jsonl")
    for out in ("stillhouse.yaml", "data/eval.jsonl", "counting_teacher.py", "data"):
        before = (project / out).read_bytes() if (project / out).is_file() else None
        res = run_cli("record", project, "--set", "eval", "--quiet", "--out", out)
        assert res.code == 2 and "--out" in res.stderr and "Traceback" not in res.stderr, (out, res.stderr)
        if before is not None:
            assert (project / out).read_bytes() == before
    # the teacher now answers what no recording can hold: the pinned recording stays as it was
    (project / "counting_teacher.py").write_text("def answer(texts):\n    return ['nope' for _ in texts]\n")
    res = run_cli("record", project, "--set", "eval", "--quiet", "--no-cache")
    # refused as the teacher answers, before anything is cached or staged
    assert res.code == 2 and "row 'ex-0000': expected one of the manifest's labels" in res.stderr, res.stderr
    assert "'nope'" in res.stderr and "nothing of this run was cached" in res.stderr
    assert file_sha256(project / "recorded" / "teacher.jsonl") == good
    assert sorted(p.name for p in (project / "recorded").iterdir()) == ["teacher.jsonl"]


@pytest.mark.parametrize("row, field, words", [
    ({"output": "billing", "probs": [float("nan"), 1.0]}, "probs", "finite"),
    ({"output": "billing", "probs": [1.2, -0.2]}, "probs", "at least 0"),
    ({"output": "billing", "probs": [0.5, 0.2]}, "probs", "sum to 1"),
    ({"output": "billing", "probs": [0.5, 0.5, 0.0]}, "probs", "2 probabilities"),
    ({"output": "refunds", "probs": [0.5, 0.5]}, "output", "manifest's labels"),
    ({"output": 3}, "output", "text"),
])
def test_recorded_answers_are_checked_row_by_row(tmp_path, row, field, words) -> None:
    project = classification_project(tmp_path / "p", teacher="recorded", n=20)
    path = project / "teacher" / "predictions.jsonl"
    lines = path.read_text().splitlines()
    bad = json.loads(lines[4])
    bad.update(row)
    lines[4] = json.dumps(bad, allow_nan=True)
    path.write_text("\n".join(lines) + "\n")
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    m["teacher"]["sha256"] = file_sha256(path)
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m))
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and f"predictions.jsonl:5: {field}" in res.stderr and words in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and not math.isnan(0.0)


def test_a_duplicate_recorded_id_is_refused(tmp_path) -> None:
    project = classification_project(tmp_path / "p", teacher="recorded", n=20)
    path = project / "teacher" / "predictions.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[2]]) + "\n")
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    m["teacher"]["sha256"] = file_sha256(path)
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m))
    res = run_cli("eval", project, "--quiet")
    assert res.code == 2 and "more than once" in res.stderr


def test_publish_refuses_a_stale_report_and_says_what_changed(minimal_project: Path, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(minimal_project)], check=True)
    subprocess.run(["git", "-C", str(minimal_project), "-c", "user.email=a@b", "-c", "user.name=a", "add", "."],
                   check=True)
    subprocess.run(["git", "-C", str(minimal_project), "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm",
                    "x"], check=True)
    reg = tmp_path / "registry"
    res = run_cli("publish", minimal_project, "--registry", reg)
    assert res.code == 1 and "no report to publish" in res.stderr
    assert run_cli("eval", minimal_project, "--quiet").code == 0
    res = run_cli("publish", minimal_project, "--registry", reg, "--format", "json")
    assert res.code == 0, res.stderr
    out = json.loads(res.stdout)
    published = json.loads((reg / "models" / "minimal-ticket-router" / "published.json").read_text())
    assert published["commit"] == out["commit"] and len(published["commit"]) == 40
    assert published["files"]["stillhouse.yaml"] == file_sha256(minimal_project / "stillhouse.yaml")
    # a raised bar: the report is no longer current, so publish refuses it
    m = yaml.safe_load((minimal_project / "stillhouse.yaml").read_text())
    m["quality_bars"][0]["minimum"] = 0.9
    (minimal_project / "stillhouse.yaml").write_text(yaml.safe_dump(m, sort_keys=False))
    res = run_cli("publish", minimal_project, "--registry", reg)
    assert res.code == 1 and "quality_bars[0].minimum" in res.stderr and "stillhouse eval" in res.stderr
    res = run_cli("publish", minimal_project, "--registry", reg, "--allow-stale")
    assert res.code == 0 and "manifest: quality_bars changed" in res.stdout
    fleet = harness.build_fleet(reg)
    (entry,) = fleet.models
    assert not entry.evaluation_current and any("publish" in a for a in entry.actions)
    assert not any("redistil" in a for a in entry.actions)


@pytest.mark.parametrize("changed", ["student/config.json", "data/eval.jsonl", "teacher/predictions.jsonl"])
def test_publish_refuses_a_report_made_on_files_that_changed_since(minimal_project: Path, tmp_path: Path,
                                                                   changed: str) -> None:
    assert run_cli("eval", minimal_project, "--quiet").code == 0
    with (minimal_project / changed).open("a") as f:
        f.write("\n")
    for extra in ([], ["--allow-stale"]):  # the registry holds no model files: the fleet could never tell
        res = run_cli("publish", minimal_project, "--registry", tmp_path / "reg", *extra)
        assert res.code == 1 and "changed since the report" in res.stderr, res.output
    assert not (tmp_path / "reg").exists()


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_publish_and_fleet_refuse_a_folder_that_is_not_a_registry(minimal_project: Path, tmp_path: Path) -> None:
    assert run_cli("eval", minimal_project, "--quiet").code == 0
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("x\n")
    for folder in (minimal_project, other):  # the project itself; a folder with something else in it
        before = _tree(folder)
        res = run_cli("publish", minimal_project, "--registry", folder)
        assert res.code == 2 and "expected a registry folder" in res.stderr and "Traceback" not in res.stderr
        assert _tree(folder) == before
        res = run_cli("fleet", cwd=folder)  # the registry defaults to here
        assert res.code == 2 and "expected a registry folder" in res.stderr, res.stderr
        assert _tree(folder) == before
    assert "found a Stillhouse project" in run_cli("fleet", minimal_project).stderr
    # an unset CI variable: `--registry "$REGISTRY"` arrives empty and would mean here
    res = run_cli("publish", ".", "--registry", "", cwd=minimal_project)
    assert res.code == 2 and "is empty" in res.stderr
    # a new git repository for the registry holds only .git: publish creates the registry there
    fresh = tmp_path / "fleet-registry"
    (fresh / ".git").mkdir(parents=True)
    res = run_cli("publish", minimal_project, "--registry", fresh)
    assert res.code == 0 and "created the registry" in res.stdout, res.stderr
    assert (fresh / "teachers.yaml").is_file() and (fresh / "people.yaml").is_file()
    res = run_cli("publish", minimal_project, "--registry", fresh)
    assert res.code == 0 and "unchanged" in res.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run_cli("fleet", empty)
    assert res.code == 2 and "found an empty folder" in res.stderr and _tree(empty) == []


def test_a_stale_registered_manifest_asks_to_publish_again_not_to_redistil(minimal_project: Path,
                                                                          tmp_path: Path) -> None:
    assert run_cli("eval", minimal_project, "--quiet").code == 0
    reg = tmp_path / "registry"
    assert run_cli("publish", minimal_project, "--registry", reg).code == 0
    # the teacher moved; the team re-recorded, redistilled and re-evaluated, but published only the report
    teachers = yaml.safe_load((reg / "teachers.yaml").read_text())
    report = reg / "models" / "minimal-ticket-router" / "report" / "report.json"
    data = json.loads(report.read_text())
    data["provenance"]["teacher_pin"] = teachers["teachers"][0]["pin"] = "sha256:" + "b" * 64
    report.write_text(json.dumps(data))
    (reg / "teachers.yaml").write_text(yaml.safe_dump(teachers))
    (m,) = harness.build_fleet(reg).models
    assert not any(t.code == "teacher_moved" for t in m.triggers)
    assert any("publish" in a for a in m.actions) and not any("redistil" in a for a in m.actions)


def test_teacher_retiring_fires_before_the_shutdown_date(minimal_project: Path, tmp_path: Path) -> None:
    import datetime as dt

    assert run_cli("eval", minimal_project, "--quiet").code == 0
    reg = tmp_path / "registry"
    assert run_cli("publish", minimal_project, "--registry", reg).code == 0
    teachers = yaml.safe_load((reg / "teachers.yaml").read_text())
    today = dt.date.today()
    teachers["teachers"][0]["retires_on"] = (today + dt.timedelta(days=60)).isoformat()
    (reg / "teachers.yaml").write_text(yaml.safe_dump(teachers))
    (m,) = harness.build_fleet(reg).models
    (t,) = [t for t in m.triggers if t.code == "teacher_retiring"]
    assert t.evidence["days_left"] == 60 and m.needs_action
    res = run_cli("fleet", reg, "--check")
    assert res.code == 1 and "teacher_retiring" in res.stdout
    (reg / "registry.yaml").write_text("teacher_retiring_days: 30\n")
    (m,) = harness.build_fleet(reg).models
    assert not any(t.code == "teacher_retiring" for t in m.triggers)
