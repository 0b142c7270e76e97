"""The fleet report: every registered model's owner, status, evaluation, triggers and
lifecycle, assessed against one clock, plus the rollout figures.

`build_fleet` is pure given its clock: the same registry and `now` give the same report.
It imports no torch, transformers or datasets.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
from contextlib import closing
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

import standards
from standards import CURRENT_VERSION, TRIGGER_CODES
from standards.receipts import signature_problems_of, signing_key
from standards.versions import version_key
from standards.fleet import (
    DriftSummary,
    FleetModel,
    FleetReport,
    Problem,
    RolloutFigures,
    TriggerFired,
)

from .._errors import InputError, ManifestError
from .._time import parse_time as parse_when
from ._registry import (
    A_REGISTRY,
    CACHE_FILE,
    DriftDigest,
    EntryFiles,
    ManifestSummary,
    ReportSummary,
    SummaryCache,
    VerdictCheck,
    entry_dirs,
    not_a_registry,
    scan_registry,
    summary_of,
)

_M = TypeVar("_M", bound=BaseModel)


def _make(cls: type[_M], **values: Any) -> _M:
    """A fleet object from values computed here out of validated summaries."""
    return cls(**values)

ClockKind = Literal["now", "as_of", "given"]
Verdict = Literal["pass", "fail", "none"]

UTC = dt.timezone.utc
ACTIVE_REVIEW = ("in_review", "production")
PRODUCTION_NEEDS = "production needs a current, passing evaluation"
#: Days before a teacher release's `retires_on` that `teacher_retiring` fires, unless the
#: registry's `registry.yaml` sets `teacher_retiring_days`.
RETIRING_DAYS = 90


def _vkey(v: str) -> tuple[int, ...]:
    return version_key(v)


# --- registry-level files -----------------------------------------------------------------


def _read_registry_file(path: Path, model: Any, problems: list[Problem], required: bool) -> Any:
    from pydantic import ValidationError

    from .._yaml import read_yaml_file

    if not path.is_file():
        if required:
            problems.append(Problem(entry=path.name, file=str(path), message="missing: "
                                    + ("every owner counts as unknown" if path.name == "people.yaml"
                                       else "moved teachers cannot be detected")))
        return None
    try:
        data, _, _ = read_yaml_file(path)
        return model.model_validate(data)
    except ManifestError as exc:
        for p in exc.problems:
            problems.append(Problem(entry=path.name, file=str(path), field=p.field or None,
                                    message=f"expected {p.expected}; found {p.found}"))
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            problems.append(Problem(entry=path.name, file=str(path),
                                    field=".".join(str(x) for x in e["loc"]) or None, message=e["msg"]))
    return None


def resolve_clock(registry: Path, now: dt.datetime | None) -> tuple[dt.datetime, ClockKind, Any]:
    """The clock a fleet report uses: an explicit `now`, else the registry's `as_of`, else now."""
    problems: list[Problem] = []
    settings = _read_registry_file(registry / "registry.yaml", standards.RegistrySettings, problems, False)
    if problems:
        raise ManifestError([_as_error_problem(p) for p in problems])
    if now is not None:
        return (now if now.tzinfo else now.replace(tzinfo=UTC)), "given", settings
    if settings is not None and settings.as_of is not None:
        return dt.datetime.combine(settings.as_of, dt.time(), tzinfo=UTC), "as_of", settings
    return dt.datetime.now(UTC).replace(microsecond=0), "now", settings


def _as_error_problem(p: Problem) -> Any:
    from .._errors import Problem as ErrProblem

    return ErrProblem(file=p.file or p.entry, field=p.field or "", expected="a valid registry.yaml", found=p.message)


# --- build ---------------------------------------------------------------------------------


def build_fleet(registry_dir: Path | str, *, now: dt.datetime | None = None, use_cache: bool = True) -> FleetReport:
    """Read a registry and assess every model against one clock.

    ``now`` fixes the clock (tests, reproducible reports); without it the registry's
    `registry.yaml` `as_of` is used if set, else the current time. Unreadable entries are
    listed in `problems`; they never hide the others. Raises `InputError` (exit 2) only
    when ``registry_dir`` is not a registry folder at all. The summary cache
    (`.stillhouse/fleet-cache` in the registry) is updated when ``use_cache``."""
    report, cache = _build_fleet(Path(registry_dir), now, use_cache)
    cache.save()
    return report


