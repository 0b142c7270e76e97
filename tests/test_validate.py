"""`stillhouse validate`, `checklist` and `init` through the real CLI, and a corpus of
malformed manifests: each gets its exit code and a message naming the file and field."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from .conftest import EXAMPLES, run_cli

MANIFEST = "stillhouse.yaml"


def _edit(fn: Callable[[dict], None]) -> Callable[[Path], None]:
    """A case that edits the minimal manifest as data."""

    def apply(project: Path) -> None:
        data = yaml.safe_load((project / MANIFEST).read_text())
        fn(data)
        (project / MANIFEST).write_text(yaml.safe_dump(data, sort_keys=False))

    return apply


def _text(text: str | bytes) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        p = project / MANIFEST
        p.write_bytes(text if isinstance(text, bytes) else text.encode())

    return apply


def _replace(old: str, new: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        p = project / MANIFEST
        text = p.read_text()
        assert old in text, old
        p.write_text(text.replace(old, new, 1))

    return apply


def _set(path: str, value) -> Callable[[Path], None]:
    def fn(data: dict) -> None:
        cur = data
        keys = path.split(".")
        for k in keys[:-1]:
            cur = cur[int(k)] if isinstance(cur, list) else cur[k]
        if isinstance(cur, list):
            cur[int(keys[-1])] = value
        else:
            cur[keys[-1]] = value

    return _edit(fn)


def _big(project: Path) -> None:
    with open(project / MANIFEST, "wb") as f:
        f.write(b"standards_version: '1.1'\n")
        line = b"# " + b"x" * 1021 + b"\n"
        for _ in range(60 * 1024):
            f.write(line)


BOMB = """standards_version: "1.1"
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


def _add_pickle(project: Path) -> None:
    (project / "student" / "pytorch_model.bin").write_bytes(b"\x80\x04not really")


def _tamper_eval(project: Path) -> None:
    p = project / "data" / "eval.jsonl"
    data = bytearray(p.read_bytes())
    data[10] ^= 0x01
    p.write_bytes(bytes(data))


def _no_eval(project: Path) -> None:
    (project / "data" / "eval.jsonl").unlink()


def _bars(bars: list[dict]) -> Callable[[Path], None]:
    return _set("quality_bars", bars)


