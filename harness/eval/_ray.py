"""Evaluation and teacher labelling on a Ray cluster (`stillhouse eval --ray ADDRESS`,
`stillhouse record --ray ADDRESS`): one process's outputs, computed by a pool of workers.

    driver   the checkpoint chunks not already stored ─► shards: runs of whole chunks,
             so each shard is a row-id range
    Ray      Ray Data: from_items(shards).map_batches(ShardWorker, ActorPoolStrategy(size=W))
             each actor: the model's files from the object store, checked against their
             digest; one load; then each shard chunk by chunk, with the batches one
             process forms (by length within a chunk, the same batch size, the same torch
             threads), outputs in row order
    driver   each shard checkpointed as it arrives (one sealed part per shard in the
             run's `OutputStore`), merged by row id; latency at batch size 1 on one worker

Why the figures equal one process's: a shard starts on a chunk boundary, so every batch
holds the rows it holds in one process; the worker runs the pinned bytes; and its CPU
batches run on the number of torch threads the starting machine's process would use,
because a float sum split over another number of threads differs in its last bits (the
worked example's teacher: 1 vs 2 threads changes 85 of 2,000 rows' probabilities by
1e-7). The teacher-output cache key is the one-process key, so either run's outputs serve
the other.

What is not sharded: reading and hashing the eval set, the metrics, the gate and the
report (the driver; cheap next to the models), and the batch-size-1 latency (one worker,
alone, so a call's time is not another worker's contention).

Failure: a worker process that dies is restarted by Ray and its shard is run again from
the shard's start (Ray Data restarts actors and retries their tasks); the shards already
merged are checkpointed, so a run stopped as a whole (the driver killed, the cluster
gone) resumes from them on the next run, on any number of workers or in one process. An
error a model raises (an `AdapterError`) stops the run, as in one process.

Ray is the optional `ray` extra, imported only here and only for a run with `--ray`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import AdapterError, InputError, StillhouseError
from ..project import Project
from ._cache import OutputStore
from ._data import EvalData
from .adapters import Adapter, Prediction, Settings, make_adapter

#: The object store of a cluster started for one run: room for a worked-example-sized
#: model (87 MB) and its shards twice over; Ray spills to disk beyond it.
LOCAL_OBJECT_STORE_BYTES = 512 << 20
#: Shards per worker when the remaining chunks allow: a lost worker then redoes a quarter
#: of its share, and a slow one holds up the end of the run by one shard, not by its share.
SHARDS_PER_WORKER = 4
#: Where workers unpack the models they are sent, one folder per content digest.
UNPACK_DIR = "stillhouse-ray"


def require_ray() -> Any:
    """The `ray` module, or a clear error (exit 2) with the install line."""
    try:
        import ray
        import ray.data  # noqa: F401  the actor pools
    except ImportError:
        raise InputError("--ray needs the `ray` extra (ray[data] is not installed): pip install 'stillhouse[ray]'") \
            from None
    return ray


@dataclass
class Cluster:
    """A connection to a Ray cluster for one run, and where the run's time went there."""

    address: str
    workers: int
    cpus: int
    gpus: int
    started_here: bool
    #: Seconds per phase, summed over the models run: cluster start, shipping models, ...
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def gpus_per_worker(self) -> int:
        return 1 if self.gpus else 0

    def describe(self) -> str:
        where = "a local Ray cluster started for this run" if self.started_here and self.address == "local" \
            else f"the Ray cluster at {self.address}"
        gpus = f", {self.gpus} GPUs" if self.gpus else ""
        return f"{where} ({self.cpus} CPUs{gpus}); {self.workers} workers"

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = round(self.seconds.get(phase, 0.0) + seconds, 3)