def _build_fleet(registry: Path, now: dt.datetime | None, use_cache: bool) -> tuple[FleetReport, SummaryCache]:
    instead = not_a_registry(registry)
    if instead:
        raise InputError(f"{registry}: expected {A_REGISTRY}; found {instead}. Name the registry (`stillhouse fleet REGISTRY`); "
                         "`stillhouse publish` creates one")
    clock, clock_kind, settings = resolve_clock(registry, now)
    problems: list[Problem] = []
    teachers = _read_registry_file(registry / "teachers.yaml", standards.Teachers, problems, True)
    people = _read_registry_file(registry / "people.yaml", standards.People, problems, True)
    if not (registry / "models").is_dir():
        problems.append(Problem(entry="models", file=str(registry / "models"),
                                message="no models/ folder: nothing is registered"))
    current_pins = {t.family: t for t in teachers.teachers} if teachers else {}
    persons = {p.handle: p for p in people.people} if people else {}

    cache = SummaryCache(registry / CACHE_FILE if use_cache else None)
    models: list[FleetModel] = []
    seen: dict[str, str] = {}
    unreadable: list[Problem] = []  # listed before the entries' own problems
    found: list[Problem] = []
    with closing(scan_registry(entry_dirs(registry), cache)) as scanned:  # closed early, its workers stop
        for e, summaries in scanned:  # in entry order
            if isinstance(e, tuple):
                unreadable.append(Problem(entry=os.path.basename(e[0]), file=e[0], message=e[1]))
                continue
            for msg, file, fld in e.problems:
                found.append(Problem(entry=e.name, message=msg, file=file, field=fld))
            if e.manifest is None:
                continue
            msum, err = summary_of(summaries, ManifestSummary, e.manifest.sha256)
            if msum is None:
                found += _manifest_problems(e)
                continue
            if msum.name in seen:
                found.append(Problem(entry=e.name, file=str(e.manifest.path), field="name",
                                     message=f"model {msum.name!r} is already registered by entry "
                                     f"{seen[msum.name]!r}; this entry is skipped"))
                continue
            seen[msum.name] = e.name
            models.append(_assess(e, msum, summaries, registry, clock, current_pins, persons, found, settings))
    problems += unreadable + found

    report = FleetReport(
        generated_at=clock, clock=clock_kind, registry=str(registry),
        name=settings.name if settings is not None else None, standards_version=CURRENT_VERSION,
        models=models, problems=problems, rollout=_rollout(models, problems, persons),
    )
    return report, cache


def _manifest_problems(e: EntryFiles) -> list[Problem]:
    """The full, line-numbered problems of a manifest the fast path refused."""
    from ..project import load_project

    assert e.manifest is not None
    try:
        load_project(e.manifest.path)
    except ManifestError as exc:
        return [Problem(entry=e.name, file=f"{p.file}:{p.line}" if p.line else p.file, field=p.field or None,
                        message=f"expected {p.expected}; found {p.found}" + (f" ({p.hint})" if p.hint else ""))
                for p in exc.problems]
    return [Problem(entry=e.name, file=str(e.manifest.path), message="the manifest could not be read quickly but "
                    "loads with `stillhouse validate`; run it to see why")]  # pragma: no cover - defensive


def _rel(path: str, registry: Path) -> str:
    """``path`` relative to the registry, with forward slashes (as the site links it)."""
    prefix = os.path.join(registry, "")
    rest = path[len(prefix):]
    # A plain path under the registry is cut, not passed to relpath (which makes both paths
    # absolute, once per file of a big fleet); a pointer's project elsewhere is not.
    if not path.startswith(prefix) or os.path.isabs(rest) or os.path.normpath(rest) != rest:
        rest = os.path.relpath(path, registry)
    return rest.replace(os.sep, "/")


def _date(v: str | None) -> dt.date | None:
    return dt.date.fromisoformat(v) if v else None


