"""Wall time of `stillhouse fleet` on a generated registry of 1,000 and 10,000 models.

    .venv/bin/python benchmarks/fleet_scale.py [--sizes 1000 10000] [--runs 3]
    .venv/bin/python benchmarks/fleet_scale.py --sizes 10000 --against f9b2839   # side by side
    .venv/bin/python benchmarks/fleet_scale.py --per-file 1000 --runs 5   # CPU per file, step by step

With `--against REV`, the code of git revision REV (checked out into a temporary worktree)
is timed on the same registry, its cold runs alternating with this checkout's, and the
ratio of the medians is printed. A third set of runs takes REV's code with its garbage-
collector switches made no-ops, its exit through `os._exit` made a normal one and its
forked writers run in the main process (tricks this checkout may not use), so what they
were worth is measured apart from the rest. That registry is built from REV's demo fleet,
which both versions can read; this checkout is also timed on a registry built from its own
demo fleet, as each version's figure in its README was.

Builds each registry in a temporary folder from the demo fleet's entries (every model a
manifest copy with its latest report; a tenth with a drift record; states mixed: healthy,
teacher moved, cadence elapsed, orphaned, retired, failing gate), then times the whole
process, side by side with a bare `python -c pass`:

* cold:     a run on a registry without a summary cache (it writes one); --runs times,
* warm:     later runs (the cache holds every file's summary; files are still read and hashed),
* no-cache: `--no-cache`, every file parsed and validated again.

The target: at most 4 s for 10,000 models cold on 2 cores (figures: docs/internals/performance.md).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _worktree import worktree  # the benchmarks' own folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo-fleet"
TEMPLATES = ["ticket-router", "intent-classifier", "spam-filter", "language-id", "sentiment-v1",
             "review-sentiment", "faq-answer-ranker"]


def build_registry(root: Path, n: int, demo: Path = DEMO) -> None:
    for f in ("teachers.yaml", "people.yaml"):
        shutil.copy(demo / f, root / f)
    (root / "registry.yaml").write_text("as_of: 2026-11-28\n")
    templates = []
    for name in TEMPLATES:
        d = demo / "models" / name
        manifest = (d / "stillhouse.yaml").read_text()
        report = (d / "report" / "report.json").read_text()
        record = next(iter(sorted((d / "drift").glob("*.json"))), None) if (d / "drift").is_dir() else None
        templates.append((name, manifest, report, record.read_text() if record else None))
    for i in range(n):
        name, manifest, report, drift = templates[i % len(templates)]
        new = f"{name}-{i:05d}"
        d = root / "models" / new
        (d / "report").mkdir(parents=True)
        (d / "stillhouse.yaml").write_text(manifest.replace(f"name: {name}\n", f"name: {new}\n"))
        (d / "report" / "report.json").write_text(report.replace(f'"project": "{name}"', f'"project": "{new}"'))
        if drift and i % 10 == 0:
            (d / "drift").mkdir()
            (d / "drift" / "drift-20261128T000000Z.json").write_text(
                drift.replace(f'"project": "{name}"', f'"project": "{new}"'))


CPU: list[float] = []  # CPU seconds (user + system) of each timed run, children included


def _time(cmd: list[str], code: Path = ROOT) -> float:
    """Wall seconds of one run of the code in ``code``; its CPU seconds go to CPU (less
    sensitive to a busy machine)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, cwd=code, env={**os.environ, "PYTHONPATH": str(code)})
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.decode()[-2000:]}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--against", metavar="REV", default=None,
                    help="also time the code of this git revision, side by side, on the same registry")
    ap.add_argument("--per-file", type=int, metavar="N", default=None,
                    help="instead, time each step of summarising N entries' files, in this process")
    args = ap.parse_args()
    if args.against:
        return side_by_side(args.sizes, args.runs, args.against)
    if args.per_file:
        return per_file(args.per_file, args.runs)
    bare = statistics.median(_time([sys.executable, "-c", "pass"]) for _ in range(5))
    print(f"cores: {os.cpu_count()}; python start-up: {bare * 1000:.0f} ms")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            reg = Path(tmp) / "registry"
            reg.mkdir()
            t0 = time.perf_counter()
            build_registry(reg, n)
            built = time.perf_counter() - t0
            os.sync()  # the new files reach the disk now, not in the kernel's writeback during a timed run
            out = Path(tmp) / "out"
            cmd = [sys.executable, "-m", "harness", "fleet", str(reg), "--out", str(out)]
            colds = []
            for _ in range(args.runs):  # each one on a registry without its summary cache
                shutil.rmtree(reg / ".stillhouse", ignore_errors=True)
                colds.append(_time(cmd))
            print(f"{n:>6} models, cold runs: {' '.join(f'{c:.2f}' for c in colds)}")
            cold, cold_max = statistics.median(colds), max(colds)
            cold_cpu = statistics.median(CPU[-args.runs:])
            warm = statistics.median(_time(cmd) for _ in range(args.runs))
            warm_cpu = statistics.median(CPU[-args.runs:])
            nocache = statistics.median(_time([*cmd, "--no-cache"]) for _ in range(args.runs))
            size = sum(f.stat().st_size for f in reg.rglob("*") if f.is_file())
            digest = hashlib.sha256((out / "fleet.json").read_bytes()).hexdigest()[:12]
            print(f"{n:>6} models ({size / 1e6:.0f} MB, built in {built:.1f} s): "
                  f"cold {cold:.2f} s (slowest {cold_max:.2f}), warm {warm:.2f} s (medians of {args.runs}), "
                  f"no-cache {nocache:.2f} s; warm/start-up {warm / bare:.0f}x; fleet.json {digest}")
            print(f"{'':>6} CPU seconds (user+sys, all processes): cold {cold_cpu:.2f}, warm {warm_cpu:.2f}; "
                  f"load average now {os.getloadavg()[0]:.1f}")
            cores = len(os.sched_getaffinity(0))
            # no run can beat its CPU shared perfectly by the cores: what a cold run's wall time is bound by
            print(f"{'':>6} cold CPU / {cores} cores = {cold_cpu / cores:.2f} s, the least a cold run can take here")


