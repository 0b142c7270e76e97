"""The fleet report: every trigger and orphan rule on a fixed clock, lifecycle, problems,
rollout figures, escaping, the CLI's exit codes, and the demo registry."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

import standards
from harness import build_fleet, fleet_markdown

from ._fleet_fixtures import BASE, NOW, manifest, report, write_entry, write_registry
from .conftest import EXAMPLES, run_cli

DAY = dt.timedelta(days=1)


def one(reg: Path, name: str, now: dt.datetime = NOW):
    rep = build_fleet(reg, now=now, use_cache=False)
    by = {m.name: m for m in rep.models}
    return by[name], rep


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    return write_registry(tmp_path / "registry")


def test_a_healthy_model_needs_nothing(reg: Path):
    data = manifest("healthy")
    write_entry(reg, data, report(data, NOW - 10 * DAY))
    m, rep = one(reg, "healthy")
    assert m.evaluation_current and m.verdict == "pass" and not m.orphaned
    assert m.triggers == [] and m.lifecycle_problems == [] and not m.needs_action
    assert m.report_age_days == pytest.approx(10.0)
    assert m.report_path == "models/healthy/report/report.json"
    assert [s.name for s in m.slices] == ["all", "short", "email", "typos"]
    assert rep.rollout.share_current_passing_owned == 1.0 and rep.problems == []


def test_teacher_moved_fires_with_evidence_and_respects_the_switch(reg: Path):
    data = manifest("moved")
    write_entry(reg, data, report(data, NOW - 5 * DAY))
    (reg / "teachers.yaml").write_text(yaml.safe_dump({"teachers": [
        {"family": "router-teacher", "pin": "sha256:" + "b" * 64, "since": "2026-11-20"}]}))
    m, rep = one(reg, "moved")
    (t,) = m.triggers
    assert t.code == "teacher_moved"
    assert t.evidence["current_pin"] == "sha256:" + "b" * 64
    assert t.evidence["manifest_pin"] == m.teacher_pin and t.evidence["since"] == "2026-11-20"
    assert m.needs_action and rep.rollout.open_triggers["teacher_moved"] == 1
    off = manifest("moved", **{"triggers.teacher_change": False})
    write_entry(reg, off, report(off, NOW - 5 * DAY))
    m, _ = one(reg, "moved")
    assert m.triggers == [] and any("teacher_change is off" in n for n in m.notes)


def test_unknown_teacher_family_is_a_note_not_a_trigger(reg: Path):
    data = manifest("nofam", **{"teacher.family": "someone-else"})
    write_entry(reg, data, report(data, NOW - 5 * DAY))
    m, _ = one(reg, "nofam")
    assert m.triggers == [] and any("not in teachers.yaml" in n for n in m.notes)


def test_cadence_elapsed_on_a_fixed_clock(reg: Path):
    data = manifest("cadence")
    write_entry(reg, data, report(data, NOW - 90 * DAY + dt.timedelta(hours=1)))
    m, _ = one(reg, "cadence")
    assert m.triggers == [] and m.evaluation_current  # 89.96 days: not yet
    m, _ = one(reg, "cadence", now=NOW + 2 * DAY)
    (t,) = m.triggers
    assert t.code == "cadence_elapsed" and t.evidence["cadence_days"] == 90 and t.evidence["since"] == "last report"
    assert not m.evaluation_current and "cadence is 90 days" in " ".join(m.not_current_reasons)
    assert any("production needs a current" in p for p in m.lifecycle_problems)


def test_cadence_runs_from_creation_for_a_model_never_evaluated(reg: Path):
    write_entry(reg, manifest("never", **{"lifecycle.status": "in_review", "lifecycle.created": dt.date(2026, 8, 1)}))
    write_entry(reg, manifest("lab", **{"lifecycle.status": "experimental", "lifecycle.created": dt.date(2026, 8, 1)}))
    m, _ = one(reg, "never")
    assert [t.code for t in m.triggers] == ["cadence_elapsed"] and m.triggers[0].evidence["since"] == "creation"
    lab, _ = one(reg, "lab")
    assert lab.triggers == [] and not lab.needs_action and lab.verdict == "none"


def test_standards_outdated_for_an_old_manifest_and_an_old_report(reg: Path):
    old = manifest("old", standards_version="1.0", description=None, distillation=None)
    old["monitoring"] = {"sample_path": "monitoring/production.jsonl", "spot_check_share": 0.05}
    write_entry(reg, old, report(old, NOW - 5 * DAY))
    m, _ = one(reg, "old")
    (t,) = m.triggers
    assert t.code == "standards_outdated" and t.evidence["manifest_version"] == "1.0"
    data = manifest("oldreport")
    write_entry(reg, data, report(data, NOW - 5 * DAY, standards_version="1.0"))
    m, _ = one(reg, "oldreport")
    assert [t.code for t in m.triggers] == ["standards_outdated"]
    # a minor version changes no verdict: the receipt still binds the report to the manifest,
    # and the trigger asks to move on
    assert m.evaluation_current


def _drift_record(data: dict, fired: bool, student_pin: str | None = None) -> dict:
    m = standards.parse_manifest(data)
    est = {"value": 0.8, "low": 0.75, "high": 0.84, "method": "wilson 95%"}
    return {
        "project": data["name"], "computed_at": NOW.isoformat(), "production_file": "p.jsonl",
        "production_sha256": "0" * 64, "window_days": 7, "metric": "agreement", "max_drop": 0.05,
        "min_spot_checks": 30,
        "baseline": {"student_pin": student_pin or standards.model_pin(m.student), "length_reference": "first_window",
                     "agreement": {"value": 0.9, "low": 0.86, "high": 0.93}},
        "windows": [{"start": (NOW - 7 * DAY).isoformat(), "end": NOW.isoformat(), "rows": 100, "spot_checks": 50,
                     "agreement": est, "agreement_drop": 0.1, "assessable": True, "fired": fired}],
        "fired": fired, "reason": "agreement 0.800 is 0.100 below the eval baseline" if fired else "within",
    }


def test_drift_trigger_reads_the_latest_record_for_this_student(reg: Path):
    data = manifest("drifty")
    d = write_entry(reg, data, report(data, NOW - 5 * DAY))
    (d / "drift").mkdir()
    (d / "drift" / "drift-20261101T000000Z.json").write_text(json.dumps(_drift_record(data, False)))
    m, _ = one(reg, "drifty")
    assert m.triggers == [] and m.drift is not None and not m.drift.fired
    (d / "drift" / "drift-20261127T000000Z.json").write_text(json.dumps(_drift_record(data, True)))
    m, _ = one(reg, "drifty")
    (t,) = m.triggers
    assert t.code == "drift" and t.evidence["drop"] == pytest.approx(0.1) and t.evidence["max_drop"] == 0.05
    assert m.drift.record_path == "models/drifty/drift/drift-20261127T000000Z.json"
    # a record about an earlier student no longer applies
    (d / "drift" / "drift-20261128T000000Z.json").write_text(
        json.dumps(_drift_record(data, True, student_pin="sha256:" + "c" * 64)))
    m, _ = one(reg, "drifty")
    assert m.triggers == [] and any("earlier student" in n for n in m.notes)


@pytest.mark.parametrize("owner,backup,people,orphaned,why", [
    ("ada", "grace", [("ada", True)], False, None),
    ("<FILL-IN: owner>", None, [("ada", True)], True, "no owner; no backup"),
    ("zed", None, [("ada", True)], True, "owner zed is not in people.yaml; no backup"),
    ("ada", None, [("ada", False)], True, "owner ada is departed; no backup"),
    ("ada", "grace", [("ada", False), ("grace", True)], False, None),
    ("ada", "grace", [("ada", False), ("grace", False)], True, "owner ada is departed; backup grace is departed"),
    ("ada", "bob", [("ada", False)], True, "owner ada is departed; backup bob is not in people.yaml"),
])
def test_orphan_rules(tmp_path: Path, owner, backup, people, orphaned, why):
    reg = write_registry(tmp_path / "r", people=people)
    data = manifest("m", **{"owner.handle": owner, "owner.backup": backup})
    write_entry(reg, data, report(data, NOW - DAY))
    m, rep = one(reg, "m")
    assert m.orphaned is orphaned and m.orphan_reason == why
    assert rep.rollout.orphaned == int(orphaned)
    if orphaned:
        assert m.needs_action and any("active owner" in a for a in m.actions)
    if owner == "ada" and backup == "grace" and people == [("ada", False), ("grace", True)]:
        assert any("backup grace covers" in n for n in m.notes)
        assert rep.rollout.current_passing_owned == 0  # covered, but the named owner is not active


def test_retired_models_are_neither_orphaned_nor_triggered(tmp_path: Path):
    reg = write_registry(tmp_path / "r", teachers={"router-teacher": "sha256:" + "e" * 64}, people=[])
    data = manifest("gone", **{"lifecycle.status": "retired", "lifecycle.retired_on": dt.date(2026, 10, 1),
                               "lifecycle.retirement_reason": "replaced"})
    write_entry(reg, data, report(data, NOW - 400 * DAY))
    m, rep = one(reg, "gone")
    assert not m.orphaned and m.triggers == [] and not m.needs_action
    assert rep.rollout.active_models == 0 and rep.rollout.models == 1


def test_lifecycle_rules(reg: Path):
    unapproved = manifest("unapproved", approvals=[])
    write_entry(reg, unapproved, report(unapproved, NOW - DAY))
    failing = manifest("failing")
    write_entry(reg, failing, report(failing, NOW - DAY, verdict="fail"))
    dep = manifest("dep", **{"lifecycle.status": "deprecated"})
    write_entry(reg, dep, report(dep, NOW - DAY))
    late = manifest("late", **{"lifecycle.status": "deprecated", "lifecycle.end_date": dt.date(2026, 11, 1)})
    write_entry(reg, late, report(late, NOW - DAY))
    noreason = manifest("noreason", **{"lifecycle.status": "retired"})
    write_entry(reg, noreason)
    rep = build_fleet(reg, now=NOW, use_cache=False)
    by = {m.name: m for m in rep.models}
    assert any(p.startswith("LIFE-001") for p in by["unapproved"].lifecycle_problems)
    assert any("gate verdict is fail" in p for p in by["failing"].lifecycle_problems)
    assert any("replacement or lifecycle.end_date" in p for p in by["dep"].lifecycle_problems)
    assert any("has passed" in p for p in by["late"].lifecycle_problems)
    assert any("retirement_reason" in p for p in by["noreason"].lifecycle_problems)
    assert all(m.needs_action for m in by.values())


def test_malformed_entries_are_problems_that_hide_nothing(reg: Path):
    good = manifest("good")
    write_entry(reg, good, report(good, NOW - DAY))
    bad = reg / "models" / "broken"
    bad.mkdir()
    (bad / "stillhouse.yaml").write_text("name: broken\nowner: [unclosed\n")
    invalid = write_entry(reg, manifest("invalid"))
    (invalid / "stillhouse.yaml").write_text(
        (invalid / "stillhouse.yaml").read_text().replace("task: classification", "task: poetry"))
    other = manifest("other")
    write_entry(reg, other, report(manifest("someone-else"), NOW - DAY))
    garbled = manifest("garbled")
    d = write_entry(reg, garbled)
    (d / "report").mkdir()
    (d / "report" / "report.json").write_text('{"project": "garbled"')
    (reg / "models" / "empty").mkdir()
    ptr = reg / "models" / "pointer"
    ptr.mkdir()
    (ptr / "entry.yaml").write_text("project: ../../../nowhere\n")
    write_entry(reg, manifest("good"), entry="good-again")
    rep = build_fleet(reg, now=NOW, use_cache=False)
    names = {m.name for m in rep.models}
    assert {"good", "other", "garbled"} <= names and "broken" not in names and "invalid" not in names
    by_entry: dict[str, list[str]] = {}
    for p in rep.problems:
        by_entry.setdefault(p.entry, []).append(f"{p.file} {p.field} {p.message}")
    assert set(by_entry) == {"broken", "invalid", "other", "garbled", "empty", "pointer", "good-again"}
    assert "stillhouse.yaml:3" in by_entry["broken"][0] and "valid YAML" in by_entry["broken"][0]  # with the line
    assert any("task" in t and "classification" in t for t in by_entry["invalid"])
    assert "for model 'someone-else'" in by_entry["other"][0]
    assert "not an eval report" in by_entry["garbled"][0]
    assert "does not exist" in by_entry["pointer"][0]
    assert "already registered" in by_entry["good-again"][0]
    by = {m.name: m for m in rep.models}
    assert by["good"].evaluation_current and not by["good"].needs_action
    assert by["other"].verdict == "none" and not by["other"].evaluation_current


def test_worker_processes_give_the_same_report(reg: Path, monkeypatch: pytest.MonkeyPatch):
    """Big fleets are scanned in forked workers; the report must not depend on it."""
    from harness.fleet import _registry

    for i in range(12):
        data = manifest(f"m{i:02d}", **({"owner.handle": "zed"} if i % 4 == 0 else {}))
        write_entry(reg, data, report(data, NOW - (i * 10 + 1) * DAY, verdict="fail" if i % 3 == 0 else "pass"))
    (reg / "models" / "broken").mkdir()
    (reg / "models" / "broken" / "stillhouse.yaml").write_text("name: [\n")
    write_entry(reg, manifest("m03"), entry="dup")
    monkeypatch.setattr(_registry, "PARALLEL_MIN", 10**9)
    serial = build_fleet(reg, now=NOW, use_cache=False).model_dump_json()
    monkeypatch.setattr(_registry, "PARALLEL_MIN", 1)
    assert build_fleet(reg, now=NOW).model_dump_json() == serial  # cold: the workers summarise
    assert build_fleet(reg, now=NOW).model_dump_json() == serial  # warm: every summary from the cache


def test_the_fleet_report_validates_and_round_trips(tmp_path: Path):
    """What `build_fleet` returns is a `FleetReport` its own schema accepts, and reading its
    JSON back gives the same JSON."""
    reg = tmp_path / "demo"
    shutil.copytree(DEMO, reg, ignore=shutil.ignore_patterns(".stillhouse", "fleet.*"))
    rep = build_fleet(reg, use_cache=False)
    assert rep.models and any(m.triggers for m in rep.models) and any(m.drift for m in rep.models)
    text = rep.model_dump_json()
    assert standards.FleetReport.model_validate_json(text).model_dump_json() == text


def test_an_unwritable_output_is_exit_2_without_a_traceback(tmp_path: Path):
    """fleet.json is written by a background process; its failure still reaches the exit code."""
    reg = write_registry(tmp_path / "r")
    data = manifest("fine")
    write_entry(reg, data, report(data, NOW - DAY))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for fmt in ("text", "json"):
        res = run_cli("fleet", reg, "--now", "2026-11-28", "--out", blocker / "out", "--format", fmt)
        assert res.code == 2 and "cannot write fleet.json" in res.output and "Traceback" not in res.output, res.output


def test_a_long_handle_is_clipped_in_the_table_and_whole_in_fleet_md(tmp_path: Path):
    """A 300-character handle folded into 20 lines of the terminal table and squeezed every
    other column; the table ends it in "…", fleet.md keeps it whole."""
    reg = write_registry(tmp_path / "r")
    data = manifest("long-owner")
    data["owner"]["handle"] = "h" * 300
    write_entry(reg, data, report(data, NOW - DAY))
    res = run_cli("fleet", reg, "--now", "2026-11-28", "--out", tmp_path / "out")
    assert res.code == 0, res.output
    row = [line for line in res.stdout.splitlines() if "long-owner" in line]
    assert len(row) == 1 and "h" * 23 + "…" in row[0] and "h" * 25 not in res.stdout, res.stdout
    assert "h" * 300 in (tmp_path / "out" / "fleet.md").read_text(encoding="utf-8")


def test_missing_people_and_teachers_files_are_problems(tmp_path: Path):
    reg = tmp_path / "r"
    (reg / "models").mkdir(parents=True)
    data = manifest("m")
    write_entry(reg, data, report(data, NOW - DAY))
    rep = build_fleet(reg, now=NOW, use_cache=False)
    assert {p.entry for p in rep.problems} == {"people.yaml", "teachers.yaml"}
    assert rep.models[0].orphaned
    (reg / "people.yaml").write_text("people: [{handle: ada, actve: true}]\n")
    rep = build_fleet(reg, now=NOW, use_cache=False)
    assert any(p.entry == "people.yaml" and "actve" in (p.field or "") for p in rep.problems)


def test_pointer_entries_read_the_project_folder(tmp_path: Path):
    reg = write_registry(tmp_path / "r")
    proj = tmp_path / "projects" / "router"
    shutil.copytree(EXAMPLES / "minimal", proj, ignore=shutil.ignore_patterns("report", "__pycache__"))
    data = yaml.safe_load((proj / "stillhouse.yaml").read_text())
    (proj / "report").mkdir()
    (proj / "report" / "report.json").write_text(json.dumps(report(data, NOW - DAY)))
    (reg / "models" / "router").mkdir()
    (reg / "models" / "router" / "entry.yaml").write_text("project: ../../../projects/router\n")
    (m,) = build_fleet(reg, now=NOW, use_cache=False).models
    assert m.name == "minimal-ticket-router" and m.evaluation_current and m.report_path.endswith("report.json")


def test_rollout_figures(reg: Path):
    a = manifest("a", **{"lifecycle.created": dt.date(2026, 6, 1)})
    write_entry(reg, a, report(a, NOW - DAY), archived=[report(a, dt.datetime(2026, 6, 11, tzinfo=dt.timezone.utc)),
                                                       report(a, dt.datetime(2026, 6, 5, tzinfo=dt.timezone.utc),
                                                              verdict="fail")])
    b = manifest("b", **{"lifecycle.created": dt.date(2026, 6, 1), "owner.handle": "nobody"})
    write_entry(reg, b, report(b, dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc)))
    c = manifest("c", **{"lifecycle.status": "experimental"})
    write_entry(reg, c)
    rep = build_fleet(reg, now=NOW, use_cache=False)
    r = rep.rollout
    by = {m.name: m for m in rep.models}
    assert by["a"].first_pass == dt.date(2026, 6, 11) and by["a"].days_to_first_pass == 10
    assert by["b"].days_to_first_pass == 30
    assert r.median_days_to_first_pass == 20 and r.models_with_first_pass == 2
    assert r.models == 3 and r.active_models == 3 and r.current_passing_owned == 1
    assert r.share_current_passing_owned == pytest.approx(1 / 3, abs=1e-4)
    assert r.by_status == {"experimental": 1, "production": 2}
    assert set(r.open_triggers) == set(standards.TRIGGER_CODES)
    assert r.open_triggers["cadence_elapsed"] == 1  # b's report is 150 days old


def test_fleet_markdown_escapes_manifest_strings(reg: Path):
    evil = manifest("evil", description="<script>alert(1)</script> [click](javascript:x) | col",
                    **{"owner.handle": "<img src=x onerror=alert(1)>", "owner.team": "<b>t</b>"})
    write_entry(reg, evil, report(evil, NOW - 200 * DAY))
    (reg / "registry.yaml").write_text('name: "<script>x</script>"\n')
    rep = build_fleet(reg, now=NOW, use_cache=False)
    md = fleet_markdown(rep)
    assert "<script>" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script&gt;" in md and "&lt;img src=x onerror=alert\\(1\\)&gt;" in md
    assert "\\[click\\]\\(javascript:x\\) \\| col" in md
    table = [line for line in md.splitlines() if line.startswith("| ") and "evil" in line]
    assert table and all(line.count(" | ") == 8 for line in table)  # no cell broke the table


def test_no_string_leaves_its_code_span_or_starts_a_block(tmp_path: Path):
    """An action quotes a reviewer between backticks and the header quotes the registry's
    path: a line break in either used to end the paragraph before the code span closed, and
    the HTML after it was live. A description under a model's heading could open a code
    fence that swallowed the rest of fleet.md on GitHub."""
    import markdown
    from markdown_it import MarkdownIt

    reg = write_registry(tmp_path / "reg`\n\n<img src=x onerror=alert(2)>\n\n`")
    evil = manifest("evil", description="~~~ fenced",
                    approvals=[{"reviewer": "ml`\n\n<img src=x onerror=alert(1)>\n\n`", "date": dt.date(2026, 7, 1),
                                "checklist_version": "0.9"}])
    write_entry(reg, evil, report(evil, NOW - DAY))
    later = manifest("later", **{"owner.handle": "nobody"})  # orphaned: a section of its own
    write_entry(reg, later, report(later, NOW - DAY))
    md = fleet_markdown(build_fleet(reg, now=NOW, use_cache=False))
    assert "LIFE-001" in md  # the reviewer's approval is quoted in the action
    for page in (markdown.markdown(md, extensions=["tables", "attr_list", "admonition"]),
                 MarkdownIt("commonmark").enable("table").render(md)):
        assert "<img" not in page and "<pre" not in page
        assert page.count("<h3") == 2  # both models' sections, none swallowed


def test_cache_follows_file_contents(reg: Path):
    data = manifest("cached")
    d = write_entry(reg, data, report(data, NOW - DAY))
    assert build_fleet(reg, now=NOW).models[0].verdict == "pass"
    assert (reg / ".stillhouse" / "fleet-cache").is_file()
    (d / "report" / "report.json").write_text(json.dumps(report(data, NOW - DAY, verdict="fail")))
    assert build_fleet(reg, now=NOW).models[0].verdict == "fail"
    (d / "stillhouse.yaml").write_text((d / "stillhouse.yaml").read_text().replace("handle: ada", "handle: zed").replace("backup: grace", "backup: yan"))
    m = build_fleet(reg, now=NOW).models[0]
    assert m.owner == "zed" and m.orphaned
    assert build_fleet(reg, now=NOW).model_dump() == build_fleet(reg, now=NOW, use_cache=False).model_dump()


# --- the command line ------------------------------------------------------------------------


def test_check_exit_codes_and_outputs(tmp_path: Path):
    reg = write_registry(tmp_path / "r")
    data = manifest("fine")
    write_entry(reg, data, report(data, NOW - DAY))
    out = tmp_path / "out"
    res = run_cli("fleet", reg, "--check", "--now", "2026-11-28", "--out", out)
    assert res.code == 0, res.output
    assert "fine" in res.stdout and "Traceback" not in res.output
    standards.FleetReport.model_validate_json((out / "fleet.json").read_text())
    assert (out / "fleet.md").read_text().startswith("# Fleet report")
    stale = manifest("stale")
    write_entry(reg, stale, report(stale, NOW - 100 * DAY))
    res = run_cli("fleet", reg, "--check", "--now", "2026-11-28", "--out", out, "--format", "json")
    assert res.code == 1
    doc = json.loads(res.stdout)
    assert [t["code"] for m in doc["models"] if m["name"] == "stale" for t in m["triggers"]] == ["cadence_elapsed"]
    assert run_cli("fleet", reg, "--now", "2026-11-28", "--out", out).code == 0  # without --check: a report only
    res = run_cli("fleet", tmp_path / "nope", "--check")
    assert res.code == 2 and "registry folder" in res.stderr and "Traceback" not in res.output
    res = run_cli("fleet", reg, "--now", "yesterday")
    assert res.code == 2 and "2026-11-28" in res.output


def test_a_broken_entry_fails_the_check(tmp_path: Path):
    reg = write_registry(tmp_path / "r")
    data = manifest("fine")
    write_entry(reg, data, report(data, NOW - DAY))
    (reg / "models" / "junk").mkdir()
    (reg / "models" / "junk" / "stillhouse.yaml").write_text("- not a manifest\n")
    res = run_cli("fleet", reg, "--check", "--now", "2026-11-28", "--out", tmp_path / "o")
    assert res.code == 1 and "junk" in res.stdout and "fine" in res.stdout


# --- the demo registry -----------------------------------------------------------------------------


DEMO = EXAMPLES / "demo-fleet"


def test_demo_reports_are_eval_reports():
    reports = list(DEMO.glob("models/*/report/report.json")) + list(DEMO.glob("models/*/reports/*.json"))
    assert len(reports) >= 8
    for p in reports:
        standards.EvalReport.model_validate_json(p.read_text())
    for p in DEMO.glob("models/*/drift/*.json"):
        standards.DriftRecord.model_validate_json(p.read_text())


def test_demo_fleet_shows_every_state_on_any_day(tmp_path: Path):
    reg = tmp_path / "demo"
    shutil.copytree(DEMO, reg, ignore=shutil.ignore_patterns(".stillhouse", "fleet.*"))
    rep = build_fleet(reg, use_cache=False)  # no clock given: the registry's as_of
    assert rep.clock == "as_of" and rep.generated_at == dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc)
    assert rep.problems == [] and len(rep.models) >= 7
    by = {m.name: m for m in rep.models}
    healthy = [m for m in rep.models if m.status == "production" and not m.needs_action]
    assert healthy and healthy[0].drift is not None and not healthy[0].drift.fired
    codes = {t.code for m in rep.models for t in m.triggers}
    assert codes == set(standards.TRIGGER_CODES)
    drifted = next(m for m in rep.models if any(t.code == "drift" for t in m.triggers))
    assert (reg / drifted.drift.record_path).is_file()
    assert any(m.orphaned for m in rep.models)
    assert any(m.status == "retired" for m in rep.models)
    assert any(m.verdict == "fail" for m in rep.models)
    assert by["sentiment-v1"].status == "retired" and not by["sentiment-v1"].needs_action
    res = run_cli("fleet", reg, "--check")
    assert res.code == 1 and "faq-answer-ranker" in res.stdout
    assert (reg / "fleet.json").is_file() and (reg / "fleet.md").is_file()
    # a short table shows the worst first, in fleet.md's order: the failing gate, then the orphan
    rows = [ln.split("│")[1].strip() for ln in run_cli("fleet", reg, "--rows", "2").stdout.splitlines()
            if ln.startswith("│")]
    worst = [m.name for m in sorted(rep.models, key=lambda m: (m.verdict != "fail", not m.orphaned, m.name))]
    assert rows == worst[:2] and by[rows[0]].verdict == "fail" and by[rows[1]].orphaned
    md = (reg / "fleet.md").read_text()
    actions = [ln for ln in md.splitlines() if ln.startswith("- action:")]
    assert actions and not any("\\`" in a for a in actions)  # commands are code spans, not escaped backticks


def test_the_fleet_watch_workflow_runs_a_real_command_and_keeps_the_cache(tmp_path: Path):
    """The registry's scheduled workflow: its command works on the demo registry, and it
    restores and saves exactly the file the fleet uses as its cache, even when the check fails."""
    from harness.fleet._registry import CACHE_FILE

    wf = yaml.safe_load((DEMO / ".github" / "workflows" / "fleet-watch.yml").read_text())
    steps = wf["jobs"]["watch"]["steps"]
    cache_steps = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache/")]
    assert [s["uses"].split("@")[0] for s in cache_steps] == ["actions/cache/restore", "actions/cache/save"]
    assert all(s["with"]["path"] == CACHE_FILE.as_posix() for s in cache_steps)
    assert cache_steps[1].get("if") == "always()"  # a failed check still keeps the warm cache
    (command,) = [s["run"] for s in steps if str(s.get("run", "")).startswith("stillhouse fleet")]
    reg = tmp_path / "registry"
    shutil.copytree(DEMO, reg, ignore=shutil.ignore_patterns(".stillhouse", "fleet.*"))
    res = run_cli(*command.split()[1:], cwd=reg)
    assert res.code == 1 and "need action" in res.stdout, res.output  # the demo fleet has work to do
    assert (reg / CACHE_FILE).is_file() and (reg / "fleet.md").is_file()


def test_the_command_writes_its_cache_only_when_it_changed(tmp_path: Path):
    """The command saves the summary cache (sealed: the first line is its HMAC) while it assesses the
    models: a cold run writes it, a warm run with nothing new leaves the file alone and gives
    the same fleet.json, and a changed manifest rewrites it."""
    from harness.fleet._registry import CACHE_FILE

    reg = tmp_path / "registry"
    shutil.copytree(DEMO, reg, ignore=shutil.ignore_patterns(".stillhouse", "fleet.*"))
    assert run_cli("fleet", reg).code == 0
    cache, first = reg / CACHE_FILE, (reg / "fleet.json").read_bytes()
    written = (cache.read_bytes(), cache.stat().st_mtime_ns)
    seal, header, *entries = written[0].rstrip(b"\n").split(b"\n")  # a line per entry after the seal and header
    assert "stamp" in json.loads(header) and len(entries) >= 16  # every manifest and report of the demo
    assert all(json.loads(e.partition(b"\t")[2]) for e in entries)
    assert run_cli("fleet", reg).code == 0
    assert (cache.read_bytes(), cache.stat().st_mtime_ns) == written and (reg / "fleet.json").read_bytes() == first
    m = reg / "models" / "ticket-router" / "stillhouse.yaml"
    m.write_text(m.read_text().replace("Routes support tickets", "Routes every support ticket"))
    assert run_cli("fleet", reg).code == 0
    assert cache.read_bytes() != written[0]
    assert b"Routes every support ticket" in (reg / "fleet.json").read_bytes()


def test_the_fleet_command_in_process_changes_no_process_wide_state(tmp_path: Path):
    """A caller running the command in its own process (argv given) finds the garbage
    collector as it left it and `sys.path` unchanged."""
    import sys

    import gc

    from harness.cli import main

    reg = tmp_path / "registry"
    shutil.copytree(DEMO, reg, ignore=shutil.ignore_patterns(".stillhouse", "fleet.*"))
    assert gc.isenabled()
    path_before = list(sys.path)
    with pytest.raises(SystemExit) as exc:
        main(["fleet", str(reg), "--out", str(tmp_path / "out")])
    assert exc.value.code == 0 and gc.isenabled() and sys.path == path_before
    assert (tmp_path / "out" / "fleet.json").is_file()


def test_a_sealed_cache_entry_that_does_not_decode_is_summarised_again(tmp_path: Path):
    """The seal says who wrote the cache, not that every line decodes: an entry that does
    not make a summary is dropped and its file read again, and the fleet is unchanged."""
    import hashlib
    import hmac

    from harness.fleet._registry import CACHE_FILE

    reg = tmp_path / "registry"
    shutil.copytree(DEMO, reg, ignore=shutil.ignore_patterns(".stillhouse", "fleet.*"))
    first = build_fleet(reg).model_dump_json()
    cache = reg / CACHE_FILE
    _, _, body = cache.read_bytes().partition(b"\n")
    header, *lines = body.rstrip(b"\n").split(b"\n")
    broken = [line.partition(b"\t")[0] + b'\t{"name": 1}' if line.startswith(b"manifest:") else line for line in lines]
    assert broken != lines
    body = b"\n".join([header, *broken]) + b"\n"
    cache.write_bytes(hmac.new(b"stillhouse-fleet-cache", body, hashlib.sha256).hexdigest().encode() + b"\n" + body)
    (reg / ".stillhouse" / "fleet-cache.json").write_text("{}")  # where an older harness kept it
    assert build_fleet(reg).model_dump_json() == first
    assert b'{"name": 1}' not in cache.read_bytes()  # the manifests' summaries were written again
    assert not (reg / ".stillhouse" / "fleet-cache.json").exists()  # the older cache is gone with the save
