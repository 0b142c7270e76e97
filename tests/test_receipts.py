"""A report is a receipt: a report that is not about the manifest as it is now, or that
contradicts its own figures, never passes `validate` or shows as passing in the fleet;
caches are sealed and never believed over the pinned files; signatures, when a registry
requires them. Each defect of the hostile-input trial (issue #15) has a test here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

import harness
import standards
from standards import receipts

from ._projects import classification_project
from .conftest import EXAMPLES, run_cli


def _eval005(project: Path) -> tuple[int, dict]:
    res = run_cli("validate", project, "--format", "json")
    out = json.loads(res.stdout)
    return res.code, next(r for r in out["results"] if r["id"] == "EVAL-005")


def _edit_manifest(project: Path, change) -> None:
    m = yaml.safe_load((project / "stillhouse.yaml").read_text())
    change(m)
    (project / "stillhouse.yaml").write_text(yaml.safe_dump(m, sort_keys=False))


@pytest.fixture
def evaluated_minimal(minimal_project: Path) -> Path:
    assert run_cli("eval", minimal_project, "--quiet").code == 0
    assert _eval005(minimal_project)[0] == 0
    return minimal_project


def test_a_raised_bar_makes_the_report_stale_and_says_what_changed(evaluated_minimal: Path) -> None:
    _edit_manifest(evaluated_minimal, lambda m: m["quality_bars"][0].update(minimum=0.999))
    code, r = _eval005(evaluated_minimal)
    assert code == 1 and r["status"] == "fail"
    assert "quality_bars[0].minimum was 0.6, now 0.999" in r["detail"] and "stillhouse eval" in r["detail"]
    # eval --gate agrees that the model now fails
    assert run_cli("eval", evaluated_minimal, "--gate", "--quiet").code == 1


def test_an_added_slice_makes_the_report_stale(evaluated_minimal: Path) -> None:
    _edit_manifest(evaluated_minimal, lambda m: m["slices"].append(
        {"name": "long", "rule": {"text_length": {"min_words": 8}}}))
    code, r = _eval005(evaluated_minimal)
    assert code == 1 and "slices" in r["detail"]


def test_editing_what_does_not_change_a_verdict_keeps_the_report_current(evaluated_minimal: Path) -> None:
    _edit_manifest(evaluated_minimal, lambda m: m.update(description="A new paragraph about the model."))
    assert _eval005(evaluated_minimal)[0] == 0


def test_a_hand_written_report_is_unusable_input(evaluated_minimal: Path) -> None:
    path = evaluated_minimal / "report" / "report.json"
    path.write_text(json.dumps({"project": "minimal-ticket-router", "task": "classification",
                                "gate": {"verdict": "pass"}, "slices": [], "provenance": {}}))
    res = run_cli("validate", evaluated_minimal)
    assert res.code == 2 and "report.json" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("gate", [None, "pass", [1, 2], {"verdict": "pass", "bars": "all of them"}])
def test_a_malformed_gate_is_exit_2_naming_the_field(evaluated_minimal: Path, gate) -> None:
    path = evaluated_minimal / "report" / "report.json"
    data = json.loads(path.read_text())
    data["gate"] = gate
    path.write_text(json.dumps(data))
    for command in ("validate", "checklist"):
        res = run_cli(command, evaluated_minimal)
        assert res.code == 2 and "gate" in res.stderr and "Traceback" not in res.stderr, (command, res.stderr)


def test_a_deeply_nested_report_is_exit_2(evaluated_minimal: Path) -> None:
    (evaluated_minimal / "report" / "report.json").write_text('{"gate":' + "[" * 100_000 + "]" * 100_000 + "}")
    res = run_cli("validate", evaluated_minimal)
    assert res.code == 2 and "Traceback" not in res.stderr


def test_a_flipped_verdict_or_bar_is_caught(evaluated_minimal: Path) -> None:
    path = evaluated_minimal / "report" / "report.json"
    original = path.read_text()
    data = json.loads(original)
    data["gate"]["bars"][0]["passed"] = False  # the figures say it passed
    path.write_text(json.dumps(data))
    code, r = _eval005(evaluated_minimal)
    assert code == 1 and "the report was edited" in r["detail"]
    data = json.loads(original)
    bar = data["gate"]["bars"][0]
    bar["value"] = 0.1  # figures lowered, passed and verdict left as they were
    path.write_text(json.dumps(data))
    code, r = _eval005(evaluated_minimal)
    assert code == 1 and "edited" in r["detail"]


def _registry_with(project: Path, tmp_path: Path, *, signed_only: bool = False) -> Path:
    reg = tmp_path / "registry"
    res = run_cli("publish", project, "--registry", reg)
    assert res.code == 0, res.stdout + res.stderr
    if signed_only:
        (reg / "registry.yaml").write_text("require_signed_reports: true\n")
    return reg


def test_the_fleet_recomputes_the_verdict_of_a_registered_report(evaluated_minimal: Path, tmp_path: Path) -> None:
    reg = _registry_with(evaluated_minimal, tmp_path)
    report = reg / "models" / "minimal-ticket-router" / "report" / "report.json"
    data = json.loads(report.read_text())
    data["gate"]["verdict"] = "fail"
    data["gate"]["bars"][0]["value"] = 0.1   # a failing figure...
    data["gate"]["verdict"] = "pass"         # ...under a passing verdict
    report.write_text(json.dumps(data))
    fleet = harness.build_fleet(reg)
    (m,) = fleet.models
    assert m.verdict == "fail" and m.needs_action
    assert any("contradicts its own figures" in p.message for p in fleet.problems)


def test_an_edited_fleet_cache_is_discarded(evaluated_minimal: Path, tmp_path: Path) -> None:
    reg = _registry_with(evaluated_minimal, tmp_path)
    report = reg / "models" / "minimal-ticket-router" / "report" / "report.json"
    data = json.loads(report.read_text())
    data["gate"]["bars"][0]["value"] = 0.1
    data["gate"]["bars"][0]["passed"] = False
    data["gate"]["verdict"] = "fail"
    report.write_text(json.dumps(data))  # a genuinely failing report, consistent with itself
    assert harness.build_fleet(reg).models[0].verdict == "fail"
    cache = reg / ".stillhouse" / "fleet-cache"
    raw = cache.read_bytes()
    seal, _, body = raw.partition(b"\n")
    cache.write_bytes(seal + b"\n" + body.replace(b'"verdict":"fail"', b'"verdict":"pass"'))
    assert harness.build_fleet(reg).models[0].verdict == "fail"


def test_signed_reports_when_the_registry_requires_them(minimal_project: Path, tmp_path: Path) -> None:
    key = {"STILLHOUSE_SIGNING_KEY": "ci-secret-of-the-central-group"}
    assert run_cli("eval", minimal_project, "--quiet").code == 0   # unsigned
    reg = _registry_with(minimal_project, tmp_path, signed_only=True)
    res = run_cli("fleet", reg, "--check", "--format", "json", env=key)
    (m,) = json.loads(res.stdout)["models"]
    assert res.code == 1 and m["verdict"] == "fail" and any("not signed" in r for r in m["not_current_reasons"])
    assert run_cli("eval", minimal_project, "--quiet", env=key).code == 0  # signed, without caches
    signed = json.loads((minimal_project / "report" / "report.json").read_text())
    assert signed["signature"]["algorithm"] == "hmac-sha256" and signed["provenance"]["caches_used"] is False
    assert run_cli("publish", minimal_project, "--registry", reg).code == 0
    res = run_cli("fleet", reg, "--check", "--format", "json", env=key)
    assert res.code == 0, res.stdout
    # the owner edits the signed report: the signature no longer verifies
    report = reg / "models" / "minimal-ticket-router" / "report" / "report.json"
    data = json.loads(report.read_text())
    data["slices"][0]["teacher_accuracy"]["value"] = 0.5
    report.write_text(json.dumps(data))
    res = run_cli("fleet", reg, "--check", "--format", "json", env=key)
    (m,) = json.loads(res.stdout)["models"]
    assert res.code == 1 and any("does not verify" in r for r in m["not_current_reasons"])
    # and without the key, nobody can check it
    res = run_cli("fleet", reg, "--check", "--format", "json", env={"STILLHOUSE_SIGNING_KEY": "a guess"})
    assert res.code == 1


def test_a_signature_binds_every_figure() -> None:
    report = standards.EvalReport.model_validate_json(
        (EXAMPLES / "demo-fleet" / "models" / "ticket-router" / "report" / "report.json").read_bytes())
    key = b"k"
    signed = receipts.sign(report, key)
    assert receipts.signature_problems(signed, key) == []
    changed = signed.model_copy(deep=True)
    changed.slices[0].n += 1
    assert receipts.signature_problems(changed, key) and receipts.signature_problems(signed, b"other")


def test_an_edited_teacher_cache_is_discarded_and_said(tmp_path: Path) -> None:
    project = classification_project(tmp_path / "p", teacher="callable", n=30)
    first = harness.evaluate(project)
    (outputs,) = (project / ".stillhouse" / "cache").glob("teacher-*/outputs.json")
    seal, _, body = outputs.read_bytes().partition(b"\n")
    data = json.loads(body)
    rows = [json.loads(line) for line in (project / "data" / "eval.jsonl").read_text().splitlines()]
    data["outputs"]["output"] = [row["label"] for row in rows]  # the teacher "always right"
    outputs.write_bytes(seal + b"\n" + json.dumps(data).encode())
    res = run_cli("eval", project, "--quiet")
    assert res.code == 0 and "does not match its seal" in res.stderr
    report = json.loads((project / "report" / "report.json").read_text())
    assert report["slices"][0]["teacher_accuracy"]["value"] == first.slices[0].teacher_accuracy.value


def test_a_hub_snapshot_is_hashed_and_an_edited_one_makes_the_report_stale(tmp_path: Path) -> None:
    import safetensors.torch

    project = classification_project(tmp_path / "p", teacher="recorded", n=40)
    shutil.move(project / "student", project / "snapshot")
    _edit_manifest(project, lambda m: m.update(student={"kind": "hub", "repo": "org/router",
                                                       "revision": "a" * 40, "path": "snapshot/"}))
    report = harness.evaluate(project)
    assert report.provenance.student_sha256 is not None
    assert _eval005(project)[1]["status"] in ("pass", "skip", "warn")
    weights = project / "snapshot" / "model.safetensors"
    tensors = safetensors.torch.load_file(str(weights))
    for name in tensors:
        if "classifier" in name:
            tensors[name].zero_()
    safetensors.torch.save_file(tensors, str(weights), metadata={"format": "pt"})
    _edit_manifest(project, lambda m: m["lifecycle"].update(status="in_review"))
    code, r = _eval005(project)
    assert code == 1 and "student's files changed" in r["detail"]


def test_teacher_only_report_never_satisfies_eval_005(minimal_project: Path) -> None:
    res = run_cli("eval", minimal_project, "--teacher-only")
    assert res.code == 0 and "Teacher only" in res.stdout
    # by default beside the model's report, never over it
    assert (minimal_project / "report" / "teacher-only" / "report.json").is_file()
    assert not (minimal_project / "report" / "report.json").exists()
    # and even where the model's report goes, it never counts as the model's evaluation
    assert run_cli("eval", minimal_project, "--teacher-only", "--out", minimal_project / "report").code == 0
    data = json.loads((minimal_project / "report" / "report.json").read_text())
    assert data["teacher_only"] and data["student"] is None and data["gate"]["verdict"] == "none"
    assert data["slices"][0]["teacher_accuracy"]["value"] > 0.5
    code, r = _eval005(minimal_project)
    assert code == 1 and "teacher-only" in r["detail"]
    res = run_cli("publish", minimal_project, "--registry", minimal_project.parent / "reg")
    assert res.code == 1 and "teacher-only" in res.stderr
    res = run_cli("publish", minimal_project, "--registry", minimal_project.parent / "reg", "--allow-stale")
    assert res.code == 1 and "teacher-only" in res.stderr and not (minimal_project.parent / "reg").exists()
    assert run_cli("eval", minimal_project, "--teacher-only", "--gate").code == 2


def test_bars_tighter_than_their_slice_can_certify_warn(evaluated_minimal: Path) -> None:
    data = json.loads((evaluated_minimal / "report" / "report.json").read_text())
    drop_bar = next(b for b in data["gate"]["bars"] if b["max_drop_vs_teacher"] is not None)
    assert drop_bar["certifiable_drop"] > 0 and drop_bar["lower_bound"] is not None
    _edit_manifest(evaluated_minimal, lambda m: m["quality_bars"].__setitem__(
        2, {**m["quality_bars"][2], "max_drop_vs_teacher": 0.001}))
    assert run_cli("eval", evaluated_minimal, "--quiet").code == 0
    out = json.loads(run_cli("validate", evaluated_minimal, "--format", "json").stdout)
    bar6 = next(r for r in out["results"] if r["id"] == "BAR-006")
    assert bar6["status"] == "warn" and "all: max_drop_vs_teacher 0.001" in bar6["detail"]


def test_the_predictions_digest_covers_every_row_and_block() -> None:
    """Rows go in blocks; a change in a later block, a missing student or a dropped last row
    still changes the digest, and equal answers give equal digests."""
    from harness.eval.adapters import Prediction

    n = receipts.DIGEST_BLOCK_ROWS + 10
    ids = [f"r{i}" for i in range(n)]
    teacher = [Prediction("a", (0.75, 0.25)) for _ in range(n)]
    student = [Prediction("a", (0.5, 0.5)) for _ in range(n)]
    digest = receipts.predictions_digest(ids, teacher, student)
    assert digest == receipts.predictions_digest(list(ids), list(teacher), list(student))
    changed = list(student)
    changed[n - 1] = Prediction("a", (0.5000001, 0.4999999))
    assert receipts.predictions_digest(ids, teacher, changed) != digest
    assert receipts.predictions_digest(ids, teacher, None) != digest
    assert receipts.predictions_digest(ids[:-1], teacher[:-1], student[:-1]) != digest
