"""The automatic checks of the requirement catalogue, registered by requirement ID.

Each check reads a loaded project (`CheckContext`) and returns a `CheckResult`. The
catalogue (`catalogue.yaml`) holds the text and rationale; a test asserts that every
automatic requirement has exactly one check here and every check has a requirement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ._base import is_placeholder
from .catalogue import Catalogue, load_catalogue
from .hashing import artifact_sha256, file_sha256, is_sha256
from .pins import model_pin, pin_problem
from .report import EvalReport
from .slices import rule_columns, slice_masks
from .tabular import TableError, missing_value, read_rows
from .versions import CURRENT_VERSION, version_at_most

Status = Literal["pass", "fail", "warn", "skip"]
REPORT_DIR = "report"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


@dataclass
class CheckResult:
    """Outcome of one requirement on one project."""

    status: Status
    detail: str


@dataclass
class CheckContext:
    """A loaded, schema-valid project as the checks see it."""

    manifest: Any  # standards.Manifest (current version, migrated)
    project_dir: Path
    manifest_file: Path
    raw: dict[str, Any]  # the data as written in the file
    declared_version: str
    today: dt.date = field(default_factory=dt.date.today)
    _memo: dict[str, Any] = field(default_factory=dict)

    def path(self, rel: str) -> Path:
        return (self.project_dir / rel).resolve()

    def placeholders(self) -> list[tuple[str, str]]:
        """(field path, value) of every placeholder in the file as written."""
        if "placeholders" not in self._memo:
            self._memo["placeholders"] = list(_walk_placeholders(self.raw, ""))
        return self._memo["placeholders"]  # type: ignore[no-any-return]

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per context (hashes of big folders are read by several checks)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def report(self) -> EvalReport | None:
        """The project's `report/report.json` validated against its schema; None when there is
        none; `ReportError` when it is not a report (validate then exits 2, naming the field)."""
        path = self.project_dir / REPORT_DIR / "report.json"
        if not path.is_file():
            return None
        return self.memo("report", lambda: read_report(path))  # type: ignore[no-any-return]

    def eval_rows(self) -> list[dict[str, Any]] | None:
        """Rows of the eval set when its hash matches (EVAL-002 passed), else None."""
        if "rows" not in self._memo:
            rows = None
            es = self.manifest.eval_set
            p = self.path(es.path)
            if p.is_file() and is_sha256(es.sha256) and file_sha256(p) == es.sha256.lower():
                try:
                    rows = read_rows(p)
                except TableError as exc:
                    self._memo["rows_error"] = str(exc)
            self._memo["rows"] = rows
        return self._memo["rows"]  # type: ignore[no-any-return]


def _walk_placeholders(obj: Any, prefix: str) -> Iterator[tuple[str, str]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk_placeholders(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk_placeholders(v, f"{prefix}[{i}]")
    elif is_placeholder(obj):
        yield prefix, str(obj)


CheckFn = Callable[[CheckContext], CheckResult]
CHECKS: dict[str, CheckFn] = {}


#: The automatic part of a manual requirement: what can be seen without a reviewer. A `fail`
#: fails the requirement; anything else leaves the reviewer's question standing.
PRECHECKS: dict[str, CheckFn] = {}


def _register(table: dict[str, CheckFn], rid: str, what: str) -> Callable[[CheckFn], CheckFn]:
    def deco(fn: CheckFn) -> CheckFn:
        if rid in table:
            raise ValueError(f"two {what} for {rid}")
        table[rid] = fn
        return fn

    return deco


def check(rid: str) -> Callable[[CheckFn], CheckFn]:
    """Register the check of requirement ``rid``."""
    return _register(CHECKS, rid, "checks")


def precheck(rid: str) -> Callable[[CheckFn], CheckFn]:
    """Register the automatic part of the manual requirement ``rid``."""
    return _register(PRECHECKS, rid, "prechecks")


def ok(detail: str) -> CheckResult:
    return CheckResult("pass", detail)


def fail(detail: str) -> CheckResult:
    return CheckResult("fail", detail)


def skip(detail: str) -> CheckResult:
    return CheckResult("skip", detail)


def _placeholders_under(ctx: CheckContext, *prefixes: str) -> list[str]:
    return [f"{p} is a placeholder: {v}" for p, v in ctx.placeholders()
            if any(p == pre or p.startswith(pre + ".") or p.startswith(pre + "[") for pre in prefixes)]


# --- evaluation -----------------------------------------------------------------------


@check("MAN-001")
def _no_placeholders(ctx: CheckContext) -> CheckResult:
    found = ctx.placeholders()
    if found:
        return fail(f"{len(found)} placeholder(s) to fill in:\n" + "\n".join(f"{p}: {v}" for p, v in found))
    return ok("no placeholders")


@check("EVAL-001")
def _frozen_set_and_slices(ctx: CheckContext) -> CheckResult:
    m = ctx.manifest
    problems = []
    if is_placeholder(m.eval_set.path) or not ctx.path(m.eval_set.path).is_file():
        problems.append(f"eval_set.path: no eval set at {m.eval_set.path} yet: write the frozen set there, then "
                        f"pin it with `stillhouse hash {m.eval_set.path}`")
    if not m.slices:
        problems.append("no slices declared: add at least one under `slices`")
    if problems:
        return fail("; ".join(problems))
    return ok(f"eval set {m.eval_set.path} with {len(m.slices)} slice(s): " + ", ".join(s.name for s in m.slices))


@check("EVAL-002")
def _eval_hash(ctx: CheckContext) -> CheckResult:
    es = ctx.manifest.eval_set
    ph = _placeholders_under(ctx, "eval_set.sha256", "eval_set.path")
    if ph:
        return fail("; ".join(ph))
    p = ctx.path(es.path)
    if not p.exists():
        return fail(f"eval_set.path: file {es.path} does not exist")
    if not p.is_file():
        return fail(f"eval_set.path: {es.path} is not a file")
    if not is_sha256(es.sha256):
        return fail(f"eval_set.sha256 must be 64 hex digits, found {es.sha256!r}")
    actual = ctx.memo(f"file:{p}", lambda: file_sha256(p))  # EVAL-005 compares it with the report too
    if actual != es.sha256.lower():
        return fail(f"eval_set.sha256 is {es.sha256} but the file hashes to {actual}")
    return ok(f"sha256 {actual[:12]}… matches")


@check("EVAL-003")
def _eval_rows(ctx: CheckContext) -> CheckResult:
    es = ctx.manifest.eval_set
    ph = _placeholders_under(ctx, "eval_set.rows")
    if ph:
        return fail("; ".join(ph))
    rows = ctx.eval_rows()
    if rows is None:
        if "rows_error" in ctx._memo:
            return fail(f"{es.path}: {ctx._memo['rows_error']}")
        return skip("needs a readable eval set whose hash matches (EVAL-002)")
    if not rows:
        return fail(f"{es.path} has no rows: an eval set needs examples")
    problems = []
    if len(rows) != es.rows:
        problems.append(f"eval_set.rows is {es.rows} but the file has {len(rows)} rows")
    needed = [es.fields.id, es.fields.input] + ([es.fields.label] if es.fields.label else [])
    for f in needed:
        missing = [i for i, r in enumerate(rows) if missing_value(r.get(f))]
        if missing:
            problems.append(f"field {f!r} is missing or empty in {len(missing)} row(s), first at row {missing[0] + 1}")
    ids = [r.get(es.fields.id) for r in rows]
    if len(set(map(str, ids))) != len(ids):
        problems.append(f"ids in {es.fields.id!r} are not unique")
    labels = ctx.manifest.labels
    if es.fields.label and labels and ctx.manifest.task.value == "classification":
        outside = [i for i, r in enumerate(rows)
                   if not missing_value(r.get(es.fields.label)) and str(r.get(es.fields.label)) not in labels]
        if outside:
            problems.append(f"{len(outside)} row(s) have a {es.fields.label!r} outside the manifest's labels, "
                            f"first at row {outside[0] + 1}: {str(rows[outside[0]].get(es.fields.label))!r}")
    if problems:
        return fail("; ".join(problems))
    return ok(f"{len(rows)} rows with fields {', '.join(needed)}; ids unique")


@precheck("EVAL-006")
def _trained_on_another_set(ctx: CheckContext) -> CheckResult:
    """The one overlap seen without a reviewer: the training set is the eval set's own file."""
    dist = getattr(ctx.manifest, "distillation", None)
    train = getattr(dist, "train_set", None) if dist is not None else None
    es = ctx.manifest.eval_set
    if train is None or is_placeholder(getattr(train, "path", None)) or is_placeholder(es.path):
        return skip("no training set to compare")
    same_file = ctx.path(train.path) == ctx.path(es.path)
    same_bytes = bool(train.sha256) and str(train.sha256).lower() == str(es.sha256).lower()
    if same_file or same_bytes:
        return fail(f"distillation.train_set is the eval set itself ({train.path}"
                    + (", the same file" if same_file else ", the same sha256") + "): a student trained on its "
                    "eval set reports a quality it will not have")
    return skip("the training set is another file; whether it overlaps the eval set is the reviewer's question")