def _assess(e: EntryFiles, m: ManifestSummary, summaries: dict[str, Any], registry: Path, now: dt.datetime,
            current_pins: dict[str, Any], persons: dict[str, Any], problems: list[Problem],
            settings: Any) -> FleetModel:
    name = m.name
    status = m.status
    retired = status == "retired"
    notes: list[str] = []
    if e.name != name:
        notes.append(f"entry folder {e.name!r} differs from the model name")

    # the latest report, its receipt re-checked against this manifest
    report: ReportSummary | None = None
    report_path = None
    not_current: list[str] = []
    unsigned: list[str] = []
    stale_copy = False
    if e.report is not None:
        report_path = _rel(e.report.path, registry)
        rsum, err = summary_of(summaries, ReportSummary, e.report.sha256)
        if rsum is None:
            problems.append(Problem(entry=e.name, file=str(e.report.path), message=f"not an eval report: {err}"))
            not_current.append("the report is unreadable")
        elif rsum.project != name:
            problems.append(Problem(entry=e.name, file=str(e.report.path), field="project",
                                    message=f"the report is for model {rsum.project!r}, not {name!r}; ignored"))
            not_current.append(f"the report is for another model ({rsum.project})")
        else:
            report = rsum
    else:
        not_current.append("no report")
    age = finished = None
    if report is not None:
        finished = parse_when(report.finished_at)
        age = round((now - finished).total_seconds() / 86400, 2)
        if age < 0:
            notes.append(f"the report is dated {-age:.1f} days after the fleet's clock")
        key = e.check_key()
        assert key is not None  # a readable report and manifest: the scan checked one against the other
        check, why = summary_of(summaries, VerdictCheck, key)
        republish = list(check.republish) if check is not None else [
            f"the report could not be checked against the manifest: {why}"]
        if republish:
            stale_copy = True
            not_current += republish
        if report.teacher_only:
            not_current.append("the report is teacher-only (`eval --teacher-only`): it judges no student")
        if m.cadence_days is not None and age > m.cadence_days:
            not_current.append(f"the report is {age:.0f} days old; the cadence is {m.cadence_days} days")
        for why in report.tampered:
            problems.append(Problem(entry=e.name, file=str(e.report.path) if e.report else None, field="gate",
                                    message=f"the report contradicts its own figures: {why}"))
        if settings is not None and settings.require_signed_reports:
            for why in signature_problems_of(report.canonical_sha256, report.signature, signing_key()):
                unsigned.append(why)
    current = not not_current
    verdict: Verdict = "none" if report is None or report.teacher_only else report.verdict  # type: ignore[assignment]
    if unsigned and verdict == "pass":
        verdict = "fail"
    not_current += unsigned
    current = current and not unsigned

    # first pass, from the latest and the archived reports of this model
    passes = [finished.date()] if finished is not None and verdict == "pass" else []
    for ref in e.history:
        s, _ = summary_of(summaries, ReportSummary, ref.sha256)
        if s is not None and s.project == name and s.verdict == "pass":
            passes.append(parse_when(s.finished_at).date())
    for ref in e.history:
        old, why_not = summary_of(summaries, ReportSummary, ref.sha256)
        if old is None:
            problems.append(Problem(entry=e.name, file=str(ref.path), message=f"not an eval report: {why_not}"))
    first_pass = min(passes) if passes else None
    created = _date(m.created)
    days_to_first = (first_pass - created).days if first_pass and created else None

    # drift
    drift = None
    if e.drift is not None:
        dsum, err = summary_of(summaries, DriftDigest, e.drift.sha256)
        if dsum is None:
            problems.append(Problem(entry=e.name, file=str(e.drift.path), message=f"not a drift record: {err}"))
        elif dsum.project != name:
            problems.append(Problem(entry=e.name, file=str(e.drift.path), field="project",
                                    message=f"the drift record is for model {dsum.project!r}, not {name!r}; ignored"))
        elif dsum.student_pin != m.student_pin:
            notes.append("the latest drift record is about an earlier student; run `stillhouse drift` again")
        else:
            drift = _make(DriftSummary, record_path=_rel(e.drift.path, registry),
                           computed_at=parse_when(dsum.computed_at),
                           window_end=parse_when(dsum.window_end) if dsum.window_end else None,
                           metric=dsum.metric, baseline=dsum.baseline, value=dsum.value,
                           drop=dsum.drop, max_drop=dsum.max_drop, slice_psi_max=dsum.slice_psi_max,
                           length_psi=dsum.length_psi, fired=dsum.fired, reason=dsum.reason)

    triggers: list[TriggerFired] = []
    orphaned, orphan_reason = False, None
    life: list[str] = []
    if not retired:
        triggers = _triggers(m, report, finished, age, now, drift, current_pins, notes, settings)
        orphaned, orphan_reason = _orphan(m, persons, notes)
        life = list(m.life)
        if status == "production" and not (current and verdict == "pass"):
            life.append(f"{PRODUCTION_NEEDS}: "
                        + ("; ".join(not_current) if not current else f"the gate verdict is {verdict}"))
        end = _date(m.end_date)
        if status == "deprecated" and end is not None and end < now.date():
            life.append(f"deprecated with end date {end}, which has passed: retire it "
                        "(`stillhouse retire`)")
    else:
        notes.append(f"retired on {m.retired_on or '?'}: {m.retirement_reason or 'no reason recorded'}")
        life = list(m.life)

    actions = _actions(m, triggers, orphaned, life, current, verdict, status, stale_copy)
    return _make(
        FleetModel,
        name=name, entry=e.name, description=m.description, owner=m.owner, team=m.team,
        backup=m.backup, status=status, standards_version=m.declared_version,
        report_age_days=age, report_finished_at=finished, evaluation_current=current,
        not_current_reasons=not_current, verdict=verdict, orphaned=orphaned, orphan_reason=orphan_reason,
        triggers=triggers, lifecycle_problems=life, needs_action=bool(actions), actions=actions,
        report_path=report_path, created=created, first_pass=first_pass, days_to_first_pass=days_to_first,
        teacher_family=m.teacher_family, teacher_pin=m.teacher_pin,
        current_teacher_pin=current_pins[m.teacher_family].pin if m.teacher_family in current_pins else None,
        slices=report.slices if report else [], drift=drift, notes=notes,  # validated into FleetSlice
    )


