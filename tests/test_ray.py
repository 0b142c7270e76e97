"""Evaluation and recording sharded over a Ray cluster (`--ray`): the reports equal the
one-process reports field by field, timings and provenance aside; a worker killed mid-run
is replaced and its shard run again; a run stopped as a whole resumes from its shards.

The cluster: 2 CPUs, started once for the module with `ray start --head --block` (the way
a team runs its own) on the loopback address, and stopped at the end by signalling that
process, which takes its Ray processes with it. One test starts its own with `--ray local`.
Slow: every Ray worker imports torch and loads its model."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harness.eval import evaluate

from ._projects import classification_project, eval_rows, manifest, tiny_bert, write_jsonl
from .conftest import EXAMPLES, ROOT, run_cli
from .test_endpoint import KEY
from .test_worked_example import _assemble_teacher, _copy

# A cluster on this machine binds and dials 127.0.0.1 only; ray reads this when imported.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

pytestmark = pytest.mark.slow

WE = EXAMPLES / "worked-example"
RAY = Path(sys.executable).parent / "ray"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """The address of a 2-CPU Ray cluster running for this module's tests, with token
    authentication as Ray sets it up by default (the token in the environment, not in ~/.ray)."""
    logs = tmp_path_factory.mktemp("ray-cluster")
    port = _free_port()
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    before = {k: os.environ.get(k) for k in auth}
    os.environ.update(auth)  # the drivers: this process and the `stillhouse` processes it starts
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
           "RAY_USAGE_STATS_ENABLED": "0", "STILLHOUSE_TEST_KEY": KEY}  # the endpoint test's API key
    out = open(logs / "ray-start.log", "w")
    proc = subprocess.Popen([str(RAY), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
                             "--object-store-memory=300000000", "--include-dashboard=false",
                             "--disable-usage-stats"],
                            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while "Ray runtime started" not in (logs / "ray-start.log").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (logs / "ray-start.log").read_text()
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        # `ray start` and the Ray processes it started share its process group. Once a driver
        # has connected, their graceful stop waits on timeouts: what is left after 10 s is killed.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _comparable(report: Any) -> dict[str, Any]:
    """A report without what may differ between two runs of the same models: timings (latency,
    throughput, the cost computed from latency, budget bars that judge them) and provenance
    (where and when it ran). Everything else must be equal, field by field."""
    d = report.model_dump(mode="json")
    prov = d.pop("provenance")
    d["predictions_sha256"] = prov["predictions_sha256"]
    d["verdict_inputs_sha256"] = prov["verdict_inputs_sha256"]
    for role in ("teacher", "student"):
        if d.get(role):
            d[role].pop("latency")
            d[role].pop("cost")
    d.pop("cost_ratio")
    d["gate"]["budgets"] = [b["metric"] for b in d["gate"]["budgets"]]
    d["gate"].pop("verdict")  # compared by the caller when the budgets agree
    return d


def _assert_same(sharded: Any, one: Any) -> None:
    assert _comparable(sharded) == _comparable(one)
    if [b.passed for b in one.gate.budgets] == [b.passed for b in sharded.gate.budgets]:
        assert sharded.gate.verdict == one.gate.verdict


def test_worked_example_on_two_workers_equals_one_process(cluster: str, tmp_path: Path):
    """The real pair (all-MiniLM-L6-v2 teacher, its student) on 2,000 rows, 4 shards."""
    proj = _copy(WE, tmp_path / "we")
    _assemble_teacher(proj)
    one = evaluate(proj, use_cache=False, out_dir=tmp_path / "one")
    two = evaluate(proj, use_cache=False, out_dir=tmp_path / "two", ray=cluster)
    _assert_same(two, one)
    p = two.provenance
    assert p.workers == 2 and p.cluster is not None and cluster in p.cluster and one.provenance.cluster is None
    assert {"shipping models", "computing (wall)", "latency on one worker"} <= set(p.cluster_seconds or {})
    for m in (two.teacher, two.student):
        assert m is not None and m.latency is not None and m.latency.calls >= 20
        assert m.latency.measured_on == "one Ray worker" and m.latency.throughput_workers == 2
        assert m.latency.threads == 1
    assert one.teacher.latency is not None and one.teacher.latency.measured_on is None
    assert json.loads((tmp_path / "two" / "report.json").read_text())["provenance"]["workers"] == 2


def test_record_of_an_endpoint_teacher_on_two_workers_equals_one_process(cluster: str, tmp_path: Path):
    """`stillhouse record --ray ADDRESS` with a served teacher (an OpenAI-compatible server on
    127.0.0.1 standing in for vLLM): the same answers, tokens and cost as one process; each
    worker reads the API key from its own environment (the cluster's, set when it started)."""
    from .test_endpoint import _endpoint_project, _Server

    server = _Server()
    try:
        proj = _endpoint_project(tmp_path / "p", server.url, n=300, timeout_s=5.0)
        one = run_cli("record", proj, "--set", "eval", "--out", "recorded/one.jsonl", "--quiet",
                      env={"STILLHOUSE_TEST_KEY": KEY})
        assert one.code == 0, one.output
        asked = len(server.requests)
        r = run_cli("record", proj, "--set", "eval", "--ray", cluster, "--no-cache", "--quiet", "--out",
                    "recorded/two.jsonl", env={"STILLHOUSE_TEST_KEY": KEY})
        assert r.code == 0, r.output
        assert len(server.requests) - asked == 300  # every row asked again, once, by the workers
    finally:
        server.close()
    assert f"ran on the Ray cluster at {cluster}" in r.stdout
    lines = {name: (proj / "recorded" / f"{name}.jsonl").read_text().splitlines() for name in ("one", "two")}
    assert lines["two"][1:] == lines["one"][1:]  # every answer, byte for byte
    meta = {name: json.loads(lines[name][0])["stillhouse_recording"] for name in lines}
    assert meta["two"]["tokens"] == meta["one"]["tokens"] and meta["two"]["usd"] == meta["one"]["usd"] > 0


def test_record_of_a_local_teacher_on_two_workers_equals_one_process(cluster: str, tmp_path: Path):
    """`stillhouse record --ray ADDRESS` with a local torch teacher: every answer and every
    probability (7 decimals) byte for byte as one process writes them, over 3 shards whose
    batches are formed as one process forms them."""
    proj = classification_project(tmp_path / "p", n=1200, teacher="local")
    one = run_cli("record", proj, "--set", "eval", "--no-cache", "--quiet", "--out", "recorded/one.jsonl")
    assert one.code == 0, one.output
    r = run_cli("record", proj, "--set", "eval", "--ray", cluster, "--no-cache", "--quiet", "--out",
                "recorded/two.jsonl")
    assert r.code == 0, r.output
    lines = {name: (proj / "recorded" / f"{name}.jsonl").read_text().splitlines() for name in ("one", "two")}
    assert len(lines["one"]) == 1201 and all('"probs": [' in line for line in lines["one"][1:])
    assert lines["two"][1:] == lines["one"][1:]


def _recorded_project(root: Path, n: int) -> Path:
    """A recorded teacher's answers on n rows and a tiny local student."""
    rows = eval_rows(n)
    write_jsonl(root / "data" / "eval.jsonl", rows)
    recs = [{"id": r["id"], "output": r["label"] if k % 7 else "technical",
             "probs": [0.8, 0.2] if r["label"] == "billing" else [0.3, 0.7]} for k, r in enumerate(rows)]
    write_jsonl(root / "teacher" / "predictions.jsonl", recs)
    tiny_bert(root / "student", seed=1)
    manifest(root, {"kind": "recorded", "path": "teacher/predictions.jsonl", "source": "test answers of 2026-11-01"},
             {"kind": "local", "path": "student/"}, rows=n)
    return root


def test_recorded_project_of_50000_rows_on_two_workers_equals_one_process(cluster: str, tmp_path: Path):
    """`stillhouse eval --ray ADDRESS` on 50,000 rows: a recorded teacher and a local student,
    in batches of 512 (a chunk each: the tiny student's time is per batch, not per row)."""
    proj = _recorded_project(tmp_path / "p", 50_000)
    one = evaluate(proj, use_cache=False, out_dir=tmp_path / "one", batch_size=512)
    r = run_cli("eval", proj, "--ray", cluster, "--no-cache", "--quiet", "--batch-size", "512", "--out",
                tmp_path / "two", timeout=1200)
    assert r.code == 0, r.output
    from standards import EvalReport

    two = EvalReport.model_validate_json((tmp_path / "two" / "report.json").read_text())
    _assert_same(two, one)
    assert two.slices[0].n == 50_000 and two.provenance.workers == 2
    assert two.teacher.latency is None  # recorded answers have no latency, on a cluster as in one process


KILLER = '''
"""A callable teacher whose process dies (SIGKILL) the first time it meets row ex-1500, and
that takes its time while the file SLOW exists."""
import os, signal, time
from pathlib import Path

MARK = Path({mark!r})
LOG = Path({log!r})
SLOW = Path({slow!r})


def answer(texts):
    if SLOW.exists():
        time.sleep(float(SLOW.read_text()))
    with open(LOG, "a") as f:
        f.write(f"{{os.getpid()}} {{len(texts)}}\\n")
    if {trigger!r} in texts and not MARK.exists():
        MARK.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return [{{"output": "billing" if any(w in t for w in ("refund", "invoice", "charge", "payment", "card"))
             else "technical", "probs": None}} for t in texts]
'''


def _killer_project(root: Path, n: int) -> Path:
    root.mkdir(parents=True)
    rows = eval_rows(n)
    rows[1500]["text"] = "zzz-trigger refund please"
    write_jsonl(root / "data" / "eval.jsonl", rows)
    code = KILLER.format(mark=str(root.parent / f"{root.name}.killed"), log=str(root.parent / f"{root.name}.calls"),
                         slow=str(root.parent / f"{root.name}.slow"), trigger="zzz-trigger refund please")
    (root / "killer_teacher.py").write_text(code, encoding="utf-8")
    tiny_bert(root / "student", seed=1)
    manifest(root, {"kind": "callable", "target": "killer_teacher:answer", "version": "1.0.0"},
             {"kind": "local", "path": "student/"}, rows=n)
    return root


def test_a_worker_killed_mid_run_is_replaced_and_the_result_is_the_same(cluster: str, tmp_path: Path):
    proj = _killer_project(tmp_path / "p", 2000)
    two = evaluate(proj, teacher_only=True, use_cache=False, out_dir=tmp_path / "two", ray=cluster,
                   checkpoint_rows=128, latency_calls=1)
    mark = tmp_path / "p.killed"
    assert mark.is_file(), "the teacher never killed its worker"
    killed = int(mark.read_text())
    pids = {int(line.split()[0]) for line in (tmp_path / "p.calls").read_text().splitlines()}
    assert killed in pids and pids - {killed}  # the dead worker's shard was answered by a live one
    one = evaluate(proj, teacher_only=True, use_cache=False, out_dir=tmp_path / "one", latency_calls=1)
    _assert_same(two, one)


def test_a_stopped_run_resumes_from_its_shards(cluster: str, tmp_path: Path):
    """The driver killed mid-run (the cluster lives on): the next run computes only the
    shards not yet checkpointed, and its report is one process's."""
    n = 4000  # 8 shards of 512 rows, 4 per worker, each taking 16 x 0.3 s
    proj = _killer_project(tmp_path / "p", n)
    (tmp_path / "p.killed").write_text("no kill in this test")
    (tmp_path / "p.slow").write_text("0.3")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    args = [sys.executable, "-m", "harness", "eval", str(proj), "--teacher-only", "--quiet", "--ray", cluster,
            "--out", str(tmp_path / "stopped")]
    driver = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache = proj / ".stillhouse" / "cache"
    try:
        deadline = time.monotonic() + 600
        while not list(cache.glob("teacher-*/part-*.json")):
            assert driver.poll() is None, "the run ended before it could be stopped"
            assert time.monotonic() < deadline
            time.sleep(0.2)
        driver.send_signal(signal.SIGKILL)
    finally:
        driver.wait(timeout=60)
    parts = sorted(cache.glob("teacher-*/part-*.json"))
    stored = sum(int(p.stem.split("-")[2]) - int(p.stem.split("-")[1]) for p in parts)
    assert 0 < stored < n
    _wait_until_quiet(tmp_path / "p.calls")  # Ray stops the dead driver's workers
    (tmp_path / "p.calls").write_text("")
    resumed = evaluate(proj, teacher_only=True, out_dir=tmp_path / "resumed", ray=cluster, latency_calls=1)
    asked = sum(int(line.split()[1]) for line in (tmp_path / "p.calls").read_text().splitlines())
    assert asked == n - stored + 3 + 1  # the rows not stored, then 3 warm-up calls and 1 timed call
    assert not list(cache.glob("teacher-*/part-*.json"))  # a finished run leaves only its complete outputs
    shutil.rmtree(cache)
    (tmp_path / "p.slow").unlink()
    one = evaluate(proj, teacher_only=True, use_cache=False, out_dir=tmp_path / "one", latency_calls=1)
    _assert_same(resumed, one)


def _wait_until_quiet(log: Path, seconds: float = 3.0) -> None:
    last, since = log.stat().st_size, time.monotonic()
    deadline = since + 120
    while time.monotonic() - since < seconds:
        assert time.monotonic() < deadline, f"{log} still grows"
        time.sleep(0.2)
        size = log.stat().st_size
        if size != last:
            last, since = size, time.monotonic()


def test_more_workers_than_the_cluster_has_is_unusable_input(cluster: str, tmp_path: Path):
    proj = classification_project(tmp_path / "p", n=20)
    r = run_cli("eval", proj, "--ray", cluster, "--ray-workers", "3", "--quiet")
    assert r.code == 2 and "Traceback" not in r.output
    assert "--ray-workers 3: the cluster at" in r.stderr and "expected 1 to 2 workers (one per CPU)" in r.stderr


def test_an_address_where_no_cluster_answers_is_unusable_input(tmp_path: Path):
    proj = classification_project(tmp_path / "p", n=20)
    r = run_cli("record", proj, "--ray", f"127.0.0.1:{_free_port()}", "--set", "eval", "--quiet")
    assert r.code == 2 and "Traceback" not in r.output
    assert "nothing answers there" in r.stderr


def test_a_model_error_on_a_worker_reads_as_in_one_process(cluster: str, tmp_path: Path):
    """Ray Data wrapped a worker's AdapterError as `RayTaskError(UserCodeException)` with Ray's
    colour codes: the URL and the status the user needs were gone."""
    proj = classification_project(tmp_path / "p", n=20, module="short_teacher")
    (proj / "short_teacher.py").write_text("def answer(texts):\n    return ['billing']\n")
    one = run_cli("eval", proj, "--quiet", "--no-cache")
    r = run_cli("eval", proj, "--ray", cluster, "--quiet", "--no-cache")
    assert one.code == r.code == 2, r.output
    assert "short_teacher:answer returned 1 answers for" in r.stderr and "\x1b" not in r.output, r.stderr
    assert "Ray run failed" not in r.stderr and "Traceback" not in r.output
