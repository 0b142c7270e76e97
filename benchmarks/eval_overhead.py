"""Overhead of `harness.evaluate` against a bare batched torch loop, in one process.

    .venv/bin/python benchmarks/eval_overhead.py [--rows 10000] [--repeats 3] [--batch-size 32]
    .venv/bin/python benchmarks/eval_overhead.py --project examples/worked-example   # a real pair
    .venv/bin/python benchmarks/eval_overhead.py --against f9b2839   # the cached re-run, side by side

Builds a temporary project with a small local transformer pair (a 4-layer BERT teacher and
a 1-layer BERT student, built from configs and saved as safetensors) and an eval set of
ROWS rows; or, with --project, copies a classification project whose teacher and student
are local models (the worked example: all-MiniLM-L6-v2 and its 1M-parameter student) and
uses its eval set. Then, on the same models, eval set and batch size, after one warm-up round,
alternating REPEATS times:

  (a) harness.evaluate(project, use_cache=False): everything the report needs, teacher run fresh
  (b) a bare loop: load tokenizer + model, tokenize, forward, softmax, argmax, teacher and student
  (c) harness.evaluate(project): the cached re-run (teacher outputs from the cache)
  (d) the bare loop over the student alone

Everything runs on --threads torch threads (default 1): on a shared machine a
multi-threaded run waits on descheduled threads and its times swing by several x.

and prints the medians with the ratios (a)/(b) and (c)/(d). Targets: both ≤ 1.10.
It then splits the harness's time into its batched passes (adapter time, from the
report's throughput), the batch-size-1 latency calls and everything else.
It then times the teacher and the student at batch size 1 with an independent
`time.perf_counter` loop on the same thread count, right before and right after a report's
own measurement, --pairs times (9), and compares the report's p50 with the mean of the two
loops' (target: within 10%); --latency-calls (300) calls each, in the report and in the loops.
Ratios and differences are medians of each round's or pair's own, since things timed back to
back share the machine's load; the loop on both sides of the report cancels a drift in the
machine's speed during a pair, and how far the two loops differ from each other is printed as
the floor under any report-vs-loop difference.

With `--against REV`, the code of git revision REV (checked out into a temporary worktree)
and this checkout each run the cached re-run (c) against the bare student loop (d), in
processes of their own that alternate (--processes, 5 each; --repeats rounds in each, after a
warm-up), each on its own copy of the toy project; it prints both codes' round ratios, their
medians and the difference, and each code's seconds of (c) and (d) with the time the garbage
collector ran during each (observed through `gc.callbacks`, never switched). A third set of
processes runs REV's code with its garbage-collector switches (`gc.freeze`, `gc.disable`)
made no-ops, which this checkout may not use, so the difference they made is measured apart
from the rest.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _tiny_bert import tiny_bert  # noqa: E402  the benchmarks' own folder is on sys.path
from _worktree import worktree  # noqa: E402

LABELS = ["billing", "technical", "account", "shipping"]
VOCAB = {
    "billing": "refund invoice charge payment card bill receipt fee price".split(),
    "technical": "crash error login sync upload blank screen update freeze".split(),
    "account": "password email profile delete user locked merge name factor".split(),
    "shipping": "parcel package delivery tracking damaged box courier address ship".split(),
}
FILLER = "please my the help now again hi thanks team quick question is not working today".split()


def build_project(root: Path, rows: int) -> Path:
    import yaml

    from standards import artifact_sha256, file_sha256

    rng = random.Random(0)
    data = []
    for k in range(rows):
        label = LABELS[k % 4]
        words = [rng.choice(FILLER) for _ in range(rng.randint(2, 10))] + [rng.choice(VOCAB[label])]
        rng.shuffle(words)
        data.append({"id": f"r{k:06d}", "text": " ".join(words), "label": label})
    (root / "data").mkdir(parents=True)
    (root / "data" / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in data))
    words = {w for ws in VOCAB.values() for w in ws} | set(FILLER)
    for name, hidden, layers, seed in (("teacher", 128, 4, 1), ("student", 32, 1, 2)):
        tiny_bert(root / name, words, LABELS, hidden=hidden, layers=layers, heads=4, intermediate=hidden * 4, seed=seed)
    manifest = {
        "standards_version": "1.1", "name": "overhead-bench", "task": "classification", "labels": LABELS,
        "owner": {"handle": "bench", "team": "platform", "backup": "bench2"},
        "teacher": {"kind": "local", "path": "teacher/", "sha256": artifact_sha256(root / "teacher")},
        "student": {"kind": "local", "path": "student/", "sha256": artifact_sha256(root / "student")},
        "eval_set": {"path": "data/eval.jsonl", "sha256": file_sha256(root / "data" / "eval.jsonl"), "rows": rows},
        "slices": [{"name": "short", "rule": {"text_length": {"max_words": 5}}}],
        "quality_bars": [{"slice": "*", "metric": "agreement", "minimum": 0.0, "min_examples": 1}],
        "cost_model": {"usd_per_hour": 0.4},
        "lifecycle": {"status": "experimental", "created": "2026-11-01"},
    }
    (root / "stillhouse.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


def bare_loop(folders: list[Path], texts: list[str], batch_size: int, limits: dict[Path, int]) -> list[list[str]]:
    """What someone would write by hand: load, tokenize per batch, forward, softmax, argmax."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    answers = []
    for folder in folders:
        max_length = limits[folder]
        tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True,
                                                                   use_safetensors=True).eval()
        out: list[str] = []
        for i in range(0, len(texts), batch_size):
            enc = tok(texts[i:i + batch_size], padding=True, truncation=True, max_length=max_length,
                      return_tensors="pt")
            with torch.inference_mode():
                probs = torch.softmax(model(**enc).logits.float(), dim=-1)
            out += [model.config.id2label[j] for j in probs.argmax(-1).tolist()]
        answers.append(out)
    return answers