def _triggers(m: ManifestSummary, report: ReportSummary | None, finished: dt.datetime | None, age: float | None,
              now: dt.datetime, drift: DriftSummary | None, current_pins: dict[str, Any],
              notes: list[str], settings: Any = None) -> list[TriggerFired]:
    out = []
    fam = m.teacher_family
    if fam is None:
        notes.append("the teacher names no `family`: a moved teacher cannot be detected")
    elif fam not in current_pins:
        notes.append(f"teacher family {fam!r} is not in teachers.yaml")
    elif current_pins[fam].pin != m.teacher_pin and report is not None \
            and report.teacher_pin == current_pins[fam].pin:
        notes.append(f"the registered manifest still names teacher {m.teacher_pin}, but its report already used "
                     f"the current {current_pins[fam].pin}: the registered copy is stale; publish the project again")
    elif current_pins[fam].pin != m.teacher_pin:
        rel = current_pins[fam]
        if m.teacher_change:
            out.append(_make(
                TriggerFired,
                code="teacher_moved",
                reason=f"teacher {fam} moved to {rel.pin}" + (f" on {rel.since}" if rel.since else "")
                + f"; the student was distilled from {m.teacher_pin}",
                evidence={"family": fam, "manifest_pin": m.teacher_pin, "current_pin": rel.pin,
                          "since": rel.since.isoformat() if rel.since else None}))
        else:
            notes.append(f"teacher {fam} moved to {rel.pin}, but triggers.teacher_change is off")
    release = current_pins.get(fam) if fam is not None else None
    if release is not None and release.retires_on is not None and release.pin == m.teacher_pin:
        warn_days = settings.teacher_retiring_days if settings is not None else RETIRING_DAYS
        left = (release.retires_on - now.date()).days
        if left <= warn_days:
            when = f"in {left} days" if left > 0 else ("today" if left == 0 else f"{-left} days ago")
            out.append(_make(
                TriggerFired,
                code="teacher_retiring",
                reason=f"teacher {fam} ({release.pin}) retires on {release.retires_on} ({when}); redistil from its "
                       "replacement before it disappears (record its answers now if the student must be rebuilt later)",
                evidence={"family": fam, "pin": release.pin, "retires_on": release.retires_on.isoformat(),
                          "days_left": left, "warn_days": warn_days}))
    if drift is not None and drift.fired:
        out.append(_make(
            TriggerFired,
            code="drift", reason=drift.reason,
            evidence={"record": drift.record_path, "metric": drift.metric, "baseline": drift.baseline,
                      "value": drift.value, "drop": drift.drop, "max_drop": drift.max_drop,
                      "window_end": drift.window_end.isoformat() if drift.window_end else None}))
    cad = m.cadence_days
    if cad is not None:
        if finished is not None:
            base, since = finished, "last report"
        else:  # never evaluated: the clock runs from creation once the model is in service
            base, since = dt.datetime.combine(dt.date.fromisoformat(m.created), dt.time(), tzinfo=UTC), "creation"
        due = base + dt.timedelta(days=cad)
        if now > due and (finished is not None or m.status in (*ACTIVE_REVIEW, "deprecated")):
            elapsed = round((now - base).total_seconds() / 86400, 1)
            out.append(_make(
                TriggerFired,
                code="cadence_elapsed",
                reason=f"{elapsed:.0f} days since the {since}; the cadence is {cad} days (due {due.date()})",
                evidence={"since": since, "from": base.isoformat(), "days": elapsed, "cadence_days": cad,
                          "due": due.date().isoformat()}))
    declared = m.declared_version
    rep_v = report.standards_version if report else None
    # a current version is never older: most models skip the comparison
    old_manifest = declared != CURRENT_VERSION and _vkey(declared) < _vkey(CURRENT_VERSION)
    if old_manifest or (rep_v is not None and rep_v != CURRENT_VERSION and _vkey(rep_v) < _vkey(CURRENT_VERSION)):
        older = declared if old_manifest else rep_v
        where = "the manifest follows" if older == declared else "the report was made under"
        out.append(_make(
            TriggerFired,
            code="standards_outdated",
            reason=f"{where} standards {older}; the current version is {CURRENT_VERSION}",
            evidence={"manifest_version": declared, "report_version": rep_v, "current_version": CURRENT_VERSION}))
    return out