@contextmanager
def connect(address: str, workers: int | None = None) -> Iterator[Cluster]:
    """Start a local cluster (``address`` "local", ``workers`` CPUs, default one per core) or
    connect to the one at ``address`` (e.g. "ray://head:10001", or "auto" for one started on
    this machine with `ray start`), and leave it as found on exit. A process already connected
    (`ray.init()` in a notebook) keeps its connection. ``workers`` defaults to one per GPU,
    else one per CPU, of the cluster."""
    if workers is not None and workers < 1:
        raise InputError(f"--ray-workers: expected at least 1; found {workers}")
    t0 = time.perf_counter()
    # Ray reports usage to its authors unless told not to: no network beyond the cluster.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address == "local" or _loopback(address):
        # A cluster on this machine only: Ray's single-machine mode binds and dials the
        # loopback address, never the machine's network address. Read when ray is imported.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    if address != "local":
        _reachable(address)
    ray = require_ray()
    joined = not ray.is_initialized()
    if joined:
        # Workers' output stays in Ray's log files; Stillhouse reports progress and errors itself.
        quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
        try:
            if address == "local":
                ray.init(address="local", num_cpus=workers or os.cpu_count() or 1,
                         object_store_memory=LOCAL_OBJECT_STORE_BYTES, **quiet)
            else:
                ray.init(address=address, **quiet)
        except Exception as exc:  # ConnectionError, ValueError, RuntimeError, grpc errors...
            hint = "" if address == "local" else (
                " (a cluster with token authentication also needs RAY_AUTH_MODE=token here, and its token in "
                "RAY_AUTH_TOKEN or ~/.ray/auth_token)")
            raise InputError(f"--ray {address}: cannot {'start' if address == 'local' else 'connect to'} a Ray "
                             f"cluster: {_first_line(exc)}{hint}") from None
    try:
        _quiet_ray_data()
        res = ray.cluster_resources()
        cpus, gpus = int(res.get("CPU", 0)), int(res.get("GPU", 0))
        capacity = gpus or cpus
        n = workers or capacity
        if n < 1 or n > capacity:
            unit = "GPU" if gpus else "CPU"
            raise InputError(f"--ray-workers {n}: the cluster at {address} has {cpus} CPUs and {gpus} GPUs; expected "
                             f"1 to {capacity} workers (one per {unit})")
        cluster = Cluster(address=address, workers=n, cpus=cpus, gpus=gpus, started_here=joined and address == "local")
        cluster.add("cluster start" if cluster.started_here else "connecting", time.perf_counter() - t0)
        yield cluster
    finally:
        if joined:
            t1 = time.perf_counter()
            ray.shutdown()
            if "cluster" in locals():
                cluster.add("cluster shutdown", time.perf_counter() - t1)