# name: (mutation, exit code, strings the output must contain)
CASES: dict[str, tuple[Callable[[Path], None], int, list[str]]] = {
    # --- unusable input: exit 2 ---
    "empty file": (_text(""), 2, ["empty document"]),
    # pydantic alone would read a bool as 1 or 0: one epoch, a bar of 1.0
    "bool for a whole number": (_replace("epochs: 30", "epochs: true"), 2,
                                ["distillation.epochs: expected a valid integer; found true (a boolean)"]),
    "bool for a bar": (_set("quality_bars.0.minimum", True), 2,
                       ["quality_bars[0].minimum: expected a valid number; found true (a boolean)"]),
    "bool for a row count": (_set("eval_set.rows", False), 2, ["eval_set.rows:", "found false (a boolean)"]),
    "only comments": (_text("# nothing here\n"), 2, ["empty document"]),
    "binary file": (_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 2, ["binary"]),
    "not utf-8": (_text(b"name: caf\xe9\n"), 2, ["UTF-8"]),
    "yaml list": (_text("- a\n- b\n"), 2, ["a mapping", "a list"]),
    "yaml scalar": (_text("just a string\n"), 2, ["a mapping"]),
    "unclosed bracket": (_text('standards_version: "1.1"\nowner: {handle: a\n'), 2, ["valid YAML", ":3"]),
    "bad indentation": (_text('standards_version: "1.1"\nowner:\n  handle: a\n team: b\n'), 2, ["valid YAML", ":4"]),
    "tab indentation": (_text('standards_version: "1.1"\nowner:\n\thandle: a\n'), 2,
                        ["valid YAML; found a tab", "tabs are not allowed"]),
    "python object tag": (_text('standards_version: "1.1"\nx: !!python/object/apply:os.system ["touch PWNED"]\n'),
                          2, ["safe loading", "python/object/apply"]),
    "python name tag": (_text('standards_version: "1.1"\nx: !!python/name:os.system\n'), 2, ["safe loading"]),
    "alias bomb": (_text(BOMB), 2, ["alias"]),
    "60 MB file": (_big, 2, ["at most 1,048,576 bytes"]),
    "duplicate yaml key": (_replace("task: classification", "task: classification\ntask: generation"),
                           2, ["appears twice"]),
    "unknown standards version": (_set("standards_version", "9.9"), 2, ["standards_version", "'9.9'", "1.0, 1.1"]),
    "unquoted version": (_replace('standards_version: "1.2"', "standards_version: 1.2"), 2,
                         ["standards_version", "quote it"]),
    "missing version": (_edit(lambda d: d.pop("standards_version")), 2, ["standards_version", "field missing"]),
    "rows wrong type": (_set("eval_set.rows", "many"), 2, ["eval_set.rows", "'many'"]),
    "slices not a list": (_set("slices", "short"), 2, ["slices", "list"]),
    "misspelt top-level field": (_edit(lambda d: d.update(tacher=d["teacher"])), 2, ["tacher", "did you mean `teacher`"]),
    "unknown nested field": (_set("owner.email", "a@b.c"), 2, ["owner.email", "unknown field"]),
    "renamed field": (_set("monitoring.sample_path", "x.jsonl"), 2, ["renamed to `monitoring.production_sample`"]),
    "duplicate slice names": (_edit(lambda d: d["slices"].append(dict(d["slices"][0]))), 2, ["slices", "declared twice"]),
    "negative threshold": (_set("quality_bars.0.minimum", -0.1), 2, ["quality_bars[0].minimum", "≥ 0"]),
    "threshold above one": (_set("quality_bars.2.max_drop_vs_teacher", 1.5), 2,
                            ["quality_bars[2].max_drop_vs_teacher", "≤ 1"]),
    "bar without threshold": (_edit(lambda d: d["quality_bars"][0].pop("minimum")), 2, ["quality_bars[0]", "`minimum`, `max_drop_vs_teacher` or both"]),
    "invalid regex": (_set("slices.0.rule", {"matches": "(unclosed"}), 2, ["slices[0].rule", "regular expression"]),
    "rule with two tests": (_set("slices.1.rule", {"column": "channel", "equals": "email", "one_of": ["chat"]}), 2,
                            ["slices[1].rule", "exactly one"]),
    "unknown teacher kind": (_set("teacher.kind", "ftp"), 2, ["teacher", "kind"]),
    "teacher field of another kind": (_set("teacher.revision", "0" * 40), 2, ["teacher.revision", "unknown field"]),
    "unknown task": (_set("task", "regression"), 2, ["task", "classification", "generation"]),
    "path escapes project": (_set("eval_set.path", "../../../etc/passwd"), 2, ["eval_set.path", "outside the project"]),
    "absolute path": (_set("student.path", "/etc"), 2, ["student.path", "absolute path"]),
    "bad date": (_set("lifecycle.created", "yesterday"), 2, ["lifecycle.created", "'yesterday'"]),
    "bad name": (_set("name", "My Model!"), 2, ["name", "lower-case name"]),
    "reserved slice name": (_set("slices.0.name", "all"), 2, ["slices[0].name", "reserved"]),
    "max drop on agreement": (_set("quality_bars.1.max_drop_vs_teacher", 0.1), 2, ["quality_bars[1]", "only with metric `accuracy`"]),
    # --- a standard fails: exit 1 ---
    "unpinned hub teacher": (_set("teacher", {"kind": "hub", "repo": "org/teacher", "revision": "main",
                                              "path": "teacher"}), 1, ["TEACH-001", "moving branch"]),
    "floating endpoint teacher": (_set("teacher", {"kind": "endpoint", "base_url": "http://127.0.0.1:9/v1",
                                                   "model": "gpt-4o-latest"}), 1, ["TEACH-001", "floats"]),
    "bar on undeclared slice": (_edit(lambda d: d["quality_bars"].append(
        {"slice": "emial", "metric": "accuracy", "minimum": 0.5})), 1, ["BAR-002", "'emial'"]),
    "slice without a bar": (_bars([{"slice": "all", "metric": "accuracy", "minimum": 0.5}]), 1,
                            ["BAR-001", "short, email, typos"]),
    "missing eval-set file": (_no_eval, 1, ["EVAL-002", "does not exist"]),
    "eval set changed by one byte": (_tamper_eval, 1, ["EVAL-002", "hashes to"]),
    "placeholder owner": (_set("owner.handle", "<FILL-IN: your handle>"), 1, ["MAN-001", "OWN-001", "owner.handle"]),
    "no backup owner": (_edit(lambda d: d["owner"].pop("backup")), 1, ["OWN-002", "not set"]),
    "production without approval": (_set("lifecycle.status", "production"), 1, ["LIFE-001", "approval"]),
    "retired without reason": (_set("lifecycle.status", "retired"), 1, ["LIFE-002", "retirement_reason"]),
    "slice too small": (_set("quality_bars.0.min_examples", 100), 1, ["BAR-003", "short has 64 rows"]),
    "pickle weights": (_add_pickle, 1, ["SAFE-001", "pytorch_model.bin"]),
    "row count mismatch": (_set("eval_set.rows", 321), 1, ["EVAL-003", "321"]),
    "slice on missing column": (_set("slices.1.rule", {"column": "chanel", "equals": "email"}), 1,
                                ["EVAL-004", "chanel"]),
    "drift trigger missing": (_edit(lambda d: d["triggers"].pop("drift")), 1, ["TRIG-001", "triggers.drift"]),
}


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_manifest(name: str, minimal_project: Path):
    mutate, code, needles = CASES[name]
    mutate(minimal_project)
    res = run_cli("validate", minimal_project)
    assert res.code == code, res.output
    assert "Traceback" not in res.output
    out = " ".join(res.output.split())  # the table may wrap long details
    for needle in needles:
        assert needle in out, f"{needle!r} not in:\n{res.output}"
    if code == 2:
        assert str(minimal_project / MANIFEST) in res.stderr
        assert res.stdout == ""
    else:
        assert "FAILED" in res.stdout
    assert not (minimal_project / "PWNED").exists() and not Path("PWNED").exists()