def _orphan(m: ManifestSummary, persons: dict[str, Any], notes: list[str]) -> tuple[bool, str | None]:
    def state(handle: str | None) -> str | None:
        if not handle:
            return "missing"
        p = persons.get(handle)
        if p is None:
            return "not in people.yaml"
        return None if p.active else "departed"

    owner, backup = m.owner, m.backup
    s_owner = state(owner)
    if s_owner is None:
        return False, None
    s_backup = state(backup)
    owner_text = "no owner" if s_owner == "missing" else f"owner {owner} is {s_owner}"
    if s_backup is None:
        notes.append(f"{owner_text}; backup {backup} covers: name a new owner")
        return False, None
    backup_text = "no backup" if s_backup == "missing" else f"backup {backup} is {s_backup}"
    return True, f"{owner_text}; {backup_text}"


def _actions(m: ManifestSummary, triggers: list[TriggerFired], orphaned: bool, life: list[str], current: bool,
             verdict: str, status: str, stale_copy: bool = False) -> list[str]:
    out = []
    if orphaned:
        out.append("name an active owner (and backup) in the manifest and people.yaml")
    codes = {t.code for t in triggers}
    if "teacher_moved" in codes or "drift" in codes:
        out.append("redistil the student, then run `stillhouse eval` and `stillhouse publish`")
    elif "teacher_retiring" in codes:
        out.append("redistil from the teacher's replacement before it retires, then `stillhouse eval` and "
                   "`stillhouse publish`")
    elif "cadence_elapsed" in codes:
        out.append("re-run `stillhouse eval` and `stillhouse publish` the new report")
    elif stale_copy:
        out.append("the registered manifest and report disagree: run `stillhouse eval` on the project if it "
                   "changed, then `stillhouse publish` it again")
    if "standards_outdated" in codes:
        out.append(f"move the manifest to standards {CURRENT_VERSION} and re-evaluate")
    fixes = [p for p in life if not p.startswith(PRODUCTION_NEEDS)]
    if fixes:
        out.append("fix the lifecycle: " + "; ".join(fixes))
    if status in ACTIVE_REVIEW and not (current and verdict == "pass") and not stale_copy \
            and not codes & {"teacher_moved", "drift", "cadence_elapsed", "teacher_retiring"}:
        out.append("run `stillhouse eval` until the gate passes" if verdict == "fail" or current
                   else "run `stillhouse eval` and `stillhouse publish` the report")
    return out


def _rollout(models: list[FleetModel], problems: list[Problem], persons: dict[str, Any]) -> RolloutFigures:
    active = [m for m in models if m.status != "retired"]

    def owner_active(m: FleetModel) -> bool:
        p = persons.get(m.owner) if m.owner else None
        return bool(p and p.active)

    good = [m for m in active if m.evaluation_current and m.verdict == "pass" and owner_active(m)]
    days = [m.days_to_first_pass for m in models if m.days_to_first_pass is not None]
    open_triggers = {code: 0 for code in TRIGGER_CODES}
    for m in active:
        for t in m.triggers:
            open_triggers[t.code] += 1
    by_status: dict[str, int] = {}
    for m in models:
        by_status[m.status] = by_status.get(m.status, 0) + 1
    return RolloutFigures(
        models=len(models), active_models=len(active), current_passing_owned=len(good),
        share_current_passing_owned=round(len(good) / len(active), 4) if active else 0.0,
        orphaned=sum(m.orphaned for m in active), needs_action=sum(m.needs_action for m in models),
        problems=len(problems), by_status=dict(sorted(by_status.items())),
        median_days_to_first_pass=float(statistics.median(days)) if days else None,
        models_with_first_pass=len(days), open_triggers=open_triggers,
    )


def needs_attention(report: FleetReport) -> bool:
    """What `stillhouse fleet --check` fails on: a model that needs action, or a problem."""
    return bool(report.problems) or any(m.needs_action for m in report.models)