def per_file(n: int, runs: int) -> None:
    """Microseconds per file of each step a fleet worker takes for an entry it has no summary
    of, on N entries of a registry from the demo fleet, in this process (best of ``runs``
    passes, each over every file): where a cold run's CPU goes, step by step."""
    sys.path.insert(0, str(ROOT))
    import standards
    from harness._yaml import parse_yaml
    from harness.fleet import _registry as reg
    from standards.receipts import self_check, verdict_inputs

    def timed(label: str, step: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        best = float("inf")
        for _ in range(runs):
            t0 = time.perf_counter()
            for x in items:  # each result dropped, as a worker drops what it has summarised
                step(x)
            best = min(best, time.perf_counter() - t0)
        print(f"{label:<58} {best / len(items) * 1e6:8.1f} µs")
        return [step(x) for x in items]  # kept for the next step, untimed

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_registry(root, n)
        dirs = reg.entry_dirs(root)
        manifests = [Path(d, "stillhouse.yaml").read_bytes() for d in dirs]
        reports = [Path(d, "report", "report.json").read_bytes() for d in dirs]
    print(f"{n} entries: a manifest and a report each (mean {sum(map(len, manifests)) / n:.0f} and "
          f"{sum(map(len, reports)) / n:.0f} bytes); per file:")
    resolved: dict[str, Any] = {}
    timed("hash the file's bytes (main process)",
          lambda raw: hashlib.sha256(raw).hexdigest(), manifests + reports)
    datas = timed("manifest: YAML, scalars shared across the batch",
                  lambda raw: parse_yaml(raw, "m", resolved=resolved)[0], manifests)
    models = timed("manifest: validated (standards.Manifest)", standards.Manifest.model_validate, datas)
    timed("manifest: verdict inputs (receipt)", verdict_inputs, models)
    timed("manifest: bar keys (receipt)", reg.bar_keys, models)
    timed("manifest: whole summary and receipt", lambda raw: reg.manifest_summary(raw, resolved), manifests)
    parsed = timed("report: validated (standards.EvalReport)", standards.EvalReport.model_validate_json, reports)
    timed("report: verdict re-derived from its figures (self-check)", self_check, parsed)
    timed("report: whole summary and receipt", reg.report_summary, reports)
    pairs = [(reg.manifest_summary(m, resolved)[1], reg.report_summary(r)[1]) for m, r in zip(manifests, reports)]
    timed("report checked against its manifest", lambda pair: reg.verdict_check(*pair), pairs)


#: Runs `python -m harness` with the collector switches (`gc.disable`, `gc.freeze`) made
#: no-ops, `os._exit` in the main process turned into a normal exit (forked children keep the
#: real one) and `harness._io.in_background`, where a revision has it, running its writer in
#: the main process instead of a forked child. So an older revision that used them is timed as
#: it would run without them.
WITHOUT_TRICKS = """
import gc, os, runpy, sys
gc.disable = gc.freeze = lambda: None
real_exit, main_pid = os._exit, os.getpid()
def normal_exit(code):
    if os.getpid() != main_pid:
        real_exit(code)
    raise SystemExit(code)
os._exit = normal_exit
try:
    import harness._io as io
except ImportError:
    io = None
if io is not None and hasattr(io, "in_background"):
    def in_foreground(work):
        work()
        return lambda: None
    io.in_background = in_foreground
sys.argv[0] = "stillhouse"
runpy.run_module("harness", run_name="__main__", alter_sys=True)
"""


def side_by_side(sizes: list[int], runs: int, rev: str) -> None:
    """Cold runs of REV's code, REV's code without its collector switches, fast exit and
    forked writers, and this checkout's, alternating, on one registry per size built from
    REV's demo fleet; and this checkout's on a registry built from its own demo fleet, whose
    manifests declare the current standards (no migration on reading) and whose reports
    carry receipts."""
    with tempfile.TemporaryDirectory() as tmp, worktree(rev, Path(tmp) / "old") as old:
        print(f"cores: {os.cpu_count()}; this checkout vs {rev}")
        for n in sizes:
            reg, own = Path(tmp) / f"registry-{n}", Path(tmp) / f"registry-{n}-own"
            reg.mkdir()
            own.mkdir()
            build_registry(reg, n, demo=old / "examples" / "demo-fleet")
            build_registry(own, n)
            os.sync()
            times: dict[str, list[float]] = {"new": [], "old": [], "bare": [], "own": []}
            cpu: dict[str, list[float]] = {w: [] for w in times}
            for _ in range(runs):
                for which, code, where in (("old", old, reg), ("bare", old, reg), ("new", ROOT, reg),
                                           ("own", ROOT, own)):
                    shutil.rmtree(where / ".stillhouse", ignore_errors=True)
                    run = ["-c", WITHOUT_TRICKS] if which == "bare" else ["-m", "harness"]
                    times[which].append(_time([sys.executable, *run, "fleet", str(where), "--out",
                                               str(Path(tmp) / f"out-{which}")], code))
                    cpu[which].append(CPU[-1])
            new, prev, bare, mine = (statistics.median(times[w]) for w in ("new", "old", "bare", "own"))
            c = {w: statistics.median(v) for w, v in cpu.items()}

            def runs_of(w: str) -> str:
                return " ".join(f"{x:.2f}" for x in times[w])

            print(f"{n:>6} models cold: this checkout {runs_of('new')} s, {rev} {runs_of('old')} s; "
                  f"medians {new:.2f} vs {prev:.2f} s: {new / prev:.2f}x")
            print(f"{'':>6} {rev} without its collector switches, os._exit and forked writers: "
                  f"{runs_of('bare')} s; median {bare:.2f} s; this checkout {new / bare:.2f}x that")
            print(f"{'':>6} this checkout on its own demo fleet's registry (current standards, receipts): "
                  f"{runs_of('own')} s; median {mine:.2f} s; {mine / bare:.2f}x {rev} without its tricks (on its own)")
            print(f"{'':>6} CPU seconds (medians, all processes): this checkout {c['new']:.2f} ({c['own']:.2f} on its "
                  f"own registry), {rev} {c['old']:.2f}, without its tricks {c['bare']:.2f}")

if __name__ == "__main__":
    main()