@check("EVAL-004")
def _slice_columns(ctx: CheckContext) -> CheckResult:
    rows = ctx.eval_rows()
    if rows is None:
        return skip("needs a readable eval set whose hash matches (EVAL-002)")
    columns = set().union(*(r.keys() for r in rows)) if rows else set()
    bad = []
    for i, s in enumerate(ctx.manifest.slices):
        missing = rule_columns(s.rule, ctx.manifest.eval_set.fields.input) - columns
        if missing:
            bad.append(f"slices[{i}] ({s.name}) reads missing column(s) {', '.join(sorted(missing))}")
    if bad:
        return fail("; ".join(bad) + f" (columns: {', '.join(sorted(columns))})")
    return ok("every slice rule reads existing columns")


def _report_path(ctx: CheckContext) -> Path:
    return ctx.project_dir / REPORT_DIR / "report.json"


def expected_provenance(manifest: Any) -> dict[str, str]:
    """What a current report's `project` and `provenance` must say about ``manifest``."""
    expected = {
        "teacher_pin": model_pin(manifest.teacher),
        "eval_set_sha256": manifest.eval_set.sha256.lower(),
    }
    if manifest.student.hashed:
        expected["student_sha256"] = manifest.student.sha256.lower()
    expected["project"] = manifest.name
    return expected


