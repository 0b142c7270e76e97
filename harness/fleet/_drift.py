"""Drift monitoring: a production sample, window by window, against the eval baseline.

Per window of `monitoring.window_days`:

* agreement of the student with the teacher on the spot-checked rows (those with a
  `teacher_output`), with a Wilson 95% interval, against the report's agreement on `all`;
* accuracy on feedback labels (rows with a `label`), likewise against the report's accuracy;
* the slice mix: each declared slice's share of the rows, the population stability index
  (PSI) of each slice's in/out share against the eval set, and the Jensen-Shannon distance
  of the normalised mix;
* input length: the PSI of the word-count histogram against the eval set (deciles of the
  reference as bins), and the mean.

The trigger fires when, in the latest window with enough evidence, the trigger metric is
more than `triggers.drift.max_drop` below the baseline *and* the window's upper 95% bound
is below the baseline (so sampling noise alone does not fire it). `docs/fleet/drift.md`
explains the choices. Pure Python: no torch, no numpy.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import standards
from standards import (
    DriftBaseline,
    DriftRecord,
    DriftWindow,
    Estimate,
    EvalReport,
    file_sha256,
    report_mismatches,
    slice_masks,
)
from standards.tabular import TableError, read_rows

from .. import _stats as S
from .._errors import InputError, ManifestError, Problem, first_line
from .._time import UTC, parse_time
from ..project import Project

MIN_SPOT_CHECKS = 30
PSI_MODERATE, PSI_MAJOR = 0.1, 0.25
LENGTH_BINS = 5  # quantile bins of the reference input lengths
DRIFT_DIR = "drift"


# --- statistics (definitions in `harness._stats`) ------------------------------------------


def wilson(k: int, n: int) -> Estimate:
    """A proportion k/n with its Wilson 95% interval, as a report `Estimate`."""
    low, high = S.wilson(k, n)
    return Estimate(value=k / n, low=low, high=high, method=f"{S.WILSON} 95%")


def length_bins(reference: list[int], bins: int = LENGTH_BINS) -> list[float]:
    """Upper edges of up to ``bins`` quantile bins of the reference lengths (ties merged)."""
    return S.quantile_edges(reference, bins)


# --- reading the production sample ---------------------------------------------------------


#: Production timestamps outside these bounds are refused: windows are computed by adding
#: days to them, and a typo like year 9999 must be an error naming the row, not an overflow.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=UTC)


def _when(value: Any) -> dt.datetime:
    if isinstance(value, bool):
        raise ValueError("a boolean")
    try:
        if isinstance(value, (int, float)):
            t = dt.datetime.fromtimestamp(float(value), tz=UTC)
        else:
            t = parse_time(value)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(str(exc) or "out of range") from None
    if not EARLIEST <= t < LATEST:
        raise ValueError(f"outside {EARLIEST.year}-{LATEST.year}")
    return t


def _answer_problem(value: Any, labels: list[str] | None) -> str | None:
    """Why ``value`` is not an answer (a label of the manifest's, or text), or None."""
    if not isinstance(value, str):
        return "text"
    if labels and value.strip() not in labels:
        return f"one of the manifest's labels ({', '.join(labels[:8])}{', …' if len(labels) > 8 else ''})"
    return None


def read_production(path: Path, input_field: str, labels: list[str] | None = None) -> list[dict[str, Any]]:
    """Rows of a production sample (JSONL or Parquet), each with a parsed `_t` timestamp.

    Required per row: `timestamp` (ISO 8601 or epoch seconds), the input (`input` or the
    eval set's input column) and `output` (the student's answer). Optional: `teacher_output`
    (spot-checked rows), `label` (feedback), and any columns the slice rules read. The input
    is text; every answer is text, and one of ``labels`` when given: a malformed spot-check
    or feedback label would count as a disagreement and could fire the trigger."""
    name = str(path)
    if not path.is_file():
        raise ManifestError([Problem(name, "", "a production sample (JSONL or Parquet)", "no such file")])
    if path.suffix.lower() not in (".jsonl", ".ndjson", ".parquet"):
        raise ManifestError([Problem(name, "", "a .jsonl or .parquet file", f"a {path.suffix or 'suffixless'} file")])
    try:
        rows = read_rows(path)
    except (TableError, UnicodeDecodeError) as exc:
        raise ManifestError([Problem(name, "", "a readable production sample", str(exc))]) from None
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors for a broken Parquet file
        raise ManifestError([Problem(name, "", "a readable Parquet file", first_line(exc))]) from None
    problems: list[Problem] = []
    for i, r in enumerate(rows):
        where = f"row {i + 1}"
        if "input" not in r and input_field in r:
            r["input"] = r[input_field]
        r.setdefault(input_field, r.get("input"))
        for f in ("timestamp", "input", "output"):
            if r.get(f) is None:
                problems.append(Problem(name, f"{where}.{f}", "a value (required column)", "nothing"))
        if r.get("input") is not None and (not isinstance(r["input"], str) or not r["input"].strip()):
            problems.append(Problem(name, f"{where}.input", "non-empty text", repr(r["input"])[:80]))
        for f in ("output", "teacher_output", "label"):
            if r.get(f) is not None:
                why = _answer_problem(r[f], labels)
                if why:
                    problems.append(Problem(name, f"{where}.{f}", why, repr(r[f])[:80]))
        if r.get("timestamp") is not None:
            try:
                r["_t"] = _when(r["timestamp"])
            except ValueError as exc:
                problems.append(Problem(name, f"{where}.timestamp", "an ISO 8601 time or epoch seconds",
                                        f"{r['timestamp']!r} ({exc})"[:120]))
        if len(problems) >= 20:
            break
    if problems:
        raise ManifestError(problems)
    if not rows:
        raise ManifestError([Problem(name, "", "at least one production row", "an empty file")])
    rows.sort(key=lambda r: r["_t"])
    return rows


# --- the computation ----------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    return str(a).strip() == str(b).strip()


def _baseline_report(project: Project) -> EvalReport:
    """The project's report, validated and re-checked: the baseline a drift record compares with."""
    from standards.checks import ReportError, read_report
    from standards.receipts import recheck

    path = project.dir / standards.REPORT_DIR / "report.json"
    if not path.is_file():
        raise InputError(f"{path}: drift needs the eval baseline, and there is no report: run `stillhouse eval` first")
    try:
        report = read_report(path)
    except ReportError as exc:
        raise ManifestError([Problem(exc.file, exc.field, exc.expected, exc.found)]) from None
    if report.teacher_only:
        raise InputError(f"{path}: a teacher-only report has no student figures to compare production with: "
                         "run `stillhouse eval` on the student first")
    bad = report_mismatches(report, project.manifest) + recheck(report, project.manifest).tampered
    if bad:
        raise InputError(f"{path}: the report is not about this model, so it cannot be the baseline: " + "; ".join(bad))
    return report


def compute_drift(project: Project, production: Path, *, now: dt.datetime | None = None,
                  min_spot_checks: int = MIN_SPOT_CHECKS) -> DriftRecord:
    """Compare a production sample with the project's eval report, window by window."""
    m = project.manifest
    report = _baseline_report(project)
    input_field = m.eval_set.fields.input
    labels = list(m.labels) if m.task.value == "classification" and m.labels else None
    rows = read_production(Path(production), input_field, labels)
    later = 0
    if now is not None:  # as of ``now``: rows logged after it are not yet part of the record
        kept = [r for r in rows if r["_t"] <= now]
        later = len(rows) - len(kept)
        if not kept:
            raise ManifestError([Problem(str(production), "", f"rows logged at or before {now:%Y-%m-%d %H:%M} UTC",
                                         f"all {len(rows)} rows later (first {rows[0]['_t']:%Y-%m-%d %H:%M})")])
        rows = kept
    slices_by_name = {s.name: s for s in report.slices}
    all_n = slices_by_name["all"].n if "all" in slices_by_name else 0
    base_shares = {s.name: (slices_by_name[s.name].n / all_n if s.name in slices_by_name and all_n else 0.0)
                   for s in m.slices}
    base_all = slices_by_name.get("all")
    base_agree = base_all.agreement if base_all is not None else None
    base_acc = base_all.student_accuracy if base_all is not None else None

    # the input-length reference: the eval set when it is readable and pinned, else the first window
    eval_rows = project.check_context().eval_rows()
    ref_lengths: list[int] | None = None
    length_ref = "none"
    if eval_rows:
        ref_lengths = [len(str(r.get(input_field, "")).split()) for r in eval_rows]
        length_ref = "eval_set"

    drift = m.triggers.drift
    metric = drift.metric if drift else "agreement"
    max_drop = drift.max_drop if drift else None
    width = dt.timedelta(days=m.monitoring.window_days)
    t0 = dt.datetime.combine(rows[0]["_t"].date(), dt.time(), tzinfo=UTC)
    buckets: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        buckets.setdefault(int((r["_t"] - t0) / width), []).append(r)

    windows = []
    for idx in sorted(buckets):
        wr = buckets[idx]
        if ref_lengths is None:
            ref_lengths = [len(str(r["input"]).split()) for r in wr]
            length_ref = "first_window"
        windows.append(_window(wr, t0 + idx * width, t0 + (idx + 1) * width, m, input_field, base_shares,
                               base_agree, base_acc, ref_lengths, metric, max_drop, min_spot_checks))

    last = next((w for w in reversed(windows) if w.assessable), None)
    fired = bool(last and last.fired)
    reason = _reason(last, metric, max_drop, base_agree if metric == "agreement" else base_acc, min_spot_checks)
    if later:
        reason += f" ({later} row(s) logged after {now:%Y-%m-%d %H:%M} UTC left out)"
    prov = report.provenance
    return DriftRecord(
        project=m.name, computed_at=(now or dt.datetime.now(UTC)).replace(microsecond=0),
        production_file=_shown(Path(production), project.dir), production_sha256=file_sha256(Path(production)),
        window_days=m.monitoring.window_days, metric=metric, max_drop=max_drop, min_spot_checks=min_spot_checks,
        baseline=DriftBaseline(
            report_finished_at=prov.finished_at, teacher_pin=prov.teacher_pin,
            student_pin=standards.model_pin(m.student), agreement=base_agree, accuracy=base_acc,
            slice_shares={k: round(v, 6) for k, v in base_shares.items()}, length_reference=length_ref,  # type: ignore[arg-type]
            mean_words=round(sum(ref_lengths) / len(ref_lengths), 3) if ref_lengths else None),
        windows=windows, fired=fired, reason=reason,
    )


def _window(wr: list[dict[str, Any]], start: dt.datetime, end: dt.datetime, m: Any, input_field: str,
            base_shares: dict[str, float], base_agree: Estimate | None, base_acc: Estimate | None,
            ref_lengths: list[int], metric: str, max_drop: float | None, min_n: int) -> DriftWindow:
    spot = [r for r in wr if r.get("teacher_output") is not None]
    labelled = [r for r in wr if r.get("label") is not None]
    agreement = wilson(sum(_same(r["output"], r["teacher_output"]) for r in spot), len(spot)) if spot else None
    accuracy = wilson(sum(_same(r["output"], r["label"]) for r in labelled), len(labelled)) if labelled else None
    a_drop = round(base_agree.value - agreement.value, 6) if agreement and base_agree else None
    c_drop = round(base_acc.value - accuracy.value, 6) if accuracy and base_acc else None

    masks = slice_masks(m.slices, wr, input_field)
    shares = {s.name: round(sum(masks[s.name]) / len(wr), 6) for s in m.slices}
    spsi = {k: S.binary_psi(base_shares[k], v) for k, v in shares.items()}
    js = S.js_distance([base_shares[k] for k in shares], list(shares.values())) if shares else None
    lengths = [len(str(r["input"]).split()) for r in wr]
    edges = length_bins(ref_lengths)
    lpsi = S.psi(S.histogram(ref_lengths, edges), S.histogram(lengths, edges))

    est, base, drop, n = ((agreement, base_agree, a_drop, len(spot)) if metric == "agreement"
                          else (accuracy, base_acc, c_drop, len(labelled)))
    assessable = est is not None and base is not None and n >= min_n
    fired = bool(assessable and max_drop is not None and drop is not None and drop > max_drop
                 and est is not None and base is not None and est.high is not None and est.high < base.value)
    notes = []
    smax = max(spsi.values()) if spsi else None
    if smax is not None and smax >= PSI_MODERATE:
        worst = max(spsi, key=lambda k: spsi[k])
        notes.append(f"slice mix moved: {worst} is {shares[worst]:.1%} of traffic vs {base_shares[worst]:.1%} "
                     f"in the eval set (PSI {smax:.3f}, {'major' if smax >= PSI_MAJOR else 'moderate'})")
    # PSI of two samples of the same distribution is about (bins - 1) * (1/n + 1/m): with a few
    # hundred rows that alone reaches 0.1, so a shift is flagged only at twice that noise floor.
    floor = (len(edges)) * (1 / len(ref_lengths) + 1 / len(lengths))
    if lpsi >= max(PSI_MODERATE, 2 * floor):
        notes.append(f"input length moved: PSI {lpsi:.3f} ({'major' if lpsi >= PSI_MAJOR else 'moderate'}; "
                     f"noise floor {floor:.3f})")
    if not assessable and est is not None:
        notes.append(f"{n} {'spot-checks' if metric == 'agreement' else 'feedback labels'}: too few to judge "
                     f"(need {min_n})")
    return DriftWindow(
        start=start, end=end, rows=len(wr), spot_checks=len(spot), agreement=agreement, agreement_drop=a_drop,
        feedback_labels=len(labelled), accuracy=accuracy, accuracy_drop=c_drop, slice_shares=shares,
        slice_psi=spsi, slice_psi_max=smax, slice_js=js, mean_words=round(sum(lengths) / len(lengths), 3),
        length_psi=lpsi, assessable=assessable, fired=fired, notes=notes,
    )


def _shown(path: Path, project_dir: Path) -> str:
    """The sample's path relative to the project when it lies inside it (records stay portable)."""
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def _reason(last: DriftWindow | None, metric: str, max_drop: float | None, base: Estimate | None, min_n: int) -> str:
    if max_drop is None:
        return "the manifest sets no drift trigger (triggers.drift)"
    if base is None:
        return f"the eval report has no {metric} on `all` to compare with"
    if last is None:
        return f"no window has {min_n} or more {'spot-checks' if metric == 'agreement' else 'feedback labels'} yet"
    est = last.agreement if metric == "agreement" else last.accuracy
    drop = last.agreement_drop if metric == "agreement" else last.accuracy_drop
    n = last.spot_checks if metric == "agreement" else last.feedback_labels
    assert est is not None and drop is not None
    what = (f"{metric} {est.value:.3f} [{est.low:.3f}, {est.high:.3f}] on {n} "
            f"{'spot-checks' if metric == 'agreement' else 'labels'} in the window ending {last.end.date()}")
    if last.fired:
        return f"{what} is {drop:.3f} below the eval baseline {base.value:.3f} (threshold {max_drop})"
    if drop > max_drop:
        return f"{what} is {drop:.3f} below the baseline {base.value:.3f}, but the interval reaches it: not yet significant"
    return f"{what}: within {max_drop} of the eval baseline {base.value:.3f}"


def write_drift_record(record: DriftRecord, folder: Path) -> Path:
    """Write ``record`` into ``folder`` as `drift-<UTC time>.json`, atomically."""
    from .._io import atomic_write_text

    stamp = record.computed_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return atomic_write_text(Path(folder) / f"drift-{stamp}.json", record.model_dump_json(indent=2) + "\n")


def registry_entry_for(registry: Path, name: str) -> Path:
    """The registry entry folder of the model ``name`` (by folder name, else by manifest name)."""
    from ..project import MANIFEST_NAMES
    from ._registry import entry_dirs, fast_yaml

    direct = registry / "models" / name
    if direct.is_dir():
        return direct
    for d in map(Path, entry_dirs(registry)):
        for fname in MANIFEST_NAMES:
            f = d / fname
            if f.is_file():
                try:
                    data = fast_yaml(f.read_bytes())
                except ValueError:
                    continue
                if isinstance(data, dict) and data.get("name") == name:
                    return d
    raise InputError(f"{registry}: no registry entry for model {name!r} under models/")
