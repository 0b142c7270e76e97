"""Drift monitoring on production samples that drift and that do not; retirement."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
import yaml

import standards
from harness import build_fleet, compute_drift, load_project, retire_project
from harness._stats import binary_psi, js_distance, psi
from harness.fleet._drift import wilson

from ._fleet_fixtures import NOW, manifest, production_rows, report, write_entry, write_jsonl, write_registry
from .conftest import run_cli


def test_wilson_interval_matches_the_textbook():
    e = wilson(8, 10)
    assert e.value == 0.8 and e.low == pytest.approx(0.4902, abs=1e-4) and e.high == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 20).low == 0.0 and wilson(20, 20).high == 1.0


def test_psi_and_jensen_shannon():
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    # (0.7-0.5) ln(0.7/0.5) + (0.3-0.5) ln(0.3/0.5)
    assert psi([0.5, 0.5], [0.7, 0.3]) == pytest.approx(0.2 * math.log(1.4) - 0.2 * math.log(0.6), abs=1e-6)
    assert binary_psi(0.12, 0.45) == psi([0.12, 0.88], [0.45, 0.55])
    assert js_distance([1, 0], [0, 1]) == pytest.approx(1.0)
    assert js_distance([0.2, 0.8], [0.2, 0.8]) == 0.0


@pytest.fixture
def entry(tmp_path: Path) -> Path:
    reg = write_registry(tmp_path / "registry")
    data = manifest("router")
    return write_entry(reg, data, report(data, NOW - 40 * 86400 * dt.timedelta(seconds=1), agreement=0.92))


def test_a_drifting_sample_fires_the_trigger(entry: Path):
    sample = write_jsonl(entry / "monitoring" / "production.jsonl",
                         production_rows(4, [0.92, 0.92, 0.80, 0.75], long_from_week=2))
    rec = compute_drift(load_project(entry), sample, now=NOW)
    assert [w.rows for w in rec.windows] == [200, 200, 200, 200]
    first, *_, last = rec.windows
    assert not first.fired and last.fired and rec.fired
    assert last.agreement.high < rec.baseline.agreement.value
    assert last.agreement_drop > 0.05
    assert last.length_psi > 0.25 and first.length_psi < 0.1 and rec.baseline.length_reference == "first_window"
    assert any("input length moved" in n for n in last.notes)
    assert "below the eval baseline" in rec.reason and rec.production_file == "monitoring/production.jsonl"


def test_a_stable_sample_does_not_fire(entry: Path):
    sample = write_jsonl(entry / "monitoring" / "production.jsonl", production_rows(4, [0.92] * 4))
    rec = compute_drift(load_project(entry), sample, now=NOW)
    assert not rec.fired and all(w.assessable and not w.fired for w in rec.windows)
    assert all(w.notes == [] and w.slice_psi_max < 0.1 for w in rec.windows), [w.notes for w in rec.windows]
    assert "within 0.05" in rec.reason


def test_a_small_drop_inside_the_interval_does_not_fire(entry: Path):
    # 20 spot-checks a week: a drop past the threshold that sampling noise can explain
    sample = write_jsonl(entry / "p.jsonl", production_rows(2, [0.92, 0.84], per_week=60, spot=0.6, seed=3))
    rec = compute_drift(load_project(entry), sample, now=NOW, min_spot_checks=20)
    last = rec.windows[-1]
    assert last.assessable and last.agreement_drop > 0.05 and not last.fired, last
    assert "not yet significant" in rec.reason


def test_too_few_spot_checks_are_not_judged(entry: Path):
    sample = write_jsonl(entry / "p.jsonl", production_rows(2, [0.5, 0.5], per_week=40, spot=0.25))
    rec = compute_drift(load_project(entry), sample, now=NOW)
    assert not rec.fired and not any(w.assessable for w in rec.windows)
    assert "no window has 30 or more spot-checks" in rec.reason


def test_feedback_labels_and_the_accuracy_metric(entry: Path):
    m = yaml.safe_load((entry / "stillhouse.yaml").read_text())
    m["triggers"]["drift"] = {"metric": "accuracy", "max_drop": 0.05}
    (entry / "stillhouse.yaml").write_text(yaml.safe_dump(m, sort_keys=False))
    sample = write_jsonl(entry / "p.jsonl", production_rows(2, [0.85, 0.6], spot=0.0, labels=True))
    rec = compute_drift(load_project(entry), sample, now=NOW)
    assert rec.metric == "accuracy" and rec.windows[0].accuracy is not None and rec.windows[0].agreement is None
    assert not rec.windows[0].fired and rec.windows[1].fired and rec.fired


def test_drift_cli_writes_a_record_the_fleet_reads(entry: Path):
    reg = entry.parent.parent
    write_jsonl(entry / "monitoring" / "production.jsonl", production_rows(4, [0.92, 0.92, 0.78, 0.75]))
    res = run_cli("drift", entry, "--now", "2026-11-28")
    assert res.code == 1, res.output
    assert "TRIGGER FIRED" in res.stdout and "Traceback" not in res.output
    (record,) = (entry / "drift").glob("drift-*.json")
    assert record.name == "drift-20261128T000000Z.json"
    standards.DriftRecord.model_validate_json(record.read_text())
    m = build_fleet(reg, now=NOW, use_cache=False).models[0]
    assert [t.code for t in m.triggers] == ["drift"] and m.drift.fired
    # a stable sample, written into the registry's entry by name
    stable = write_jsonl(entry.parent.parent.parent / "stable.jsonl", production_rows(4, [0.92] * 4))
    res = run_cli("drift", entry, "--production", stable, "--registry", reg, "--now", "2026-11-29",
                  "--format", "json")
    assert res.code == 0, res.output
    assert json.loads(res.stdout)["fired"] is False
    m = build_fleet(reg, now=NOW + dt.timedelta(days=1), use_cache=False).models[0]
    assert m.triggers == [] and m.drift.record_path.endswith("drift-20261129T000000Z.json")


def test_registry_entry_found_by_manifest_name(entry: Path, tmp_path: Path):
    """`--registry` finds the model's entry by its manifest's name when the folder is named otherwise."""
    import shutil

    reg2 = write_registry(tmp_path / "other-registry")
    renamed = reg2 / "models" / "renamed-folder"
    shutil.copytree(entry, renamed)
    write_jsonl(entry / "monitoring" / "production.jsonl", production_rows(4, [0.92] * 4))
    res = run_cli("drift", entry, "--registry", reg2, "--now", "2026-11-28")
    assert res.code == 0, res.output
    assert [p.name for p in (renamed / "drift").glob("drift-*.json")] == ["drift-20261128T000000Z.json"]


def test_parquet_gives_the_same_record(entry: Path):
    pa = pytest.importorskip("pyarrow", reason="Parquet samples need pyarrow (the models extra)")
    import pyarrow.parquet as pq

    rows = production_rows(3, [0.92, 0.9, 0.7])
    a = compute_drift(load_project(entry), write_jsonl(entry / "p.jsonl", rows), now=NOW)
    columns = sorted({k for r in rows for k in r})  # every row with every column (None where absent)
    pq.write_table(pa.Table.from_pylist([{k: r.get(k) for k in columns} for r in rows]), entry / "p.parquet")
    b = compute_drift(load_project(entry), entry / "p.parquet", now=NOW)
    assert a.windows == b.windows and a.fired == b.fired


def test_bad_production_samples_exit_2(entry: Path):
    rows = production_rows(1, [0.9], per_week=5)
    rows[2].pop("timestamp")
    rows[3]["timestamp"] = "last tuesday"
    write_jsonl(entry / "bad.jsonl", rows)
    res = run_cli("drift", entry, "--production", entry / "bad.jsonl")
    assert res.code == 2 and "Traceback" not in res.output
    assert "row 3.timestamp" in res.stderr and "row 4.timestamp" in res.stderr and "last tuesday" in res.stderr
    (entry / "empty.jsonl").write_text("")
    assert run_cli("drift", entry, "--production", entry / "empty.jsonl").code == 2
    (entry / "report" / "report.json").unlink()
    write_jsonl(entry / "ok.jsonl", production_rows(1, [0.9], per_week=5))
    res = run_cli("drift", entry, "--production", entry / "ok.jsonl")
    assert res.code == 2 and "run `stillhouse eval` first" in res.stderr
    assert not (entry / "drift").exists()


def test_malformed_answers_exit_2_rather_than_count_as_disagreements(entry: Path):
    for field, value, words in [("teacher_output", "", "teacher_output: expected one of the manifest's labels"),
                                ("teacher_output", 5, "teacher_output: expected text; found 5"),
                                ("label", {"x": 1}, "label: expected text"),
                                ("output", "refunds", "output: expected one of the manifest's labels"),
                                ("input", 12, "input: expected non-empty text; found 12"),
                                ("input", " ", "input: expected non-empty text")]:
        rows = production_rows(1, [0.9], per_week=5)
        rows[1][field] = value
        write_jsonl(entry / "bad.jsonl", rows)
        res = run_cli("drift", entry, "--production", entry / "bad.jsonl")
        assert res.code == 2 and f"row 2.{words}" in res.stderr, (field, value, res.stderr)
    assert not (entry / "drift").exists()


def test_now_leaves_out_rows_logged_after_it(entry: Path):
    sample = write_jsonl(entry / "monitoring" / "production.jsonl",
                         production_rows(4, [0.92, 0.92, 0.80, 0.75], long_from_week=2))
    as_of = NOW - dt.timedelta(days=14)  # before the drop in weeks 3 and 4
    rec = compute_drift(load_project(entry), sample, now=as_of)
    assert [w.rows for w in rec.windows] == [200, 200] and not rec.fired
    assert "400 row(s) logged after 2026-11-14 00:00 UTC left out" in rec.reason
    assert compute_drift(load_project(entry), sample, now=NOW).fired
    res = run_cli("drift", entry, "--production", sample, "--now", "2020-01-01")
    assert res.code == 2 and "rows logged at or before 2020-01-01" in res.stderr


# --- retire ------------------------------------------------------------------------------------------


def test_retire_edits_only_the_lifecycle(minimal_project: Path):
    before = (minimal_project / "stillhouse.yaml").read_text()
    res = run_cli("retire", minimal_project, "--reason", 'superseded: "v2" <router>', "--replacement",
                  "ticket-router-v2", "--on", "2026-11-28")
    assert res.code == 0, res.output
    after = (minimal_project / "stillhouse.yaml").read_text()
    assert after.splitlines()[:10] == before.splitlines()[:10]  # comments and the rest kept byte for byte
    p = load_project(minimal_project)
    lc = p.manifest.lifecycle
    assert lc.status.value == "retired" and lc.retired_on == dt.date(2026, 11, 28)
    assert lc.retirement_reason == 'superseded: "v2" <router>' and lc.replacement == "ticket-router-v2"
    assert lc.created == dt.date(2026, 11, 1)
    old, new = yaml.safe_load(before), yaml.safe_load(after)
    assert {k: v for k, v in old.items() if k != "lifecycle"} == {k: v for k, v in new.items() if k != "lifecycle"}
    ids = {r.id: r.status for r in __import__("harness").validate(minimal_project).results}
    assert ids["LIFE-002"] == "pass"
    res = run_cli("retire", minimal_project, "--reason", "again")
    assert res.code == 2 and "already retired" in res.stderr
    assert (minimal_project / "stillhouse.yaml").read_text() == after


def test_manifest_edits_keep_every_other_byte_as_the_owner_wrote_it(minimal_project: Path):
    # Indented block sequences and a flow list wrapped over lines: ruamel's re-emitted document
    # would re-indent the one and join the other, so pins and lifecycle go in as splices.
    f = minimal_project / "stillhouse.yaml"
    text = f.read_text().replace("labels: [billing, technical, account, shipping]",
                                 "labels: [billing, technical,\n         account, shipping]")
    assert "\nslices:\n  - name:" in text and "         account, shipping]" in text
    f.write_text(text)
    import io

    from harness.project._edit import _round_trip, set_values

    yaml_rt, out = _round_trip(), io.StringIO()
    yaml_rt.dump(yaml_rt.load(text), out)
    assert out.getvalue() != text  # what a whole re-emitted document would have done
    before = load_project(minimal_project).manifest
    new_pin = "0" * 63 + "1"
    set_values(f, "student", {"sha256": new_pin})
    after = f.read_text()
    changed = [(a, b) for a, b in zip(text.splitlines(), after.splitlines()) if a != b]
    assert len(after.splitlines()) == len(text.splitlines())
    assert [b for _, b in changed] == [f"  sha256: '{new_pin}'"], changed  # all digits: quoted to stay a string
    retire_project(minimal_project, 'superseded: "v2" <router>', on=dt.date(2026, 12, 1))
    retired = f.read_text()
    old_lines, new_lines = after.splitlines(), retired.splitlines()
    added = [line for line in new_lines if line not in old_lines]
    assert added == ["  status: retired", "  retired_on: 2026-12-01",
                     "  retirement_reason: 'superseded: \"v2\" <router>'"], added
    assert [line for line in old_lines if line not in new_lines] == ["  status: in_review"]
    p = load_project(minimal_project)
    assert p.manifest.lifecycle.retirement_reason == 'superseded: "v2" <router>'
    assert p.manifest.student.sha256 == new_pin
    assert p.manifest.labels == before.labels and p.manifest.slices == before.slices
    # A replaced section (record --write-manifest's teacher) takes only the old section's lines.
    from harness.project._edit import replace_section

    teacher = {"kind": "recorded", "path": "data/teacher.jsonl", "sha256": "cd" * 32, "source": "an endpoint, once"}
    replace_section(f, "teacher", teacher)
    recorded = f.read_text()
    start, end = retired.index("\nteacher:\n") + 1, retired.index("\nstudent:\n") + 1
    assert recorded.startswith(retired[:start]) and recorded.endswith(retired[end - 2:])
    assert yaml.safe_load(recorded)["teacher"] == teacher
    assert load_project(minimal_project).manifest.labels == before.labels
    retired = recorded
    # A flow-style mapping is not spliced: ruamel writes it, and the value still changes.
    flow = retired.replace("student:\n  kind: local\n  path: student/\n  sha256: '" + new_pin + "'\n  parameters: 19556",
                           "student: {kind: local, path: student/, sha256: '" + new_pin + "', parameters: 19556}")
    assert flow != retired
    f.write_text(flow)
    set_values(f, "student", {"sha256": "ab" * 32})
    assert load_project(minimal_project).manifest.student.sha256 == "ab" * 32


def test_retire_a_block_style_lifecycle_and_refuse_bad_input(minimal_project: Path):
    f = minimal_project / "stillhouse.yaml"
    f.write_text(f.read_text().replace("lifecycle:\n  status: in_review\n  created: 2026-11-01\n",
                                       "lifecycle:\n  status: in_review   # under review\n  created: 2026-11-01\n"))
    assert "# under review" in f.read_text()
    res = run_cli("retire", minimal_project, "--reason", "   ")
    assert res.code == 2 and f"{f}: lifecycle.retirement_reason" in res.stderr  # names the manifest
    res = run_cli("retire", minimal_project, "--reason", "x", "--replacement", "minimal-ticket-router")
    assert res.code == 2 and "the model itself" in res.stderr
    res = run_cli("retire", minimal_project, "--reason", "x", "--replacement", "Bad Name|<b>")
    assert res.code == 2 and "lifecycle.replacement: expected a model name" in res.stderr
    for day in ("2026-10-31", "2099-01-01"):  # before the model was created; not yet come
        res = run_cli("retire", minimal_project, "--reason", "x", "--on", day)
        assert res.code == 2 and "lifecycle.retired_on: expected a day from the model's creation" in res.stderr
    assert "# under review" in f.read_text()  # nothing was written
    p = retire_project(minimal_project, "no longer needed", on=dt.date(2026, 12, 1))
    assert p.manifest.lifecycle.status.value == "retired" and p.manifest.lifecycle.replacement is None
    text = f.read_text()
    assert "lifecycle:\n  status: \"retired\"" in text or "lifecycle:\n  status: retired" in text
    assert "approvals: []" in text


def test_retire_refuses_an_invalid_manifest_and_leaves_it(minimal_project: Path):
    f = minimal_project / "stillhouse.yaml"
    f.write_text(f.read_text().replace("task: classification", "task: poetry"))
    before = f.read_text()
    res = run_cli("retire", minimal_project, "--reason", "gone")
    assert res.code == 2 and "task" in res.stderr
    assert f.read_text() == before