def provenance_mismatches(provenance: Mapping[str, Any], project: str, expected: Mapping[str, str]) -> list[str]:
    """Why a report's provenance (its fields as data) and project name are not about the
    model `expected_provenance` describes (the fleet keeps those per manifest, so it never
    re-reads a manifest to compare a report)."""
    out = []
    for key, want in expected.items():
        if key == "project":
            continue
        got = provenance.get(key)
        if got != want:
            out.append(f"{key} is {got!r} in the report but {want!r} in the manifest")
    if project != expected.get("project"):
        out.append(f"the report is for project {project!r}, not {expected.get('project')!r}")
    return out


def report_mismatches(report: EvalReport, manifest: Any) -> list[str]:
    """Why ``report`` is not about the model ``manifest`` describes (pins, eval set, name)."""
    return provenance_mismatches(report.provenance.model_dump(), report.project, expected_provenance(manifest))


class ReportError(ValueError):
    """A `report.json` that is not an eval report: unusable input, not a failed standard."""

    def __init__(self, file: str, field: str, expected: str, found: str):
        self.file, self.field, self.expected, self.found = file, field, expected, found
        super().__init__(f"{file}: {field}: expected {expected}; found {found}")


def read_report(path: Path) -> EvalReport:
    """A `report.json` validated against its schema, or `ReportError` naming the first bad field."""
    from pydantic import ValidationError

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReportError(str(path), "", "a readable report", exc.strerror or str(exc)) from None
    try:
        return EvalReport.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        err = errors[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(document)"
        found = "nothing" if err["type"] == "missing" else repr(err.get("input"))[:80]
        more = f" ({len(errors)} problems in all)" if len(errors) > 1 else ""
        raise ReportError(str(path), loc, f"an eval report: {err['msg']}{more}", found) from None
    except RecursionError:
        raise ReportError(str(path), "(document)", "an eval report", "JSON nested too deeply") from None


def files_changed(ctx: CheckContext, report: EvalReport) -> list[str]:
    """The eval set's, teacher's and student's files on disk against the hashes the report
    ran on (a hub snapshot is pinned by commit in the manifest, so only the report binds its
    bytes). Empty: the report is about the files that are there now."""
    out = []
    es = ctx.manifest.eval_set
    if not is_placeholder(es.path) and ctx.path(es.path).is_file():
        p = ctx.path(es.path)
        now = ctx.memo(f"file:{p}", lambda: file_sha256(p))
        if now != report.provenance.eval_set_sha256:
            out.append(f"the eval set changed since the report ({es.path} hashes to {now[:12]}…, the report ran on "
                       f"{report.provenance.eval_set_sha256[:12]}…)")
    for role, recorded in (("student", report.provenance.student_sha256), ("teacher", report.provenance.teacher_sha256)):
        spec = getattr(ctx.manifest, role)
        if recorded is None or spec.files == "none" or is_placeholder(getattr(spec, "path", None)):
            continue
        p = ctx.path(spec.path)
        if not p.exists():
            out.append(f"{role} files are gone from {spec.path}")
            continue
        now = ctx.memo(f"artifact:{p}", lambda: artifact_sha256(p))
        if now != recorded:
            out.append(f"the {role}'s files changed since the report ({spec.path} hashes to {now[:12]}…, "
                       f"the report ran on {recorded[:12]}…)")
    return out


@check("EVAL-005")
def _current_report(ctx: CheckContext) -> CheckResult:
    status = ctx.manifest.lifecycle.status.value
    path = _report_path(ctx)
    needed = status in ("in_review", "production")
    if not path.is_file():
        if needed:
            return fail(f"no report at {REPORT_DIR}/report.json: run `stillhouse eval`")
        return skip(f"not required while {status}; no report yet")
    report = ctx.report()
    assert report is not None  # an unreadable report stops validate before the checks (exit 2)
    if report.teacher_only:
        detail = "the report is teacher-only (`eval --teacher-only`): evaluate the student with `stillhouse eval`"
        return fail(detail) if needed else CheckResult("warn", detail)
    from .receipts import recheck

    rc = recheck(report, ctx.manifest)
    problems = [*rc.tampered, *report_mismatches(report, ctx.manifest), *files_changed(ctx, report)]
    stale = rc.stale
    if rc.verdict != "pass":
        failed = [f"{b.slice} · {b.metric}" for b in report.gate.bars + report.gate.budgets
                  if not b.passed and b.level == "must"]
        problems.append("the gate fails" + (f" ({', '.join(failed)})" if failed else ""))
    if stale or problems:
        detail = "; ".join(problems)
        if stale:
            detail += ("; " if detail else "") + "not current for the manifest: " + "; ".join(stale) + \
                " (run `stillhouse eval` again)"
        return fail(detail) if needed else CheckResult("warn", detail)
    return ok(f"report of {report.provenance.finished_at:%Y-%m-%d %H:%M} UTC is current and passing")


# --- teacher versioning -----------------------------------------------------------------


@check("TEACH-001")
def _teacher_pinned(ctx: CheckContext) -> CheckResult:
    problem = pin_problem(ctx.manifest.teacher)
    if problem:
        return fail(f"teacher.{problem}")
    return ok(f"teacher pinned: {model_pin(ctx.manifest.teacher)}")


def _verify_local(ctx: CheckContext, role: str) -> CheckResult | None:
    spec = getattr(ctx.manifest, role)
    if spec.files == "none":
        return None
    ph = _placeholders_under(ctx, f"{role}.path", f"{role}.sha256")
    if ph:
        return fail("; ".join(ph))
    p = ctx.path(spec.path)
    if not p.exists():
        return fail(f"{role}.path: {spec.path} does not exist")
    if not spec.hashed and not getattr(spec, "sha256", None):
        return ok(f"{role} snapshot present at {spec.path} (pinned by commit)")
    if not is_sha256(spec.sha256):
        return fail(f"{role}.sha256 must be 64 hex digits, found {spec.sha256!r}")
    actual = artifact_sha256(p)
    if actual != spec.sha256.lower():
        return fail(f"{role}.sha256 is {spec.sha256} but {spec.path} hashes to {actual}")
    return ok(f"{role} files match sha256 {actual[:12]}…")


@check("TEACH-002")
def _teacher_files(ctx: CheckContext) -> CheckResult:
    res = _verify_local(ctx, "teacher")
    return res or skip(f"teacher kind {ctx.manifest.teacher.kind} has no local files")


@check("TEACH-003")
def _student_files(ctx: CheckContext) -> CheckResult:
    spec = ctx.manifest.student
    if spec.files == "none":
        problem = pin_problem(spec)
        return fail(f"student.{problem}") if problem else ok(f"student pinned: {model_pin(spec)}")
    return _verify_local(ctx, "student")  # type: ignore[return-value]


@check("SAFE-001")
def _safetensors_only(ctx: CheckContext) -> CheckResult:
    found = []
    checked = 0
    for role in ("teacher", "student"):
        spec = getattr(ctx.manifest, role)
        if not spec.weights or is_placeholder(spec.path):
            continue
        p = ctx.path(spec.path)
        if not p.is_dir():
            continue
        checked += 1
        found += [f"{role}: {f.relative_to(p).as_posix()}" for f in p.rglob("*") if f.suffix.lower() in PICKLE_SUFFIXES]
        if not any(p.rglob("*.safetensors")):
            found.append(f"{role}: no .safetensors weights in {spec.path}")
    if found:
        return fail("pickle-based or missing weights: " + "; ".join(found))
    return ok("safetensors only") if checked else skip("no local model folders")


@check("SAFE-002")
def _remote_code(ctx: CheckContext) -> CheckResult:
    on = [role for role in ("teacher", "student") if getattr(getattr(ctx.manifest, role), "trust_remote_code", False)]
    if on:
        return CheckResult("warn", f"trust_remote_code is on for {', '.join(on)}: a reviewer must read that code")
    return ok("trust_remote_code is off")


@check("DIST-001")
def _distillation_recorded(ctx: CheckContext) -> CheckResult:
    if getattr(ctx.manifest, "distillation", None) is None:
        return CheckResult("warn", "no `distillation` section: the student cannot be rebuilt from the manifest")
    return ok("distillation settings recorded")


# --- quality bars -----------------------------------------------------------------------


def _bar_targets(ctx: CheckContext, bar: Any) -> list[str]:
    names = [s.name for s in ctx.manifest.slices]
    if bar.slice == "*":
        return ["all", *names]
    return [bar.slice]


@check("BAR-001")
def _every_slice_barred(ctx: CheckContext) -> CheckResult:
    covered: set[str] = set()
    for bar in ctx.manifest.quality_bars:
        if bar.level.value == "must":
            covered.update(_bar_targets(ctx, bar))
    missing = [n for n in ["all", *(s.name for s in ctx.manifest.slices)] if n not in covered]
    if missing:
        return fail("no must-level bar for: " + ", ".join(missing))
    return ok("the whole set and every slice have a must-level bar")


@check("BAR-002")
def _bars_on_declared(ctx: CheckContext) -> CheckResult:
    names = {"all", "*", *(s.name for s in ctx.manifest.slices)}
    bad = [f"quality_bars[{i}].slice is {b.slice!r}, which is not a declared slice"
           for i, b in enumerate(ctx.manifest.quality_bars) if b.slice not in names]
    if bad:
        return fail("; ".join(bad) + f" (declared: {', '.join(sorted(names - {'*'}))})")
    return ok("every bar references a declared slice")


@check("BAR-003")
def _slices_big_enough(ctx: CheckContext) -> CheckResult:
    rows = ctx.eval_rows()
    if rows is None:
        return skip("needs a readable eval set whose hash matches (EVAL-002)")
    masks = slice_masks(ctx.manifest.slices, rows, ctx.manifest.eval_set.fields.input)
    small = []
    for i, bar in enumerate(ctx.manifest.quality_bars):
        for name in _bar_targets(ctx, bar):
            if name in masks:
                n = sum(masks[name])
                if n < bar.min_examples:
                    small.append(f"slice {name} has {n} rows, quality_bars[{i}] needs {bar.min_examples}")
    if small:
        return fail("; ".join(dict.fromkeys(small)))
    sizes = ", ".join(f"{k}={sum(v)}" for k, v in masks.items())
    return ok(f"slice sizes: {sizes}")


@check("BAR-004")
def _budgets(ctx: CheckContext) -> CheckResult:
    b = ctx.manifest.budgets
    missing = [n for n in ("latency_p95_ms", "cost_per_1k_calls_usd") if getattr(b, n) is None]
    if missing:
        return CheckResult("warn", "no budget for " + ", ".join(f"budgets.{m}" for m in missing))
    return ok(f"p95 ≤ {b.latency_p95_ms} ms, ≤ {b.cost_per_1k_calls_usd} USD per 1k calls")


@check("BAR-006")
def _certifiable(ctx: CheckContext) -> CheckResult:
    report = ctx.report()
    tight = [f"{b.slice}: max_drop_vs_teacher {b.max_drop_vs_teacher:g} < {b.certifiable_drop:.3f}"
             for b in (report.gate.bars if report is not None else [])
             if b.max_drop_vs_teacher is not None and b.certifiable_drop is not None
             and b.max_drop_vs_teacher < b.certifiable_drop]
    if report is None or not any(b.certifiable_drop is not None for b in report.gate.bars):
        return skip("needs a report with paired bars (`stillhouse eval`)")
    if tight:
        return fail("bars tighter than their slice can certify at its size (grow the slice or allow a larger "
                    "drop): " + "; ".join(tight))
    return ok("every drop bar is wider than the smallest drop its slice can certify")


# --- ownership and lifecycle ----------------------------------------------------------------


@check("OWN-001")
def _owner(ctx: CheckContext) -> CheckResult:
    ph = _placeholders_under(ctx, "owner.handle", "owner.team")
    if ph:
        return fail("; ".join(ph))
    o = ctx.manifest.owner
    return ok(f"{o.handle} ({o.team})")


@check("OWN-002")
def _backup(ctx: CheckContext) -> CheckResult:
    ph = _placeholders_under(ctx, "owner.backup")
    if ph:
        return fail("; ".join(ph))
    o = ctx.manifest.owner
    if not o.backup:
        return fail("owner.backup is not set")
    if o.backup == o.handle:
        return fail(f"owner.backup is the owner ({o.handle})")
    return ok(f"backup: {o.backup}")


@check("LIFE-001")
def _approved(ctx: CheckContext) -> CheckResult:
    lc = ctx.manifest.lifecycle
    if lc.status.value != "production":
        return skip(f"status is {lc.status.value}")
    major = CURRENT_VERSION.split(".")[0]
    good = [a for a in ctx.manifest.approvals if a.checklist_version.split(".")[0] == major
            and version_at_most(a.checklist_version, CURRENT_VERSION)]
    if not good:
        return fail(f"production needs an approval against checklist {major}.x; found "
                    + (", ".join(f"{a.reviewer} ({a.checklist_version})" for a in ctx.manifest.approvals) or "none"))
    last = max(good, key=lambda a: a.date)
    return ok(f"approved by {last.reviewer} on {last.date} (checklist {last.checklist_version})")


@check("LIFE-002")
def _lifecycle_records(ctx: CheckContext) -> CheckResult:
    lc = ctx.manifest.lifecycle
    s = lc.status.value
    if s == "deprecated" and not (lc.replacement or lc.end_date):
        return fail("deprecated needs lifecycle.replacement or lifecycle.end_date")
    if s == "retired":
        missing = [f for f in ("retired_on", "retirement_reason") if not getattr(lc, f)]
        if missing:
            return fail("retired needs " + " and ".join(f"lifecycle.{m}" for m in missing))
    return ok(f"status {s}")


# --- monitoring and triggers ------------------------------------------------------------------


@check("TRIG-001")
def _triggers(ctx: CheckContext) -> CheckResult:
    t = ctx.manifest.triggers
    missing = []
    if not t.teacher_change:
        missing.append("triggers.teacher_change is off")
    if t.drift is None:
        missing.append("triggers.drift is not set")
    if t.cadence_days is None:
        missing.append("triggers.cadence_days is not set")
    if missing:
        return fail("; ".join(missing))
    return ok(f"teacher change, drift > {t.drift.max_drop} {t.drift.metric}, every {t.cadence_days} days")


@check("MON-001")
def _monitoring(ctx: CheckContext) -> CheckResult:
    if ctx.manifest.lifecycle.status.value != "production":
        return skip(f"status is {ctx.manifest.lifecycle.status.value}")
    mon = ctx.manifest.monitoring
    problems = []
    if not mon.production_sample:
        problems.append("monitoring.production_sample is not set")
    if mon.spot_check_share <= 0:
        problems.append("monitoring.spot_check_share is 0: the teacher never spot-checks")
    if problems:
        return fail("; ".join(problems))
    return ok(f"sample at {mon.production_sample}, {mon.spot_check_share:.1%} spot-checked")


# --- running them ---------------------------------------------------------------------------


@dataclass
class RequirementResult:
    """A requirement with its outcome on one project (manual ones are `manual`)."""

    id: str
    level: str
    status: Literal["pass", "fail", "warn", "skip", "manual"]
    detail: str
    text: str


def run_checks(ctx: CheckContext, catalogue: Catalogue | None = None) -> list[RequirementResult]:
    """Every requirement of the catalogue that applies to the manifest's version, in order.

    A failed should-level check is reported as `warn`; only must-level `fail` fails."""
    cat = catalogue or load_catalogue()
    out = []
    for req in cat.requirements:
        if not version_at_most(req.introduced, ctx.declared_version):
            continue
        if req.check == "manual":
            pre = PRECHECKS[req.id](ctx) if req.id in PRECHECKS else None
            if pre is not None and pre.status == "fail":
                out.append(RequirementResult(req.id, req.level, "fail" if req.level == "must" else "warn",
                                             pre.detail, req.text))
            else:
                out.append(RequirementResult(req.id, req.level, "manual", req.question or "", req.text))
            continue
        res = CHECKS[req.id](ctx)
        status = res.status
        if status == "fail" and req.level == "should":
            status = "warn"
        out.append(RequirementResult(req.id, req.level, status, res.detail, req.text))
    return out
