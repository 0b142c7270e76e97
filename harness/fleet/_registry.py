"""Reading a fleet registry into plain summaries, fast.

Every file is reduced to a small dict (a *summary*) that the fleet logic assesses
against a clock. Summaries depend only on a file's bytes, so they are cached by the
sha256 of those bytes in `<registry>/.stillhouse/fleet-cache`: a file that changes
gets a new key, and a cache written by another harness or standards version is ignored
wholesale. A report is checked against its entry's manifest (provenance, verdict inputs,
bars) from both files' full contents; the outcome is cached under both files' hashes, so
the summaries need not carry the verdict inputs. Nothing time-dependent is cached.
Failures are never cached, so their messages always name the file as it is now.

Files are parsed with the one safe YAML reader (`harness._yaml`, libyaml underneath) and
validated once; anything it refuses goes through `load_project`, whose error names the
file, field and line.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic_core import from_json, to_json

import standards
from standards import (
    CURRENT_VERSION,
    VERSIONS,
    expected_provenance,
    is_placeholder,
    model_pin,
    provenance_mismatches,
)

from .._errors import ManifestError, first_line
from .._io import STATE_DIR
from .._yaml import parse_yaml
from ..project import MANIFEST_NAMES

CACHE_FORMAT = "4"
CACHE_FILE = STATE_DIR / "fleet-cache"
#: Where format 3 and older kept it (as one JSON document); removed when the cache is saved.
OLD_CACHE_FILE = STATE_DIR / "fleet-cache.json"
ENTRY_FILE = "entry.yaml"
MODELS_DIR = "models"
#: Files are summarised in worker processes from this many entries on.
PARALLEL_MIN = 400
#: A folder holding one of these is a registry; one holding none is not read as one.
REGISTRY_MARKERS = ("teachers.yaml", "people.yaml", "registry.yaml", MODELS_DIR)
#: What an error says it expected where a registry was named.
A_REGISTRY = f"a registry folder ({', '.join(REGISTRY_MARKERS[:-1])}, {MODELS_DIR}/)"


def not_a_registry(folder: Path) -> str | None:
    """What ``folder`` holds instead of a registry (None: it is one, holding one of
    `REGISTRY_MARKERS`), said for an `InputError`."""
    if not folder.exists():
        return "nothing at that path"
    if not folder.is_dir():
        return "a file"
    if any((folder / m).exists() for m in REGISTRY_MARKERS):
        return None
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    if any(n in MANIFEST_NAMES for n in names):
        return "a Stillhouse project (it has a manifest)"
    return ("an empty folder" if not names
            else f"a folder with none of them ({', '.join(names[:4])}{', …' if len(names) > 4 else ''})")


def may_become_registry(folder: Path) -> bool:
    """Whether `stillhouse publish` may create a registry in ``folder``: it does not exist, or
    holds nothing but hidden entries (a new git repository's `.git`)."""
    return not folder.exists() or (folder.is_dir() and all(p.name.startswith(".") for p in folder.iterdir()))


def fast_yaml(raw: bytes, resolved: dict[str, Any] | None = None) -> Any:
    """Parse a registry file's YAML safely; raise ValueError on anything `read_yaml_file`
    would refuse (the caller then asks the full loader for the line-numbered error).
    ``resolved``: see `parse_yaml`."""
    try:
        return parse_yaml(raw, "(registry file)", resolved=resolved)[0]
    except ManifestError as exc:
        raise ValueError(str(exc)) from None


# --- summaries (pure functions of bytes) -------------------------------------------------


BarKey = tuple[str, str, str, "float | None", "float | None", int]


@dataclass(frozen=True)
class ManifestSummary:
    """The fleet's view of one manifest: what the assessment reads, nothing time-dependent."""

    name: str
    description: str | None
    owner: str | None
    team: str | None
    backup: str | None
    status: str
    created: str
    end_date: str | None
    replacement: str | None
    retired_on: str | None
    retirement_reason: str | None
    declared_version: str
    teacher_family: str | None
    teacher_pin: str
    student_pin: str
    teacher_change: bool
    cadence_days: int | None
    life: list[str]


@dataclass(frozen=True)
class ReportSummary:
    """The fleet's view of one eval report, its receipt already re-checked against itself."""

    project: str
    teacher_pin: str
    standards_version: str
    finished_at: str
    verdict: str                 # re-derived from the report's own figures
    tampered: list[str]          # where the report contradicts its own figures
    teacher_only: bool
    canonical_sha256: str
    signature: dict[str, str] | None
    slices: list[dict[str, Any]]


@dataclass(frozen=True)
class DriftDigest:
    """The fleet's view of one drift record."""

    project: str
    computed_at: str
    student_pin: str | None
    metric: str
    max_drop: float | None
    fired: bool
    reason: str
    window_end: str | None
    baseline: float | None
    value: float | None
    low: float | None
    high: float | None
    drop: float | None
    slice_psi_max: float | None
    length_psi: float | None


@dataclass(frozen=True)
class VerdictCheck:
    """Why one report is not current for one manifest (empty when it is): its provenance or
    its verdict inputs differ from the manifest's, or it judged other bars. A function of
    both files' bytes, so it is cached under both hashes (`check_key`)."""

    republish: list[str]


@dataclass(frozen=True)
class _Receipt:
    """What a verdict check compares, from one manifest or one report. Never cached: the
    full verdict inputs would be most of the cache, and only the check's outcome is reused."""

    bar_keys: list[list[Any]]
    verdict_inputs: dict[str, Any] | None
    provenance: dict[str, Any]   # a report's recorded provenance; a manifest's expected one
    project: str


Summary = ManifestSummary | ReportSummary | DriftDigest | VerdictCheck
_CLASSES: dict[str, type[ManifestSummary] | type[ReportSummary] | type[DriftDigest] | type[VerdictCheck]] = {
    "manifest": ManifestSummary, "report": ReportSummary, "drift": DriftDigest, "check": VerdictCheck}


def check_key(manifest_sha256: str, report_sha256: str) -> str:
    """The cache key of the verdict check of one report against one manifest."""
    return f"check:{manifest_sha256}:{report_sha256}"


def bar_keys(manifest: Any) -> list[list[Any]]:
    """Every (slice, metric, level, minimum, max drop, min examples) the manifest's bars ask for."""
    names = [s.name for s in manifest.slices]
    out = []
    for bar in manifest.quality_bars:
        for name in (["all", *names] if bar.slice == "*" else [bar.slice]):
            out.append([name, bar.metric.value, bar.level.value, bar.minimum, bar.max_drop_vs_teacher,
                        bar.min_examples])
    return out


def manifest_summary(raw: bytes, resolved: dict[str, Any] | None = None) -> tuple[ManifestSummary, _Receipt]:
    """The fleet's view of one manifest, and what a report's receipt is checked against.
    Raises ValueError / pydantic errors when the fast path refuses it (the caller then asks
    `load_project` for the full error). ``resolved``: see `parse_yaml`."""
    from standards.receipts import verdict_inputs

    data = fast_yaml(raw, resolved)
    if not isinstance(data, dict):
        raise ValueError("not a mapping")
    version = data.get("standards_version")
    if not isinstance(version, str) or version not in VERSIONS:
        raise ValueError("unknown version")
    # a current manifest is validated once; an older one against its own version, then migrated
    m: Any = standards.Manifest.model_validate(data) if version == CURRENT_VERSION else standards.parse_manifest(data)
    lc = m.lifecycle
    ctx = standards.CheckContext(manifest=m, project_dir=Path("."), manifest_file=Path("."), raw=data,
                                 declared_version=version)
    life = []
    for rid in ("LIFE-001", "LIFE-002"):
        res = standards.CHECKS[rid](ctx)
        if res.status == "fail":
            life.append(f"{rid}: {res.detail}")
    o = m.owner
    summary = ManifestSummary(
        name=m.name, description=getattr(m, "description", None),
        owner=None if is_placeholder(o.handle) else o.handle, team=None if is_placeholder(o.team) else o.team,
        backup=None if (o.backup is None or is_placeholder(o.backup)) else o.backup,
        status=lc.status.value, created=lc.created.isoformat(),
        end_date=lc.end_date.isoformat() if lc.end_date else None, replacement=lc.replacement,
        retired_on=lc.retired_on.isoformat() if lc.retired_on else None, retirement_reason=lc.retirement_reason,
        declared_version=version, teacher_family=m.teacher.family, teacher_pin=model_pin(m.teacher),
        student_pin=model_pin(m.student), teacher_change=m.triggers.teacher_change,
        cadence_days=m.triggers.cadence_days, life=life,
    )
    return summary, _Receipt(bar_keys=bar_keys(m), verdict_inputs=verdict_inputs(m),
                             provenance=expected_provenance(m), project=m.name)


def report_summary(raw: bytes) -> tuple[ReportSummary, _Receipt]:
    """The fleet's view of one eval report, and its receipt; raises pydantic's ValidationError
    if it is not one. Whether the report contradicts its own figures depends on its bytes
    alone, so it is judged here, once per content."""
    from standards.receipts import canonical_bytes, self_check

    r = standards.EvalReport.model_validate_json(raw)
    p = r.provenance
    verdict, tampered = self_check(r)
    receipt = _Receipt(
        bar_keys=[[b.slice, b.metric, b.level, b.minimum, b.max_drop_vs_teacher, b.min_examples] for b in r.gate.bars],
        verdict_inputs=p.verdict_inputs, project=r.project,
        provenance={"teacher_pin": p.teacher_pin, "student_sha256": p.student_sha256,
                    "eval_set_sha256": p.eval_set_sha256, "standards_version": p.standards_version})
    return ReportSummary(
        project=r.project, teacher_pin=p.teacher_pin, standards_version=p.standards_version,
        finished_at=p.finished_at.isoformat(), verdict=verdict, tampered=tampered, teacher_only=r.teacher_only,
        # only a signature needs the canonical bytes (an unsigned report fails a signing registry anyway)
        canonical_sha256=hashlib.sha256(canonical_bytes(r)).hexdigest() if r.signature else "",
        signature={"key_id": r.signature.key_id, "value": r.signature.value} if r.signature else None,
        slices=[{"name": s.name, "n": s.n,
                 "student_accuracy": s.student_accuracy.value if s.student_accuracy else None,
                 "teacher_accuracy": s.teacher_accuracy.value if s.teacher_accuracy else None,
                 "agreement": s.agreement.value if s.agreement else None}
                for s in r.slices],
    ), receipt


def drift_summary(raw: bytes) -> tuple[DriftDigest, None]:
    """The fleet's view of one drift record (it has no receipt)."""
    rec = standards.DriftRecord.model_validate_json(raw)
    last = next((w for w in reversed(rec.windows) if w.assessable), None)
    latest = rec.windows[-1] if rec.windows else None
    baseline = rec.baseline.agreement if rec.metric == "agreement" else rec.baseline.accuracy
    est = None if last is None else (last.agreement if rec.metric == "agreement" else last.accuracy)
    drop = None if last is None else (last.agreement_drop if rec.metric == "agreement" else last.accuracy_drop)
    digest = DriftDigest(
        project=rec.project, computed_at=rec.computed_at.isoformat(), student_pin=rec.baseline.student_pin,
        metric=rec.metric, max_drop=rec.max_drop, fired=rec.fired, reason=rec.reason,
        window_end=last.end.isoformat() if last else None, baseline=baseline.value if baseline else None,
        value=est.value if est else None, low=est.low if est else None, high=est.high if est else None, drop=drop,
        slice_psi_max=latest.slice_psi_max if latest else None, length_psi=latest.length_psi if latest else None,
    )
    return digest, None


def verdict_check(manifest: _Receipt, report: _Receipt) -> VerdictCheck:
    """Why the report is not current for the manifest: provenance (pins, eval set, name)
    first, then the verdict inputs or bars that changed since it was written."""
    from standards.receipts import stale_against

    return VerdictCheck(
        provenance_mismatches(report.provenance, report.project, manifest.provenance)
        + stale_against(report.bar_keys, report.verdict_inputs, manifest.bar_keys, manifest.verdict_inputs or {}))


SUMMARISERS: dict[str, Callable[[bytes], tuple[Summary, _Receipt | None]]] = {
    "manifest": manifest_summary, "report": report_summary, "drift": drift_summary}
Result = tuple[Summary | None, str | None]
_S = TypeVar("_S", ManifestSummary, ReportSummary, DriftDigest, VerdictCheck)
_KINDS = {ManifestSummary: "manifest", ReportSummary: "report", DriftDigest: "drift"}


def summary_of(summaries: dict[str, Result], cls: type[_S], sha256: str) -> tuple[_S | None, str | None]:
    """The summary of one file (by its bytes' hash), as ``cls``, or (None, why it has none);
    for a `VerdictCheck`, ``sha256`` is its `check_key`."""
    found, err = summaries[sha256 if cls is VerdictCheck else f"{_KINDS[cls]}:{sha256}"]
    return (found if isinstance(found, cls) else None), err


def _summarise(kind: str, raw: bytes, resolved: dict[str, Any]) -> tuple[Result, _Receipt | None]:
    try:
        summary, receipt = manifest_summary(raw, resolved) if kind == "manifest" else SUMMARISERS[kind](raw)
    except Exception as exc:  # noqa: BLE001 - any refusal becomes a listed problem
        return (None, _short_error(exc)), None
    return (summary, None), receipt


def _short_error(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        errs = exc.errors(include_url=False)
        parts = []
        for e in errs[:5]:
            loc = ".".join(str(x) for x in e["loc"]) or "(document)"
            parts.append(f"{loc}: {e['msg']}")
        more = f" (+{len(errs) - 5} more)" if len(errs) > 5 else ""
        return "; ".join(parts) + more
    return first_line(exc)


# --- the registry on disk -----------------------------------------------------------------


@dataclass
class FileRef:
    """One file the fleet reads: where it is and its bytes' hash."""

    path: str
    sha256: str
    raw: bytes = field(repr=False, default=b"")


@dataclass
class EntryFiles:
    """What one `models/<entry>/` folder holds (paths as strings: 10,000 of these cross a
    process boundary in a big fleet, and strings pickle fast)."""

    name: str
    dir: str
    manifest: FileRef | None = None
    project_dir: str | None = None
    pointer: bool = False
    report: FileRef | None = None
    history: list[FileRef] = field(default_factory=list)
    drift: FileRef | None = None
    problems: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # (message, file, field)

    def check_key(self) -> str | None:
        """The cache key of the check of this entry's report against its manifest (None
        without both)."""
        return check_key(self.manifest.sha256, self.report.sha256) if self.manifest and self.report else None

    def files(self) -> list[tuple[str, FileRef]]:
        """(summary kind, file) for every file the fleet reads from this entry."""
        out: list[tuple[str, FileRef]] = []
        if self.manifest:
            out.append(("manifest", self.manifest))
        if self.report:
            out.append(("report", self.report))
        out += [("report", h) for h in self.history]
        if self.drift:
            out.append(("drift", self.drift))
        return out


def _ref(path: str) -> FileRef:
    with open(path, "rb", buffering=0) as f:  # read whole at once: a buffer would only be copied
        raw = f.read()
    return FileRef(path, hashlib.sha256(raw).hexdigest(), raw)


def _listing(folder: str) -> dict[str, bool]:
    """name -> is a folder, for every entry of ``folder`` (empty when it does not exist)."""
    try:
        with os.scandir(folder) as it:
            return {e.name: e.is_dir() for e in it}
    except (FileNotFoundError, NotADirectoryError):
        return {}


def _json_files(folder: str) -> list[str]:
    return sorted(os.path.join(folder, n) for n, is_dir in _listing(folder).items()
                  if n.endswith(".json") and not n.startswith(".") and not is_dir)


def scan_entry(entry_dir: str | Path) -> EntryFiles:
    """Find the files of one registry entry; record what is missing as problems.

    Plain `os` calls on strings: this runs once per model, 10,000 times in a big fleet."""
    d = str(entry_dir)
    ent = EntryFiles(name=os.path.basename(d), dir=d)
    names = _listing(d)
    manifests = [n for n in MANIFEST_NAMES if n in names]
    has_pointer = ENTRY_FILE in names
    if len(manifests) + has_pointer > 1:
        ent.problems.append((f"holds both {' and '.join(manifests + ([ENTRY_FILE] if has_pointer else []))}; "
                             "keep one", d, None))
        return ent
    if manifests:
        ent.manifest = _ref(os.path.join(d, manifests[0]))
        ent.project_dir = d
    elif has_pointer:
        ent.pointer = True
        pointer = Path(d) / ENTRY_FILE
        target = _read_pointer(ent, pointer)
        if target is None:
            return ent
        ent.project_dir = str(target if target.is_dir() else target.parent)
        mfile = target if target.is_file() else next(
            (target / n for n in MANIFEST_NAMES if (target / n).is_file()), None)
        if mfile is None:
            ent.problems.append((f"entry.yaml points at {target}, which has no {MANIFEST_NAMES[0]}"
                                 if target.exists() else f"entry.yaml points at {target}, which does not exist",
                                 str(pointer), "project"))
            return ent
        ent.manifest = _ref(str(mfile))
    else:
        ent.problems.append((f"no {MANIFEST_NAMES[0]} and no {ENTRY_FILE}: nothing is registered here", d, None))
        return ent
    report = None
    if names.get(standards.REPORT_DIR):
        candidate = os.path.join(d, standards.REPORT_DIR, "report.json")
        if os.path.isfile(candidate):
            report = candidate
    if report is None and ent.pointer and ent.project_dir is not None:
        candidate = os.path.join(ent.project_dir, standards.REPORT_DIR, "report.json")
        if os.path.isfile(candidate):
            report = candidate
    if report is not None:
        ent.report = _ref(report)
    if names.get("reports"):
        ent.history = [_ref(p) for p in _json_files(os.path.join(d, "reports"))]
    drift_files = _json_files(os.path.join(d, "drift")) if names.get("drift") else []
    if ent.pointer and ent.project_dir is not None and ent.project_dir != d:
        drift_files += _json_files(os.path.join(ent.project_dir, "drift"))
    if drift_files:
        ent.drift = _ref(max(drift_files, key=os.path.basename))
    return ent


def _read_pointer(ent: EntryFiles, path: Path) -> Path | None:
    from pydantic import ValidationError

    from .._yaml import read_yaml_file

    try:
        data, _, _ = read_yaml_file(path)
        entry = standards.RegistryEntry.model_validate(data)
    except ManifestError as exc:
        for p in exc.problems:
            ent.problems.append((f"expected {p.expected}; found {p.found}", str(path), p.field or None))
        return None
    except ValidationError as exc:
        ent.problems.append((_short_error(exc), str(path), None))
        return None
    target = Path(entry.project)
    if not target.is_absolute():
        target = (path.parent / target).resolve()
    return target


def entry_dirs(registry: Path) -> list[str]:
    """The entry folders under `models/`, sorted by name (hidden ones skipped)."""
    models = os.path.join(registry, MODELS_DIR)
    return [os.path.join(models, n) for n, is_dir in sorted(_listing(models).items())
            if is_dir and not n.startswith(".")]


# --- scanning here, summarising in worker processes when the fleet is big ------------------

@dataclass
class Work:
    """What one batch of entries needs computed: the summary of each file not in the cache
    yet (kind, key, bytes), and the check of each report against its manifest not in the
    cache yet (key, then the manifest's and the report's file key and bytes; no bytes for a
    file whose summary is in `files` too, which leaves its receipt on the way). Plain bytes
    and strings: this crosses a process boundary."""

    files: list[tuple[str, str, bytes]] = field(default_factory=list)
    checks: list[tuple[str, tuple[str, bytes], tuple[str, bytes]]] = field(default_factory=list)


def _scan_batch(dirs: list[str], cache: SummaryCache) -> tuple[list[EntryFiles | tuple[str, str]], Work,
                                                              dict[str, Summary]]:
    """Scan entry folders (reading and hashing their files): the entries (keeping no bytes),
    the work for what the cache does not hold, and what it does hold, decoded."""
    entries: list[EntryFiles | tuple[str, str]] = []
    hits: dict[str, Summary] = {}

    def known(key: str) -> bool:
        if key not in hits:
            hit = cache.get(key)
            if hit is None:
                return False
            hits[key] = hit
        return True

    todo: dict[str, list[tuple[str, str, bytes]]] = {kind: [] for kind in SUMMARISERS}
    work = Work()
    queued: set[str] = set()
    for d in dirs:
        try:
            ent = scan_entry(d)
        except OSError as exc:
            entries.append((d, f"unreadable: {exc.strerror or exc}"))
            continue
        entries.append(ent)
        for kind, ref in ent.files():
            key = f"{kind}:{ref.sha256}"
            if key not in queued and not known(key):
                queued.add(key)
                todo[kind].append((kind, key, ref.raw))
        check = ent.check_key()
        if check is not None and check not in queued and not known(check):
            assert ent.manifest is not None and ent.report is not None
            queued.add(check)
            mkey, rkey = f"manifest:{ent.manifest.sha256}", f"report:{ent.report.sha256}"
            # a file summarised in this batch leaves its receipt there: its bytes go once
            work.checks.append((check, (mkey, b"" if mkey in queued else ent.manifest.raw),
                                (rkey, b"" if rkey in queued else ent.report.raw)))
        for _, ref in ent.files():
            ref.raw = b""
    # each kind of work in a stretch: the manifests, then the reports, then the drift records
    work.files = [job for kind in SUMMARISERS for job in todo[kind]]
    return entries, work, hits


def _compute(work: Work) -> dict[str, Result]:
    """The summaries and checks ``work`` asks for (in a worker process, or here)."""
    computed: dict[str, Result] = {}
    receipts: dict[str, _Receipt | None] = {}
    resolved: dict[str, Any] = {}  # YAML scalars, shared by this batch's manifests only
    for kind, key, raw in work.files:
        computed[key], receipts[key] = _summarise(kind, raw, resolved)
    for check, (mkey, mraw), (rkey, rraw) in work.checks:
        manifest = _receipt("manifest", mkey, mraw, receipts, resolved)
        report = _receipt("report", rkey, rraw, receipts, resolved)
        if manifest is not None and report is not None:  # else the unreadable file is the problem
            computed[check] = _check(manifest, report)
    return computed


def _receipt(kind: str, key: str, raw: bytes, receipts: dict[str, _Receipt | None],
             resolved: dict[str, Any]) -> _Receipt | None:
    """The receipt of a file summarised in this batch, else read again from its bytes (its
    summary came from the cache, which keeps no receipts)."""
    if key not in receipts:
        receipts[key] = _summarise(kind, raw, resolved)[1]
    return receipts[key]


def _check(manifest: _Receipt, report: _Receipt) -> Result:
    try:
        return verdict_check(manifest, report), None
    except Exception as exc:  # noqa: BLE001 - the assessment reports it; the report then is not current
        return None, _short_error(exc)


_BATCH = 256
#: One scanned entry folder (or the folder and why it is unreadable), and summaries that
#: hold those of its files and the check of its report against its manifest.
Scanned = tuple[EntryFiles | tuple[str, str], dict[str, Result]]


def scan_registry(dirs: list[str], cache: SummaryCache) -> Generator[Scanned, None, None]:
    """Every entry folder scanned (or `(folder, problem)` when unreadable), in order, each
    with summaries (or error messages) that hold those of every file it holds and the check
    of its report against its manifest when both are readable.

    This process reads and hashes the files; what the cache does not hold yet is parsed
    and checked by forked worker processes, one per core, when the registry is big, while
    the caller assesses the batches already done. Results are identical either way. Close
    the iterator (`contextlib.closing`) to stop the workers when not reading it to the end."""
    from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor

    # fork is missing on Windows and unsafe on macOS: elsewhere than Linux, one process
    linux = sys.platform.startswith("linux")
    cores = min(len(os.sched_getaffinity(0)), 8) if linux else 1  # the cores this process may use
    parallel = len(dirs) >= PARALLEL_MIN and cores >= 2
    pool: ProcessPoolExecutor | None = None
    pending: deque[tuple[list[EntryFiles | tuple[str, str]], Work, dict[str, Summary],
                         Future[dict[str, Result]] | None]] = deque()

    def finish() -> Iterator[Scanned]:
        entries, work, hits, future = pending.popleft()
        computed = None
        if future is not None:
            try:
                computed = future.result()
            except BrokenExecutor:  # a worker died: this batch here
                pass
        if computed is None:
            computed = _compute(work)
        summaries = cache.absorb(entries, hits, computed)
        return ((e, summaries) for e in entries)

    try:
        for start in range(0, len(dirs), _BATCH):
            entries, work, hits = _scan_batch(dirs[start:start + _BATCH], cache)
            future = None
            if parallel and (work.files or work.checks):
                try:
                    if pool is None:  # started on the first work: a warm cache needs none
                        import multiprocessing as mp

                        pool = ProcessPoolExecutor(max_workers=cores, mp_context=mp.get_context("fork"))
                    future = pool.submit(_compute, work)
                except BrokenExecutor:  # a worker died: the rest here
                    parallel = False
            pending.append((entries, work, hits, future))
            # a few batches in flight per worker keep them busy; the rest waits unread
            while len(pending) > (2 * cores if pool is not None else 0):
                yield from finish()
        while pending:
            yield from finish()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


# --- the cache ------------------------------------------------------------------------------


class SummaryCache:
    """Summaries keyed by `<kind>:<sha256 of the bytes>`, and verdict checks keyed by
    `check:<manifest sha256>:<report sha256>`; a miss is computed and kept.

    On disk, a seal line, a header line (`{"stamp": ...}`), then one line per entry: its
    key, a tab and the summary's JSON. The seal is an HMAC of everything after it, keyed
    with the signing key when one is set (`STILLHOUSE_SIGNING_KEY`), else a plain checksum.
    A cache whose seal does not match is discarded whole and the files are read again: an
    edited summary is never believed over the report it summarises.

    In memory the entries stay as their JSON bytes and are decoded one batch of entry
    folders at a time (`get`): bytes are not tracked by the garbage collector, while tens of
    thousands of summary objects would be walked by every full collection of a big fleet."""

    def __init__(self, path: Path | None):
        from standards.receipts import signing_key

        self.path = path
        self.stamp = code_stamp()
        self.key = signing_key() or b"stillhouse-fleet-cache"
        self.data: dict[str, bytes] = {}
        self.used: set[str] = set()
        self.dirty = False
        self.discarded: str | None = None
        if path is not None and path.is_file():
            try:
                self.data = self._load(path.read_bytes())
            except (OSError, ValueError, UnicodeDecodeError):
                self.data = {}

    def _seal(self, body: bytes) -> bytes:
        import hmac

        return hmac.new(self.key, body, hashlib.sha256).hexdigest().encode()

    def _load(self, raw: bytes) -> dict[str, bytes]:
        seal, _, body = raw.partition(b"\n")
        if not hmac_equal(seal, self._seal(body)):
            self.discarded = "its seal does not match its content (edited, torn, or made with another key)"
            return {}
        header, _, lines = body.partition(b"\n")
        doc = json.loads(header)
        if not isinstance(doc, dict) or doc.get("stamp") != self.stamp:
            return {}
        data = {}
        for line in lines.splitlines():
            key, tab, summary = line.partition(b"\t")
            if not tab or key.split(b":", 1)[0].decode() not in _CLASSES:
                raise ValueError("not a cache entry")
            data[key.decode()] = summary
        return data

    def get(self, key: str) -> Summary | None:
        """The summary cached under ``key``, decoded; None when there is none (or it does not
        decode, when it is dropped and the file summarised again)."""
        raw = self.data.get(key)
        if raw is None:
            return None
        try:
            return _CLASSES[key.split(":", 1)[0]](**from_json(raw))
        except (ValueError, TypeError):
            del self.data[key]
            return None

    def absorb(self, entries: Iterable[EntryFiles | tuple[str, str]], hits: dict[str, Summary],
               computed: dict[str, Result]) -> dict[str, Result]:
        """Keep the newly computed summaries (failures are never kept) and return the summary
        of every file the entries hold, and the check of every readable report against its
        manifest, from ``hits`` (the cache's, decoded) or ``computed``."""
        out: dict[str, Result] = {}
        for ent in entries:
            if isinstance(ent, tuple):
                continue
            keys = [f"{kind}:{ref.sha256}" for kind, ref in ent.files()]
            check = ent.check_key()
            if check is not None and (check in hits or check in computed):  # absent: a side is unreadable
                keys.append(check)
            for key in keys:
                if key in out:
                    continue
                hit = hits.get(key)
                if hit is not None:
                    out[key] = (hit, None)
                    self.used.add(key)
                    continue
                res = computed[key]
                out[key] = res
                if res[0] is not None:
                    # to_json writes a summary dataclass as dataclasses.asdict would, without a copy
                    self.data[key] = to_json(res[0])
                    self.used.add(key)
                    self.dirty = True
        return out

    def stale(self) -> bool:
        """Whether `save()` has anything to write: new summaries, or entries no longer used."""
        return self.path is not None and (self.dirty or set(self.data) != self.used)

    def save(self) -> None:
        """Write the entries used this run (sealed, atomically); a read-only registry just skips it."""
        if self.path is None or not self.stale():
            return
        from .._io import atomic_write_bytes

        body = b"\n".join([json.dumps({"stamp": self.stamp}).encode(),
                           *(key.encode() + b"\t" + self.data[key] for key in sorted(self.used))]) + b"\n"
        try:
            atomic_write_bytes(self.path, self._seal(body) + b"\n" + body, durable=False)
            (self.path.parent / OLD_CACHE_FILE.name).unlink(missing_ok=True)
        except OSError:
            pass


def hmac_equal(a: bytes, b: bytes) -> bool:
    import hmac

    return hmac.compare_digest(a, b)


def code_stamp() -> str:
    """Identifies the code that makes summaries: this module and every `standards` module.
    Any edit to either (a new schema field, a changed check) invalidates the whole cache."""
    h = hashlib.sha256(f"{CACHE_FORMAT}/{CURRENT_VERSION}".encode())
    for p in [*sorted(Path(__file__).parent.glob("*.py")), *sorted(Path(standards.__file__).parent.rglob("*.py"))]:
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()
