"""`stillhouse publish`: register a project in a fleet registry, the one way in.

    models/<name>/stillhouse.yaml     the manifest, byte for byte
    models/<name>/report/             the latest report (report.json, .md, .html)
    models/<name>/drift/              the project's drift records
    models/<name>/published.json      when, from which commit, and each file's sha256

The report must be current for the manifest (its receipt re-checked, as every reader
does) unless `--allow-stale`; a report that contradicts its own figures is never
published. The entry is assembled beside the registry's `models/` folder and swapped in
whole, so the fleet sees the old entry or the new one, never half of each. A registry that
does not exist yet is created, with `teachers.yaml` and `people.yaml` seeded from the
manifest so that `stillhouse fleet --check` can judge the model at once.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


import standards
from standards import EvalReport
from standards.checks import files_changed
from standards.receipts import recheck, signing_key

from .._errors import InputError, ManifestError, Problem, StandardFailed
from .._io import atomic_write_text
from ..project import MANIFEST_NAMES, Project, load_project
from ._registry import A_REGISTRY, MODELS_DIR, may_become_registry, not_a_registry

PUBLICATION_FILE = "published.json"
REPORT_FILES = ("report.json", "report.md", "report.html")


@dataclass
class PublishResult:
    """What `publish` did."""

    entry: Path
    created_registry: bool
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    commit: str | None = None
    stale: list[str] = field(default_factory=list)


def _git(project_dir: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(project_dir), *args], capture_output=True, text=True, timeout=20,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _commit(project_dir: Path) -> tuple[str | None, bool | None]:
    """The project's git commit and whether its tree has uncommitted changes (None outside git)."""
    head = _git(project_dir, "rev-parse", "HEAD")
    if head is None:
        return None, None
    status = _git(project_dir, "status", "--porcelain", "--", ".")
    return head, bool(status)


def _read_report(project: Project) -> EvalReport:
    path = project.dir / standards.REPORT_DIR / "report.json"
    if not path.is_file():
        raise StandardFailed(f"{path}: there is no report to publish: run `stillhouse eval {project.dir.name}` first")
    return load_checked_report(path)


def load_checked_report(path: Path) -> EvalReport:
    """A `report.json` validated against its schema; `ManifestError` (exit 2) names the field."""
    from pydantic import ValidationError

    try:
        raw = path.read_bytes()
        return EvalReport.model_validate_json(raw)
    except OSError as exc:
        raise ManifestError([Problem(str(path), "", "a readable report", exc.strerror or str(exc))]) from None
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(document)"
        raise ManifestError([Problem(str(path), loc, f"an eval report ({err['msg']})",
                                     repr(err.get("input"))[:80] if err["type"] != "missing" else "nothing",
                                     hint=f"{len(exc.errors())} problem(s) in all; run `stillhouse eval` again")]) from None


def _people_and_teachers(registry: Path, project: Project) -> list[str]:
    """Seed a new registry's `teachers.yaml` and `people.yaml` from the manifest."""
    m = project.manifest
    written = []
    if not (registry / "teachers.yaml").exists():
        fam = m.teacher.family
        body = {"teachers": [{"family": fam, "pin": m.teacher.pin(), "since": dt.date.today().isoformat()}]} if fam \
            else {"teachers": []}
        atomic_write_text(registry / "teachers.yaml", "# The current pin of each teacher family.\n"
                          + json.dumps(body, indent=2) + "\n")
        written.append("teachers.yaml")
    if not (registry / "people.yaml").exists():
        people = [{"handle": h, "team": m.owner.team, "active": True}
                  for h in dict.fromkeys(x for x in (m.owner.handle, m.owner.backup) if x)]
        atomic_write_text(registry / "people.yaml", "# Owners and teams, active or departed.\n"
                          + json.dumps({"people": people}, indent=2) + "\n")
        written.append("people.yaml")
    return written


def _registry_warnings(registry: Path, project: Project) -> list[str]:
    """What the fleet will say about this model once it is registered, said now."""
    from .._yaml import read_yaml_file

    m = project.manifest
    out = []
    try:
        people = standards.People.model_validate(read_yaml_file(registry / "people.yaml")[0])
        known = {p.handle: p for p in people.people}
        for role, handle in (("owner", m.owner.handle), ("backup", m.owner.backup)):
            if handle and (handle not in known or not known[handle].active):
                out.append(f"{role} {handle} is not an active person in the registry's people.yaml: "
                           "ask the registry's keepers to add them, or the fleet may count the model as orphaned")
    except (ManifestError, ValueError):
        out.append("the registry's people.yaml is missing or unreadable")
    try:
        teachers = standards.Teachers.model_validate(read_yaml_file(registry / "teachers.yaml")[0])
        current = {t.family: t.pin for t in teachers.teachers}
        fam = m.teacher.family
        if fam and fam not in current:
            out.append(f"teacher family {fam} is not in the registry's teachers.yaml: a moved teacher cannot be noticed")
        elif fam and current[fam] != m.teacher.pin():
            out.append(f"teachers.yaml says {fam} is now {current[fam]}, not {m.teacher.pin()}: "
                       "the fleet will ask for a redistillation")
    except (ManifestError, ValueError):
        out.append("the registry's teachers.yaml is missing or unreadable")
    return out