def test_exit_2_lists_every_problem_at_once(minimal_project: Path):
    data = yaml.safe_load((minimal_project / MANIFEST).read_text())
    data["eval_set"]["rows"] = "many"
    data["quality_bars"][2]["minimum"] = 7
    data["owner"]["email"] = "x"
    (minimal_project / MANIFEST).write_text(yaml.safe_dump(data, sort_keys=False))
    res = run_cli("validate", minimal_project)
    assert res.code == 2
    assert "3 problems" in res.stderr
    lines = (minimal_project / MANIFEST).read_text().splitlines()
    rows_line = next(i for i, line in enumerate(lines, 1) if "rows:" in line)
    assert f"{MANIFEST}:{rows_line}: eval_set.rows" in res.stderr
    assert "quality_bars[2].minimum" in res.stderr and "owner.email" in res.stderr


def test_validate_json_format(minimal_project: Path):
    res = run_cli("validate", minimal_project, "--format", "json")
    assert res.code == 1
    data = json.loads(res.stdout)
    failed = [r["id"] for r in data["results"] if r["status"] == "fail"]
    assert failed == ["EVAL-005"]
    assert data["exit_code"] == 1 and data["ok"] is False
    (minimal_project / MANIFEST).write_text("- a list\n")
    res = run_cli("validate", minimal_project, "--format", "json")
    assert res.code == 2
    err = json.loads(res.stdout)["errors"][0]
    assert err["expected"] == "a mapping of manifest fields" and err["file"].endswith(MANIFEST)


def test_minimal_example_fails_only_on_the_missing_report(minimal_project: Path):
    res = run_cli("validate", minimal_project, "--format", "json")
    results = json.loads(res.stdout)["results"]
    assert [r["id"] for r in results if r["status"] == "fail"] == ["EVAL-005"]
    assert not [r for r in results if r["status"] == "warn"]


def test_no_manifest_in_folder(tmp_path: Path):
    res = run_cli("validate", tmp_path)
    assert res.code == 2 and "stillhouse.yaml" in res.stderr and "stillhouse init" in res.stderr


def test_validate_accepts_the_manifest_file_itself(minimal_project: Path):
    res = run_cli("validate", minimal_project / MANIFEST)
    assert res.code == 1 and "EVAL-005" in res.stdout


def test_symlink_escaping_project_is_refused(minimal_project: Path, tmp_path: Path):
    outside = tmp_path / "outside.jsonl"
    shutil.copy(minimal_project / "data" / "eval.jsonl", outside)
    os.symlink(outside, minimal_project / "data" / "link.jsonl")
    _set("eval_set.path", "data/link.jsonl")(minimal_project)
    res = run_cli("validate", minimal_project)
    assert res.code == 2 and "outside the project" in res.stderr