def _host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of "host:port" or "ray://host:port"; None for "auto" and the like."""
    rest = address.split("://", 1)[1] if "://" in address else address
    host, _, port = rest.rstrip("/").rpartition(":")
    if not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _loopback(address: str) -> bool:
    hp = _host_port(address)
    return hp is not None and (hp[0] in ("localhost", "::1") or hp[0].startswith("127."))


def _reachable(address: str) -> None:
    """Refuse at once an address where nothing listens: Ray itself retries for minutes."""
    hp = _host_port(address)
    if hp is None:
        return
    try:
        socket.create_connection(hp, timeout=5).close()
    except OSError as exc:
        raise InputError(f"--ray {address}: nothing answers there ({exc.strerror or exc}); expected the address "
                         "of a running Ray cluster (`ray start --head` prints it), or `local`") from None


def _quiet_ray_data() -> None:
    """Ray Data's progress bars and per-run logs would interleave with Stillhouse's own."""
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _first_line(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # Ray colours its task names
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


# --- what a worker is sent ----------------------------------------------------------------------


def _files_of(spec: Any, project: Project) -> tuple[dict[str, bytes], str | None]:
    """The model's files by their path in the project, and the artifact's own path there:
    the artifact at `path` (local, hub, recorded), or a callable's module beside the
    manifest. An endpoint needs none; a callable installed on the workers, neither."""
    from standards.hashing import artifact_files

    from .adapters.local import model_folder

    root = project.dir.resolve()
    paths: list[Path] = []
    artifact = None
    rel = getattr(spec, "path", None)
    if isinstance(rel, str) and rel:
        p = model_folder(project.dir, rel)
        paths = artifact_files(p) if p.is_dir() else [p] if p.is_file() else []
        artifact = p.relative_to(root).as_posix()
    target = getattr(spec, "target", None)
    if isinstance(target, str) and ":" in target:
        top = target.split(":", 1)[0].split(".")[0]
        if (root / f"{top}.py").is_file():
            paths = [root / f"{top}.py"]
        elif (root / top).is_dir():
            paths = [p for p in artifact_files(root / top) if p.suffix == ".py"]
    return {p.resolve().relative_to(root).as_posix(): p.read_bytes() for p in paths}, artifact


def _digest(files: dict[str, bytes]) -> str:
    """`standards.artifact_sha256` of a folder holding ``files``, without the folder."""
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(f"{rel}\0{hashlib.sha256(files[rel]).hexdigest()}\n".encode())
    return h.hexdigest()


def _check_pin(spec: Any, files: dict[str, bytes], artifact: str | None, role: str) -> None:
    """The bytes shipped are the pinned bytes (they were read after the pin was checked)."""
    pin = getattr(spec, "sha256", None)
    if not isinstance(pin, str) or artifact is None or not files:
        return
    if artifact in files:  # a file
        actual = hashlib.sha256(files[artifact]).hexdigest()
    else:
        prefix = artifact + "/"
        actual = _digest({k[len(prefix):]: v for k, v in files.items() if k.startswith(prefix)})
    if actual != pin.strip().lower():
        from .._errors import IntegrityError

        raise IntegrityError(str(getattr(spec, "path", artifact)), f"{role}.sha256", pin, actual)


def _unpack(files: dict[str, bytes], digest: str) -> Path:
    """A folder laid out like the project, holding ``files`` and nothing else; shared by the
    workers of a node (one per digest), rewritten when what is there does not hash right."""
    from standards import artifact_sha256

    base = Path(tempfile.gettempdir()) / UNPACK_DIR
    base.mkdir(parents=True, exist_ok=True)
    root = base / digest[:32]
    if root.is_dir() and artifact_sha256(root) == digest:
        return root
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=base))
    for rel, data in files.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_bytes(data)
    if root.exists():  # a stale or damaged copy: set aside, never read
        shutil.rmtree(root.replace(base / f".stale-{digest[:16]}-{os.getpid()}"), ignore_errors=True)
    try:
        tmp.replace(root)
    except OSError:  # another worker of this node unpacked the same files first
        shutil.rmtree(tmp, ignore_errors=True)
    if artifact_sha256(root) != digest:
        raise AdapterError(f"the model files unpacked on {socket.gethostname()} in {root} do not hash to what was "
                           "sent; refusing to run on them")
    return root


@dataclass
class Job:
    """What each worker needs to answer shards: everything but the rows."""

    role: str
    spec: Any
    settings: Settings
    #: [ObjectRef] of {project path: bytes}, in a list so that Ray hands over the reference
    #: and the worker fetches the bytes once.
    files: list[Any]
    digest: str
    batch_size: int
    checkpoint_rows: int
    threads: int | None
    version: str


def _ready(job: Job) -> tuple[Adapter, dict[str, float]]:
    """Fetch and unpack the model, load it once, size its batches and threads as one process does."""
    import ray

    from .. import __version__

    if __version__ != job.version:
        raise AdapterError(f"a Ray worker on {socket.gethostname()} runs stillhouse {__version__}, this run "
                           f"{job.version}: install the same version on every node")
    t0 = time.perf_counter()
    files = ray.get(job.files[0])
    root = _unpack(files, job.digest)
    t1 = time.perf_counter()
    adapter = make_adapter(job.role, job.spec, job.settings, root)
    adapter.load()
    if adapter.takes_batch_size:
        adapter.batch_size = job.batch_size
    if job.threads and adapter.runs_in_torch and adapter.device == "cpu":
        import torch

        torch.set_num_threads(job.threads)
    return adapter, {"unpacking": t1 - t0, "loading": time.perf_counter() - t1}


class ShardWorker:
    """One Ray Data actor: one model load, then shards of rows, each answered chunk by chunk
    exactly as `run_model` answers them in one process."""

    def __init__(self, job: Job):
        self.job = job
        self.adapter, self.setup = _ready(job)
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"start": [], "end": [], "outputs": [], "stats": [], "error": []}
        for start, end, rows in zip(batch["start"], batch["end"], batch["rows"]):
            ids, inputs = json.loads(rows)
            try:
                preds, stats = self._answer(ids, inputs)
                error = ""
            except StillhouseError as exc:
                # returned, not raised: Ray Data would wrap it past recognition, and the driver
                # raises it as one process does (the URL and the status, not "the Ray run failed")
                preds, stats, error = [], {}, str(exc)
            out["start"].append(int(start))
            out["end"].append(int(end))
            out["outputs"].append(json.dumps([p.to_json() for p in preds]))
            out["stats"].append(json.dumps(stats))
            out["error"].append(error)
        return out

    def _answer(self, ids: list[str], inputs: list[str]) -> tuple[list[Prediction], dict[str, Any]]:
        from ._run import batch_order

        a, n, step = self.adapter, len(ids), self.job.checkpoint_rows
        calls, tin, tout = len(a.call_seconds), a.input_tokens, a.output_tokens
        preds: list[Prediction | None] = [None] * n
        began, seconds = time.time(), 0.0
        for start in range(0, n, step):  # the shard starts on a chunk boundary: these are run_model's chunks
            end = min(start + step, n)
            order = batch_order(inputs, start, end) if a.batch_by_length else list(range(start, end))
            batches = [order[b:b + a.batch_size] for b in range(0, len(order), a.batch_size)]
            t0 = time.perf_counter()
            for rows, got in a.predict_batches(ids, inputs, batches):
                if len(got) != len(rows):
                    raise AdapterError(f"{self.job.role}: {len(got)} outputs for a batch of {len(rows)}")
                for i, g in zip(rows, got):
                    preds[i] = g
            seconds += time.perf_counter() - t0
        stats = {"worker": self.name, "began": began, "ended": time.time(), "seconds": seconds, "rows": n,
                 "call_seconds": a.call_seconds[calls:], "input_tokens": a.input_tokens - tin,
                 "output_tokens": a.output_tokens - tout, **self._describe()}
        return preds, stats  # type: ignore[return-value]

    def _describe(self) -> dict[str, Any]:
        setup, self.setup = self.setup, {}  # an actor's set-up is counted once, with its first shard
        a = self.adapter
        return {"setup": setup, "device": a.device, "parameters": a.parameters(), "size_bytes": a.size_bytes(),
                "batch_size": a.batch_size}


def _probe(job: Job, ids: list[str], inputs: list[str], calls: int, threads: int | None) -> dict[str, Any]:
    """On one worker, alone: load the model and time ``calls`` calls at batch size 1 (none
    when ``calls`` is 0), as one process does; and say what the model is."""
    from ._run import _measure_latency

    adapter, setup = _ready(job)
    latency, used = (None, None)
    if calls and ids:
        latency, used = _measure_latency(adapter, inputs, ids, calls, threads)
    return {"latency_ms": latency, "threads": used, "setup": setup, "device": adapter.device,
            "parameters": adapter.parameters(), "size_bytes": adapter.size_bytes(), "batch_size": adapter.batch_size,
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


# --- the driver's side -----------------------------------------------------------------------------


def shards(todo: list[tuple[int, int]], workers: int) -> list[tuple[int, int]]:
    """Row ranges of whole chunks from ``todo`` (chunks not yet stored, in order): about
    `SHARDS_PER_WORKER` per worker, never joining chunks across a stored gap."""
    per = max(1, math.ceil(len(todo) / (SHARDS_PER_WORKER * workers)))
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    for chunk in todo:
        if run and (run[-1][1] != chunk[0] or len(run) == per):
            out.append((run[0][0], run[-1][1]))
            run = []
        run.append(chunk)
    if run:
        out.append((run[0][0], run[-1][1]))
    return out


def _driver_threads(adapter: Adapter) -> int | None:
    """The torch threads a one-process run of this model would compute with on this machine."""
    if not adapter.runs_in_torch:
        return None
    try:
        import torch
    except ImportError:
        return None
    return int(torch.get_num_threads())


def _raise_clean(exc: BaseException, role: str) -> None:
    """A model's own error, as one process would raise it; anything else, one clear line."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, StillhouseError) and type(e).__module__.startswith(("harness", "standards")):
            raise e.with_traceback(None) from None
        stack += [getattr(e, "cause", None), e.__cause__, e.__context__]
    raise AdapterError(f"{role}: the Ray run failed ({_first_line(exc)}); the shards finished so far are "
                       "checkpointed and a new run resumes from them. Ray's logs: /tmp/ray/session_latest/logs") \
        from None