def _changes(old: Path, new: dict[str, bytes], project: Project, report: EvalReport) -> list[str]:
    """What differs from the copy already registered, one line each."""
    if not old.is_dir():
        return ["a new entry"]
    out = []
    old_manifest = next((old / n for n in MANIFEST_NAMES if (old / n).is_file()), None)
    if old_manifest is None:
        out.append("the manifest is new to this entry")
    elif old_manifest.read_bytes() != new[MANIFEST_NAMES[0]]:
        try:
            before = load_project(old_manifest).manifest
            after = project.manifest
            for key in ("teacher", "student", "eval_set", "quality_bars", "slices", "budgets", "owner", "lifecycle"):
                a, b = getattr(before, key), getattr(after, key)
                dump = (lambda x: [y.model_dump(mode="json") for y in x] if isinstance(x, list)
                        else x.model_dump(mode="json"))
                if dump(a) != dump(b):
                    out.append(f"manifest: {key} changed")
        except ManifestError:
            out.append("manifest: changed (the registered copy no longer loads)")
        else:
            if not out:
                out.append("manifest: changed outside the verdict's fields (descriptions, comments)")
    old_report = old / standards.REPORT_DIR / "report.json"
    if old_report.is_file():
        try:
            prev = EvalReport.model_validate_json(old_report.read_bytes())
        except ValueError:
            out.append("report: replaces an unreadable one")
        else:
            if prev.provenance.finished_at != report.provenance.finished_at:
                out.append(f"report: {prev.provenance.finished_at:%Y-%m-%d %H:%M} → "
                           f"{report.provenance.finished_at:%Y-%m-%d %H:%M} UTC, verdict {prev.gate.verdict} → "
                           f"{report.gate.verdict}")
    else:
        out.append("report: the first one for this entry")
    return out


def publish(project_dir: Path | str, registry: Path | str, *, allow_stale: bool = False,
            now: dt.datetime | None = None) -> PublishResult:
    """Register ``project_dir`` in ``registry`` (see the module docstring). Raises
    `StandardFailed` (exit 1) when the report is not current and ``allow_stale`` is off, or
    when the report contradicts its own figures; `InputError` (exit 2) for unusable input."""
    project = load_project(project_dir)
    m = project.manifest
    report = _read_report(project)
    where = project.dir / standards.REPORT_DIR / "report.json"
    check = recheck(report, m, key=signing_key())
    if check.tampered:
        raise StandardFailed(f"{where}: not published: " + "; ".join(check.tampered))
    if report.teacher_only:
        raise StandardFailed(f"{where}: not published: it is a teacher-only report (`eval --teacher-only`), "
                             "which judges no student")
    # The registry holds no model files, so the fleet cannot see this later: refused here, always.
    changed = files_changed(project.check_context(), report)
    if changed:
        raise StandardFailed(f"{where}: not published: " + "; ".join(changed)
                             + f". Run `stillhouse eval {project_dir}` again")
    if check.stale and not allow_stale:
        raise StandardFailed(f"{where}: not current for {project.manifest_file.name}: " + "; ".join(check.stale)
                             + f". Run `stillhouse eval {project_dir}` again, then publish (or pass --allow-stale)")
    registry = Path(registry)
    found = not_a_registry(registry)
    if found and not may_become_registry(registry):
        raise InputError(f"{registry}: expected {A_REGISTRY}, or a new or empty folder to create one in; "
                         f"found {found}. Is --registry right?")
    created = found is not None
    models = registry / MODELS_DIR
    models.mkdir(parents=True, exist_ok=True)
    entry = models / m.name
    files: dict[str, bytes] = {MANIFEST_NAMES[0]: project.manifest_file.read_bytes()}  # one name in a registry
    for name in REPORT_FILES:
        p = project.dir / standards.REPORT_DIR / name
        if p.is_file():
            files[f"{standards.REPORT_DIR}/{name}"] = p.read_bytes()
    drift_dir = project.dir / "drift"
    if drift_dir.is_dir():
        for p in sorted(drift_dir.glob("*.json")):
            files[f"drift/{p.name}"] = p.read_bytes()
    commit, dirty = _commit(project.dir)
    when = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    publication = {
        "publication_version": "1.0",
        "model": m.name,
        "published_at": when.isoformat(),
        "source": str(project.dir),
        "commit": commit,
        "uncommitted_changes": dirty,
        "report_finished_at": report.provenance.finished_at.isoformat(),
        "verdict": report.gate.verdict,
        "current": not check.stale,
        "files": {name: _sha(data) for name, data in sorted(files.items())},
    }
    changes = _changes(entry, files, project, report)
    staging = Path(tempfile.mkdtemp(dir=models, prefix=f".{m.name}.publish-"))
    try:
        for name, data in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
        (staging / PUBLICATION_FILE).write_text(json.dumps(publication, indent=2) + "\n", encoding="utf-8")
        old = models / f".{m.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if entry.exists():
            entry.replace(old)
        staging.replace(entry)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result = PublishResult(entry=entry, created_registry=created, changes=changes, commit=commit,
                           stale=list(check.stale))
    if created:
        seeded = _people_and_teachers(registry, project)
        result.changes.insert(0, f"created the registry at {registry}" + (f" ({', '.join(seeded)} seeded from the "
                                                                          "manifest)" if seeded else ""))
    result.warnings = _registry_warnings(registry, project)
    if dirty:
        result.warnings.append(f"the project has uncommitted changes; published from commit {commit[:12] if commit else '?'} "
                               "plus those changes")
    return result


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


__all__ = ["PUBLICATION_FILE", "PublishResult", "load_checked_report", "publish"]