def test_init_creates_a_project_that_fails_only_on_placeholders(tmp_path: Path):
    res = run_cli("init", "support-router", cwd=tmp_path)
    assert res.code == 0, res.output
    proj = tmp_path / "support-router"
    assert (proj / "stillhouse.yaml").is_file()
    assert (proj / "data").is_dir()
    wf = yaml.safe_load((proj / ".github" / "workflows" / "stillhouse.yml").read_text())
    steps = " ".join(s.get("run", "") for s in wf["jobs"]["gate"]["steps"])
    assert "stillhouse validate" in steps and "stillhouse eval . --gate" in steps
    assert (proj / ".stillhouse" / "manifest.schema.json").is_file()
    assert (proj / "stillhouse.yaml").read_text().startswith("# yaml-language-server: $schema=")
    res = run_cli("validate", proj, "--format", "json")
    assert res.code == 1, res.output
    failed = [r for r in json.loads(res.stdout)["results"] if r["status"] == "fail"]
    assert failed, "a fresh project must not pass"
    for r in failed:  # only what the owner must still provide: placeholders, and the data itself
        assert "placeholder" in r["detail"] or "no eval set at data/eval.jsonl yet" in r["detail"], r
    assert {"MAN-001", "TEACH-001", "EVAL-001", "EVAL-002", "OWN-001", "OWN-002"} <= {r["id"] for r in failed}
    assert "distill . --write-pin" in next(r["detail"] for r in failed if r["id"] == "TEACH-003")


def test_init_refuses_an_existing_folder_and_a_bad_name(tmp_path: Path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    res = run_cli("init", "taken", cwd=tmp_path)
    assert res.code == 2 and "already exists" in res.stderr
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"
    res = run_cli("init", "Bad Name", cwd=tmp_path)
    assert res.code == 2 and "lower-case" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_checklist_ticks_and_crosses(minimal_project: Path):
    res = run_cli("checklist", minimal_project)
    assert res.code == 1
    md = res.stdout
    assert md.startswith("# Review checklist: minimal-ticket-router")
    assert "- [x] **TEACH-001** (must, passed)" in md
    assert "- [ ] **EVAL-005** (must, **FAILED**)" in md
    assert "- [ ] **LIFE-003** (must, reviewer): If the student is pulled" in md
    # read as plain text too: the catalogue's code spans stay code spans, a detail keeps its "(s)"
    assert "left by `stillhouse init`." in md and "slice(s)" in md
    out = minimal_project / "review.md"
    res = run_cli("checklist", minimal_project, "-o", out)
    assert out.read_text().strip() == md.strip()


def test_checklist_escapes_manifest_strings(minimal_project: Path):
    _set("owner.handle", "<script>alert(1)</script>")(minimal_project)
    md = run_cli("checklist", minimal_project).stdout
    assert "<script" not in md and "<" not in md.split("Record the approval")[0] and "&lt;script>" in md


def test_schema_command_writes_every_schema(tmp_path: Path):
    res = run_cli("schema", "--out", tmp_path)
    assert res.code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "manifest-1.0.schema.json" in names and "manifest-1.1.schema.json" in names
    assert "eval-report-1.1.schema.json" in names and "fleet-report-1.1.schema.json" in names


def test_hash_command_matches_the_manifest():
    res = run_cli("hash", EXAMPLES / "minimal" / "student")
    data = yaml.safe_load((EXAMPLES / "minimal" / MANIFEST).read_text())
    assert res.stdout.split()[0] == data["student"]["sha256"]


def test_help_has_an_example_for_every_verb():
    res = run_cli("--help")
    assert res.code == 0
    from harness.cli import cli

    for name in cli.commands:
        sub = run_cli(name, "--help")
        assert sub.code == 0 and "Examples:" in sub.stdout and f"stillhouse {name}" in sub.stdout, name


def test_usage_error_exits_2():
    res = run_cli("validate", "--format", "yaml")
    assert res.code == 2


def test_a_training_set_that_is_the_eval_set_fails_eval_006(tmp_path: Path):
    """EVAL-006 is the reviewer's question, but its plainest breach needs no reviewer: distill
    trained on the eval set itself, and validate passed."""
    import shutil

    proj = tmp_path / "p"
    shutil.copytree(EXAMPLES / "minimal", proj, ignore=shutil.ignore_patterns("report", ".stillhouse"))
    m = yaml.safe_load((proj / "stillhouse.yaml").read_text())
    m["distillation"]["train_set"].update(path="data/eval.jsonl", sha256=m["eval_set"]["sha256"])
    (proj / "stillhouse.yaml").write_text(yaml.safe_dump(m, sort_keys=False))
    res = run_cli("validate", proj)
    assert res.code == 1 and "EVAL-006" in res.stdout, res.output
    assert "distillation.train_set is the eval set itself" in " ".join(res.stdout.split())
    checklist = run_cli("checklist", proj).stdout
    assert "EVAL-006" in checklist and "the eval set itself" in " ".join(checklist.split())
    # another file: the question stays the reviewer's
    ok = run_cli("validate", EXAMPLES / "minimal", "--format", "json")
    assert next(r for r in json.loads(ok.stdout)["results"] if r["id"] == "EVAL-006")["status"] == "manual"