def copy_project(src: Path, dst: Path) -> Path:
    """A copy of ``src`` without its caches and report; its models must be `teacher/` and
    `student/` folders, as the bare loop loads them from there."""
    import shutil

    import yaml

    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".stillhouse", "report", "__pycache__"))
    m = yaml.safe_load((dst / "stillhouse.yaml").read_text())
    for role in ("teacher", "student"):
        if m[role].get("kind") != "local" or m[role]["path"].strip("/") != role:
            raise SystemExit(f"--project: {role} must be a local model in {role}/")
        if not (dst / role).is_dir():
            raise SystemExit(f"--project: {src / role} is missing (for the worked example: make example)")
    return dst


def eval_texts(project: Path) -> list[str]:
    """The eval set's inputs, as the harness reads them."""
    from harness import load_project
    from harness.eval import load_eval_set

    return load_eval_set(load_project(project), use_cache=False).inputs


def bare_latency_seconds(folder: Path, texts: list[str], calls: int, max_length: int = 32) -> float:
    """Seconds a hand-written batch-size-1 latency loop takes (3 warm-ups + ``calls`` calls,
    the harness's protocol), model already loaded: the model work the report's latency
    figures cost, whoever measures them."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True,
                                                               use_safetensors=True).eval()
    t0 = time.perf_counter()
    for k in range(3 + calls):
        enc = tok([texts[k % len(texts)]], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        with torch.inference_mode():
            torch.softmax(model(**enc).logits.float(), dim=-1).argmax(-1).tolist()
    return time.perf_counter() - t0


def token_limits(project: Path) -> dict[Path, int]:
    """The token limit the harness applies to each local model of ``project`` (the manifest's
    `distillation.max_length`, else the model's own), so the bare loop truncates alike."""
    from harness import load_project
    from harness.eval.adapters import make_adapter
    from harness.eval import settings_of

    p = load_project(project)
    out = {}
    for role in ("teacher", "student"):
        adapter = make_adapter(role, getattr(p.manifest, role), settings_of(p.manifest), p.dir)
        adapter.load()
        out[project / role] = adapter.max_length
    return out


def perf_counter_latency(project: Path, role: str, texts: list[str], calls: int, threads: int,
                         bare: bool, max_length: int = 32) -> tuple[float, float]:
    """p50 and p95 in ms of `calls` batch-size-1 calls after 3 warm-ups, timed by this loop.

    bare=False times the harness's own adapter call (checks the harness's timing);
    bare=True times a hand-written model call (shows what the adapter adds per call)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from harness import load_project
    from harness.eval.adapters import make_adapter
    from harness.eval import settings_of
    from harness._stats import percentile

    folder = project / role
    if bare:
        tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True,
                                                                   use_safetensors=True).eval()
    else:
        p = load_project(project)
        adapter = make_adapter(role, getattr(p.manifest, role), settings_of(p.manifest), p.dir)
        adapter.load()
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        def one(text: str) -> None:
            if not bare:
                adapter.predict(["x"], [text])
                return
            enc = tok([text], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
            with torch.inference_mode():
                torch.softmax(model(**enc).logits.float(), dim=-1).argmax(-1).tolist()

        for t in texts[:3]:
            one(t)
        ms = []
        for k in range(calls):
            t0 = time.perf_counter()
            one(texts[k % len(texts)])
            ms.append((time.perf_counter() - t0) * 1000)
    finally:
        torch.set_num_threads(before)
    return percentile(ms, 50), percentile(ms, 95)


def cached_rounds(code: Path, project: Path, rounds: int, threads: int, batch_size: int,
                  collector_switches: bool = True) -> None:
    """In this process, with ``code``'s harness: after a warm-up, ``rounds`` times (c) then
    (d); prints the round ratios as one JSON line. Without ``collector_switches``, the
    code's calls that switch the garbage collector off or freeze its heap do nothing, so
    an older revision that made them is timed as it would run without them."""
    if not collector_switches:
        import gc

        # a measurement only: this worker process runs nothing else
        gc.disable = gc.freeze = gc.enable = gc.unfreeze = lambda: None  # type: ignore[assignment]
    sys.path.insert(0, str(code))  # ahead of this checkout: `import harness` takes CODE's
    import torch

    torch.set_num_threads(threads)
    import harness

    assert Path(harness.__file__).resolve().is_relative_to(code.resolve()), harness.__file__
    # The eval set as written (build_project's rows): an older harness has other module paths.
    texts = [json.loads(line)["text"] for line in (project / "data" / "eval.jsonl").read_text().splitlines()]
    limits = {project / "student": 32}
    # An older harness may not know `latency_threads`; one torch thread is its default then.
    kw = {"latency_threads": threads} if "latency_threads" in harness.evaluate.__code__.co_varnames else {}
    harness.evaluate(project, out_dir=project / "report", batch_size=batch_size, **kw)    # fills the cache
    bare_loop([project / "student"], texts, batch_size, limits)
    import gc

    # Observed, not changed: how long the collector ran during each (c), and whether a full
    # (oldest-generation) collection was among its runs.
    collecting: dict[str, float] = {}
    spent: list[tuple[int, float]] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting["since"] = time.perf_counter()
        else:
            spent.append((info["generation"], time.perf_counter() - collecting["since"]))

    def timed(run: Callable[[], object]) -> tuple[float, float, int]:
        """Seconds of ``run``, seconds of them the collector ran, and its full collections."""
        gc.callbacks.append(note)
        spent.clear()
        t0 = time.perf_counter()
        run()
        took = time.perf_counter() - t0
        gc.callbacks.remove(note)
        return took, sum(s for _, s in spent), sum(g == 2 for g, _ in spent)

    out: dict[str, list[float]] = {k: [] for k in ("ratios", "c", "d", "gc", "full", "gc_d", "full_d")}
    for _ in range(rounds):
        c, gc_c, full_c = timed(lambda: harness.evaluate(project, out_dir=project / "report",
                                                          batch_size=batch_size, **kw))
        d, gc_d, full_d = timed(lambda: bare_loop([project / "student"], texts, batch_size, limits))
        for k, v in zip(("c", "gc", "full", "d", "gc_d", "full_d", "ratios"),
                        (c, gc_c, full_c, d, gc_d, full_d, c / d)):
            out[k].append(v)
    print(json.dumps(out))


def side_by_side(rev: str, rows: int, rounds: int, processes: int, threads: int, batch_size: int) -> None:
    """(c)/(d) of REV's code and this checkout's, in alternating processes, each on its own copy."""
    import shutil
    import subprocess

    with tempfile.TemporaryDirectory(prefix="stillhouse-bench-") as tmp, worktree(rev, Path(tmp) / "old") as old:
        base = build_project(Path(tmp) / "base", rows)
        projects = {}
        for which in ("old", "new"):
            projects[which] = Path(tmp) / "projects" / which
            shutil.copytree(base, projects[which])
        projects["bare"] = Path(tmp) / "projects" / "bare"
        shutil.copytree(base, projects["bare"])
        ratios: dict[str, list[float]] = {"new": [], "old": [], "bare": []}
        parts = ("c", "d", "gc", "full", "gc_d", "full_d")
        seconds: dict[str, dict[str, list[float]]] = {w: {k: [] for k in parts} for w in ratios}
        # "bare": REV's code with its collector switches made no-ops (f9b2839 froze the heap
        # inside evaluate; the restructure removed that), so the switch's share is measured
        for _ in range(processes):
            for which, code in (("old", old), ("bare", old), ("new", ROOT)):
                proc = subprocess.run([sys.executable, __file__, "--worker", str(code), str(projects[which]),
                                       "--repeats", str(rounds), "--threads", str(threads),
                                       "--batch-size", str(batch_size)]
                                      + (["--no-collector-switches"] if which == "bare" else []),
                                      capture_output=True, text=True, cwd=str(code))
                if proc.returncode:
                    raise SystemExit(f"{which} worker failed:\n{proc.stderr[-3000:]}")
                out = json.loads(proc.stdout.strip().splitlines()[-1])
                ratios[which] += out["ratios"]
                for part in parts:
                    seconds[which][part] += out[part]
        collector_free = {w: statistics.median([(c - g) / (d - gd) for c, g, d, gd in zip(
            sec["c"], sec["gc"], sec["d"], sec["gc_d"])]) for w, sec in seconds.items()}
        print(f"cached re-run (c) against the bare student loop (d), {rows:,} rows, {threads} torch thread(s); "
              f"{processes} alternating processes per code, {rounds} rounds each:")
        for which, label in (("new", "this checkout"), ("old", rev),
                             ("bare", f"{rev}, its garbage-collector switches made no-ops")):
            print(f"  {label}: median {statistics.median(ratios[which]):.3f}; rounds "
                  + " ".join(f"{r:.2f}" for r in ratios[which]))
            sec = seconds[which]
            print(f"    (c) median {statistics.median(sec['c']):.3f} s, mean {statistics.fmean(sec['c']):.3f} s; "
                  f"(d) median {statistics.median(sec['d']):.3f} s in the same processes")
            print(f"    the collector ran {statistics.fmean(sec['gc']):.3f} s per (c) on average (a full collection "
                  f"in {sum(f > 0 for f in sec['full'])} of {len(sec['full'])}) and {statistics.fmean(sec['gc_d']):.3f} s "
                  f"per (d) ({sum(f > 0 for f in sec['full_d'])} of {len(sec['full_d'])}); (c)+(d) per round median "
                  f"{statistics.median([c + d for c, d in zip(sec['c'], sec['d'])]):.3f} s; without the collector's "
                  f"time, (c) median {statistics.median([c - g for c, g in zip(sec['c'], sec['gc'])]):.3f} s and "
                  f"(c)/(d) median {collector_free[which]:.3f}")
        new, prev, bare = (statistics.median(ratios[w]) for w in ("new", "old", "bare"))
        print(f"  difference: {new - prev:+.3f} (this checkout minus {rev}); "
              f"{new - bare:+.3f} (this checkout minus {rev} without its collector switches)")
        free = collector_free
        print(f"  without the collector's time: {free['new'] - free['old']:+.3f} (this checkout minus {rev}); "
              f"{free['new'] - free['bare']:+.3f} (minus {rev} without its collector switches)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--pairs", type=int, default=9,
                    help="report-against-loop latency pairs (single pairs on a shared machine differ by "
                         "tens of percent)")
    ap.add_argument("--latency-calls", type=int, default=300,
                    help="batch-size-1 calls in each report and each independent loop of the latency pairs "
                         "(the harness's default is 100; more calls, a steadier p50 on both sides)")
    ap.add_argument("--against", metavar="REV", default=None,
                    help="time the cached re-run of REV's code and this checkout's side by side")
    ap.add_argument("--processes", type=int, default=5, help="processes per code with --against")
    ap.add_argument("--worker", nargs=2, metavar=("CODE", "PROJECT"), help=argparse.SUPPRESS)
    ap.add_argument("--no-collector-switches", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads for everything (1: stable timings on a shared machine)")
    ap.add_argument("--project", type=Path, default=None,
                    help="a classification project with local teacher/ and student/ folders to use instead "
                         "of the generated pair (e.g. examples/worked-example, after `make example`)")
    args = ap.parse_args()

    if args.worker:
        cached_rounds(Path(args.worker[0]), Path(args.worker[1]), args.repeats, args.threads, args.batch_size,
                      collector_switches=not args.no_collector_switches)
        return
    if args.against:
        side_by_side(args.against, args.rows, args.repeats, args.processes, args.threads, args.batch_size)
        return

    import torch

    torch.set_num_threads(args.threads)

    import harness

    with tempfile.TemporaryDirectory(prefix="stillhouse-bench-") as tmp:
        if args.project is None:
            project = build_project(Path(tmp) / "project", args.rows)
        else:
            project = copy_project(args.project, Path(tmp) / "project")
        texts = eval_texts(project)
        args.rows = len(texts)
        out = Path(tmp) / "out"
        folders = [project / "teacher", project / "student"]
        limits = token_limits(project)

        def timed(fn):  # noqa: ANN001, ANN202
            t0 = time.perf_counter()
            result = fn()
            return time.perf_counter() - t0, result

        runs = {"a": [], "b": [], "c": [], "d": []}
        for rep in range(args.repeats + 1):  # round 0 warms up imports and caches
            ta, rep_a = timed(lambda: harness.evaluate(project, use_cache=False, out_dir=out,
                                                       batch_size=args.batch_size, latency_threads=args.threads))
            tb, bare = timed(lambda: bare_loop(folders, texts, args.batch_size, limits))
            tc, rep_c = timed(lambda: harness.evaluate(project, out_dir=out, batch_size=args.batch_size,
                                                       latency_threads=args.threads))
            td, _ = timed(lambda: bare_loop(folders[1:], texts, args.batch_size, limits))
            assert rep_c.teacher.from_cache and not rep_a.teacher.from_cache
            if rep:
                for k, v in zip("abcd", (ta, tb, tc, td)):
                    runs[k].append(v)
            print(f"round {rep}{' (warm-up)' if rep == 0 else ''}: a {ta:.2f}s  b {tb:.2f}s  c {tc:.2f}s  d {td:.2f}s",
                  flush=True)
        med = {k: statistics.median(v) for k, v in runs.items()}

        def ratio(x: str, y: str) -> float:
            return statistics.median(a / b for a, b in zip(runs[x], runs[y]))
        # the harness and the bare loop agree on every answer
        agree = rep_a.slices[0].agreement.value
        bare_agree = sum(t == s for t, s in zip(*bare)) / len(texts)
        print()
        print(f"device: {rep_a.provenance.device}; torch {torch.__version__}; {args.rows} rows; "
              f"batch size {args.batch_size}; medians of {args.repeats}")
        print(f"teacher {rep_a.teacher.parameters:,} parameters, student {rep_a.student.parameters:,}")
        print(f"(a) harness.evaluate, fresh teacher      {med['a']:7.2f} s")
        print(f"(b) bare loop, teacher + student        {med['b']:7.2f} s")
        print(f"    ratio (a)/(b)                       {ratio('a', 'b'):7.3f}   target ≤ 1.10 (rounds' median)")
        print(f"(c) harness.evaluate, cached teacher     {med['c']:7.2f} s")
        print(f"(d) bare loop, student only             {med['d']:7.2f} s")
        print(f"    ratio (c)/(d)                       {ratio('c', 'd'):7.3f}   target ≤ 1.10 (rounds' median)")
        print(f"agreement: harness {agree:.4f}, bare loop {bare_agree:.4f}")
        # What the overhead is made of: the report's batch-size-1 latency figures need
        # 3 + `calls` single-example calls per model, model work a bare batched loop skips.
        lat_t = bare_latency_seconds(project / "teacher", texts, rep_a.teacher.latency.calls, limits[folders[0]])
        lat_s = bare_latency_seconds(project / "student", texts, rep_a.student.latency.calls, limits[folders[1]])
        print()
        print(f"fixed cost per run: (a)-(b) {med['a'] - med['b']:.2f} s, (c)-(d) {med['c'] - med['d']:.2f} s; of which "
              f"batch-size-1 latency calls, timed bare: teacher {lat_t:.2f} s, student {lat_s:.2f} s")
        print(f"    with those calls counted as model work: (a)/(b+lat) {med['a'] / (med['b'] + lat_t + lat_s):.3f}, "
              f"(c)/(d+lat) {med['c'] / (med['d'] + lat_s):.3f}")
        # Where a cached re-run's time goes: the student's batched pass as the harness times
        # it (adapter time only, from the report's throughput), its latency calls, the rest.
        # The harness batches rows of similar length and tokenizes each chunk once, so its
        # pass does less work than the bare loop's; the rest is its bookkeeping.
        n = args.rows
        pass_c = n / rep_c.student.latency.throughput_per_s
        pass_a = sum(n / getattr(rep_a, r).latency.throughput_per_s for r in ("teacher", "student"))
        print(f"harness batched passes (adapter time, last round): (a) teacher + student {pass_a:.2f} s, "
              f"(c) student {pass_c:.2f} s")
        print(f"    everything else in (a): {ta - pass_a - lat_t - lat_s:.2f} s; in (c): {tc - pass_c - lat_s:.2f} s "
              f"(loading, hashing, reading the eval set and the cache, metrics, report files)")
        print()
        # The report's latency against an independent loop: on a shared machine the speed
        # drifts over seconds, so each report is compared with the mean of a loop run right
        # before it and one right after (a small project with the same models: the protocol
        # does not depend on the eval set's size), --pairs times, and each pair's difference
        # is taken before the median.
        small = build_project(Path(tmp) / "latency", 500) if args.project is None else project
        small_texts = eval_texts(small)
        calls = args.latency_calls
        pairs: dict[str, list[tuple[float, float, float, float, float]]] = {"teacher": [], "student": []}
        spread: dict[str, list[float]] = {"teacher": [], "student": []}

        def loops(bare: bool) -> dict[str, tuple[float, float]]:
            return {role: perf_counter_latency(small, role, small_texts, calls, args.threads, bare=bare,
                                               max_length=limits[project / role]) for role in pairs}

        for _ in range(args.pairs):
            before = loops(bare=False)
            rep = harness.evaluate(small, use_cache=False, out_dir=Path(tmp) / "latency-out",
                                   batch_size=args.batch_size, latency_calls=calls, latency_threads=args.threads)
            after = loops(bare=False)
            bare = loops(bare=True)
            for role in pairs:
                lat = getattr(rep, role).latency
                assert lat.calls == calls and (lat.threads or args.threads) == args.threads, (lat.calls, lat.threads)
                i50 = (before[role][0] + after[role][0]) / 2
                i95 = (before[role][1] + after[role][1]) / 2
                pairs[role].append((lat.p50_ms, i50, lat.p95_ms, i95, bare[role][0]))
                # How far the two loops, the same code timed seconds apart, differ: the
                # machine's own spread, the floor under any report-vs-loop difference.
                spread[role].append(100 * abs(before[role][0] - after[role][0]) / i50)
        print()
        print(f"latency at batch size 1, report vs an independent perf_counter loop run right before and right "
              f"after it ({calls} calls each, same threads; medians of {args.pairs} pairs):")
        for role, rows in pairs.items():
            r50, i50, r95, i95, b50 = (statistics.median(col) for col in zip(*rows))
            paired = [100 * (r - i) / i for r, i, *_ in rows]
            diffs = " ".join(f"{d:+.1f}%" for d in paired)
            print(f"  {role}: report p50 {r50:.3f} / p95 {r95:.3f} ms; independent loop over the same call "
                  f"p50 {i50:.3f} / p95 {i95:.3f} ms: p50 differs by {statistics.median(paired):+.1f}%, the "
                  f"median of the pairs' differences (target ±10%; pair by pair {diffs}); bare model call "
                  f"p50 {b50:.3f} ms")
            print(f"    {role}: |report - loops| median {statistics.median(abs(d) for d in paired):.1f}%; the two "
                  f"loops against each other (before vs after, same code) median {statistics.median(spread[role]):.1f}%")


if __name__ == "__main__":
    main()