def run_sharded(cluster: Cluster, role: str, spec: Any, settings: Settings, data: EvalData, project: Project,
                store: OutputStore, *, use_cache: bool, keep: bool, batch_size: int, checkpoint_rows: int,
                latency_calls: int, latency_threads: int | None, progress: Any,
                check: Callable[..., bool]) -> Any:
    """`run_model` on a cluster: the same outputs, in row order, and the same `ModelRun`
    (its throughput the cluster's, its latency one worker's). ``check`` refuses answers that
    break the task's contract, before they are checkpointed."""
    import ray

    from .. import __version__
    from ._run import ModelRun, _say_discarded

    n = len(data.ids)
    kind = make_adapter(role, spec, settings, project.dir)  # not loaded: its class says how it runs
    preds: list[Prediction | None] = [None] * n
    stored = store.load_parts(n) if use_cache else []
    _say_discarded(role, store)
    todo = []
    for start in range(0, n, checkpoint_rows):
        end = min(start + checkpoint_rows, n)
        part = next((o[start - s:end - s] for s, e, o in stored if s <= start and end <= e), None)
        if part is None or not check(data.ids[start:end], part, stored=True):
            todo.append((start, end))
        else:
            preds[start:end] = part
    work = shards(todo, cluster.workers)
    task = progress.start(f"{role} ({spec.kind}) on {cluster.workers} Ray workers", n)
    progress.advance(task, n - sum(e - s for s, e in work))

    t0 = time.perf_counter()
    files, artifact = _files_of(spec, project)
    _check_pin(spec, files, artifact, role)
    job = Job(role=role, spec=spec, settings=settings, files=[ray.put(files)], digest=_digest(files),
              batch_size=batch_size, checkpoint_rows=checkpoint_rows, threads=_driver_threads(kind),
              version=__version__)
    del files
    cluster.add("shipping models", time.perf_counter() - t0)

    stats: list[dict[str, Any]] = []
    if work:
        items = [{"start": s, "end": e, "rows": json.dumps([data.ids[s:e], data.inputs[s:e]])} for s, e in work]
        ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            ShardWorker, fn_constructor_kwargs={"job": job}, batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=min(cluster.workers, len(items))),
            num_cpus=1, num_gpus=cluster.gpus_per_worker)
        started = time.time()
        merging = 0.0
        try:
            for row in ds.iter_rows():
                t1 = time.perf_counter()
                s, e = int(row["start"]), int(row["end"])
                if row["error"]:
                    raise AdapterError(row["error"])
                got = [Prediction.from_json(o) for o in json.loads(row["outputs"])]
                if len(got) != e - s:
                    raise AdapterError(f"{role}: a worker returned {len(got)} outputs for rows {s}..{e}")
                check(data.ids[s:e], got)  # before it is checkpointed
                preds[s:e] = got
                store.save_part(s, e, got)
                stats.append(json.loads(row["stats"]))
                progress.advance(task, e - s)
                merging += time.perf_counter() - t1
        except StillhouseError:
            raise
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            _raise_clean(exc, role)
        cluster.add("starting workers: processes, imports, models (wall)", min(st["began"] for st in stats) - started)
        cluster.add("workers: unpacking models (slowest)", max(st["setup"].get("unpacking", 0.0) for st in stats))
        cluster.add("workers: loading models (slowest)", max(st["setup"].get("loading", 0.0) for st in stats))
        cluster.add("computing (wall)", max(st["ended"] for st in stats) - min(st["began"] for st in stats))
        cluster.add("merging and checkpointing", merging)
    progress.finish(task)
    if any(p is None for p in preds):  # pragma: no cover - Ray returned every shard or raised
        raise AdapterError(f"{role}: {sum(p is None for p in preds)} rows came back from no worker")

    latency: list[float] | None = None
    threads = None
    info = stats[0] if stats else None
    measure = kind.latency_mode == "batch1" and n > 0 and latency_calls > 0
    if measure or info is None:
        t1 = time.perf_counter()
        lt = progress.start(f"{role} latency (batch size 1, one Ray worker)", None) if measure else None
        m = min(n, max(latency_calls, 3))  # the rows the calls cycle through, as in one process
        probe = ray.remote(_probe).options(num_cpus=1, num_gpus=cluster.gpus_per_worker)
        try:
            info = ray.get(probe.remote(job, data.ids[:m], data.inputs[:m], latency_calls if measure else 0,
                                        latency_threads))
        except Exception as exc:
            _raise_clean(exc, role)
        if lt is not None:
            progress.finish(lt)
        assert info is not None
        latency, threads = info["latency_ms"], info["threads"]
        cluster.add("latency on one worker" if measure else "describing the model on one worker",
                    time.perf_counter() - t1)
    calls = [c for st in stats for c in st["call_seconds"]]
    if kind.latency_mode == "per-call" and calls:
        latency = [c * 1000 for c in calls]
    computed = sum(st["rows"] for st in stats)
    wall = max(st["ended"] for st in stats) - min(st["began"] for st in stats) if stats else None
    priced = kind.priced_by_tokens
    run = ModelRun(
        predictions=preds,  # type: ignore[arg-type]
        kind=spec.kind, latency_ms=latency, batched_seconds=wall if computed else None, batched_rows=computed,
        batch_size=info["batch_size"] if kind.latency_mode else None, parameters=info["parameters"],
        size_bytes=info["size_bytes"], device=info["device"],
        input_tokens=sum(st["input_tokens"] for st in stats) if priced else None,
        output_tokens=sum(st["output_tokens"] for st in stats) if priced else None,
        latency_threads=threads, workers=cluster.workers,
        latency_on=("one Ray worker" if measure else f"the calls of {cluster.workers} Ray workers"
                    if latency else None),
    )
    if keep:
        store.save_complete(run.predictions, run.info())
    store.clear_parts()
    return run
