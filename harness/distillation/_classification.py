"""`stillhouse distill`: train a classification student from its teacher's soft labels.

The whole recipe, in the order `distill` runs it:

1. Load the project; check the training set against its pin, the label sets of manifest,
   teacher and student against each other, and the two tokenizers against each other.
2. Skip everything if the training record says the same inputs already produced the
   student on disk (the reuse key, below). `--force` retrains.
3. Teacher logits on the training set: run a local teacher (cached by teacher pin and
   training-set hash in `.stillhouse/cache/`), or read a recorded teacher's probabilities.
4. Build the student: a new BERT-style encoder (`distillation.student`) on the teacher's
   tokenizer, optionally pruned to the word pieces the training inputs use; or the
   architecture already in the student folder, re-initialised from the seed.
5. Train, loss written out below. Seeded; deterministic on CPU for a given machine. Each
   epoch shuffles the rows and batches rows of similar token length together (within
   groups of 50 batches' worth), so batches carry little padding.
6. Save the student (safetensors) and the training record, each atomically.

The loss on a batch of B examples over C labels, temperature T::

    ce   = CE(student_logits, gold)                                   # gold labels
    kl   = KL(softmax(teacher_logits / T) || softmax(student_logits / T))
    loss = (1 - alpha) * ce + alpha * T**2 * kl                       # T**2 keeps gradients comparable

Reuse key. The training record stores a sha256 over everything the student depends on:
the training set's hash, the teacher's pin, the label set, the whole `distillation`
section (including the student settings), the existing student's config and tokenizer
when it is re-initialised, this module's source, and the torch/transformers versions.
If the key matches and the student folder still hashes to the recorded sha256, the run
is skipped: a docs rebuild whose inputs did not change never retrains, and a change to
any input (or to this trainer) always does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standards.v1_0 import LocalModel, RecordedModel
from standards.v1_2 import Distillation

from .._errors import AdapterError, InputError, IntegrityError
from .._io import CACHE_DIR, atomic_write_bytes, atomic_write_text
from ..eval.adapters import pad_batch
from ..project import Project, load_project, write_student_pin
from ._batching import GROUP_BATCHES, length_grouped_batches
from ._tokenizers import prune_vocabulary, tokenizer_json, tokenizer_mismatch, write_tokenizer

#: The training record, relative to the project folder (outside the student folder, so
#: it never changes the student's artifact hash). The eval report links it.
RECORD_FILE = "training/record.json"
RECORD_VERSION = "1.0"


@dataclass
class DistillResult:
    """What `distill` did: the student it left on disk and its training record."""

    student_dir: Path
    student_sha256: str
    record_path: Path
    record: dict[str, Any]
    reused: bool
    pin_written: bool = False
    manifest_pin: str = ""
    messages: list[str] = field(default_factory=list)

    @property
    def pin_matches(self) -> bool:
        """Does the manifest's `student.sha256` pin the student on disk?"""
        return self.manifest_pin.lower() == self.student_sha256


# --- checks before anything runs -----------------------------------------------------------


@dataclass
class Plan:
    """What a run will use, every check that needs no model already passed."""

    dist: Distillation
    rows: list[dict[str, Any]]
    labels: list[str]
    train_sha256: str
    student_dir: Path
    teacher: LocalModel | RecordedModel
    student: LocalModel


def _plan(project: Project) -> Plan:
    """Every check that needs no model: returns what the run will use."""
    from standards import file_sha256
    from standards.tabular import TableError, read_rows

    m = project.manifest
    name = project.manifest_file.name
    if m.task.value != "classification":
        raise InputError(f"{name}: task: `stillhouse distill` trains classification students; found {m.task.value!r}")
    dist = getattr(m, "distillation", None)
    if dist is None:
        raise InputError(f"{name}: distillation: expected a `distillation` section (standards 1.1) saying "
                         "how to train; found none")
    if not m.labels:
        raise InputError(f"{name}: labels: expected the label set, in the models' output order; found none")
    student, teacher = m.student, m.teacher
    if not isinstance(student, LocalModel):
        raise InputError(f"{name}: student.kind: expected `local` (a folder distill writes); found {student.kind!r}")
    if not isinstance(teacher, (LocalModel, RecordedModel)):
        raise InputError(f"{name}: teacher.kind: distill runs `local` teachers or reads `recorded` ones; found "
                         f"{teacher.kind!r}: record its answers first (`stillhouse record {project.dir.name}`)")
    ts = dist.train_set
    train_path = project.path(ts.path)
    if not train_path.is_file():
        raise InputError(f"{name}: distillation.train_set.path: expected a file; found nothing at {ts.path}")
    actual = file_sha256(train_path)
    if actual != ts.sha256.lower():
        raise IntegrityError(f"{name}", "distillation.train_set.sha256", ts.sha256, actual)
    try:
        rows = read_rows(train_path)
    except (TableError, UnicodeDecodeError) as exc:
        raise InputError(f"{ts.path}: {exc}") from None
    if not rows:
        raise InputError(f"{ts.path}: expected training rows; found an empty file")
    labels = list(m.labels)
    for i, r in enumerate(rows, 1):
        if ts.input not in r:
            raise InputError(f"{ts.path}: row {i}: expected the input column {ts.input!r}; found {sorted(r)}")
        if ts.label is not None and r.get(ts.label) not in labels:
            raise InputError(f"{ts.path}: row {i}: {ts.label}: expected one of the manifest's labels; "
                             f"found {r.get(ts.label)!r}")
    _check_teacher_labels(project, labels)
    student_dir = project.path(student.path)
    if dist.student is None:
        cfg = student_dir / "config.json"
        if not cfg.is_file():
            raise InputError(f"{student.path}: expected a config.json and a tokenizer to re-initialise, or a "
                             f"`distillation.student` section in {name} to build a new student; found neither")
        _compare_labels(f"{student.path.rstrip('/')}/config.json id2label", _config_labels(cfg), labels)
    return Plan(dist=dist, rows=rows, labels=labels, train_sha256=actual, student_dir=student_dir, teacher=teacher,
                student=student)


def _config_labels(config_file: Path) -> list[str] | None:
    data = json.loads(config_file.read_text(encoding="utf-8"))
    id2label = data.get("id2label")
    if not isinstance(id2label, dict):
        return None
    return [str(id2label[k]) for k in sorted(id2label, key=lambda k: int(k))]


def _compare_labels(where: str, theirs: list[str] | None, labels: list[str]) -> None:
    """Refuse a model whose labels are not the manifest's, in the same order."""
    if theirs == labels:
        return
    if theirs is None:
        raise InputError(f"{where}: expected the label set {labels}; found no id2label")
    detail = []
    if missing := [x for x in labels if x not in theirs]:
        detail.append(f"missing {missing}")
    if extra := [x for x in theirs if x not in labels]:
        detail.append(f"not in the manifest {extra}")
    if not detail:
        first = next(i for i, (a, b) in enumerate(zip(theirs, labels)) if a != b)
        detail.append(f"same labels in another order: output {first} is {theirs[first]!r} there but "
                      f"{labels[first]!r} in the manifest")
    raise InputError(f"{where}: expected the manifest's {len(labels)} labels in the same order; found "
                     f"{len(theirs)}: {'; '.join(detail)}. A student trained against mismatched outputs learns "
                     "the wrong classes without any error, so distill refuses")


def _check_teacher_labels(project: Project, labels: list[str]) -> None:
    t = project.manifest.teacher
    if isinstance(t, LocalModel):
        cfg = project.path(t.path) / "config.json"
        if not cfg.is_file():
            raise AdapterError(f"{t.path}: expected a transformers model folder with config.json; found none")
        _compare_labels(f"{t.path.rstrip('/')}/config.json id2label", _config_labels(cfg), labels)


# --- tokenizers ------------------------------------------------------------------------------


# --- the reuse key -----------------------------------------------------------------------------


def _reuse_key(project: Project, plan: Plan) -> tuple[str, dict[str, Any]]:
    import torch
    import transformers

    from standards import file_sha256, model_pin

    dist = plan.dist
    student_base = None
    if dist.student is None:  # the existing student's architecture and tokenizer are inputs
        sd = plan.student_dir
        cfg = json.loads((sd / "config.json").read_text(encoding="utf-8"))
        cfg.pop("transformers_version", None)
        tok = sd / "tokenizer.json"
        student_base = hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()
                                      + (file_sha256(tok).encode() if tok.is_file() else b"")).hexdigest()
    inputs = {
        "train_set_sha256": plan.train_sha256,
        "teacher_pin": model_pin(plan.teacher),
        "labels": plan.labels,
        "distillation": dist.model_dump(mode="json"),
        "student_base": student_base,
        "trainer_sha256": _trainer_sha256(),
        "libraries": {"torch": torch.__version__, "transformers": transformers.__version__},
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest(), inputs


def _trainer_sha256() -> str:
    """One hash over this package's source: a change to the recipe, its batching or its
    tokenizer handling is a new key (the student is retrained)."""
    h = hashlib.sha256()
    for f in sorted(Path(__file__).parent.glob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _reusable(project: Project, key: str, student_dir: Path) -> dict[str, Any] | None:
    from standards import artifact_sha256

    rec_file = project.dir / RECORD_FILE
    if not rec_file.is_file() or not (student_dir / "config.json").is_file():
        return None
    try:
        record = json.loads(rec_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    if record.get("student", {}).get("sha256") != artifact_sha256(student_dir):
        return None
    return record


# --- teacher outputs -----------------------------------------------------------------------------


def teacher_logits(project: Project, texts: list[str], ids: list[str], train_sha256: str, max_length: int,
                   labels: list[str], teacher: LocalModel | RecordedModel | None = None) -> tuple[Any, bool]:
    """Teacher logits on the training inputs, (N, C) float32, and whether they came from the cache.

    A local teacher is run once per (teacher pin, training set, max_length) and cached; a
    recorded teacher's probabilities p become logits log(p)."""
    import torch

    from standards import artifact_sha256, file_sha256, model_pin

    t = teacher if teacher is not None else project.manifest.teacher
    if not isinstance(t, (LocalModel, RecordedModel)):
        raise InputError(f"teacher.kind: distill runs `local` teachers or reads `recorded` ones; found {t.kind!r}")
    tdir = project.path(t.path)
    if isinstance(t, RecordedModel):
        if file_sha256(tdir) != t.sha256.lower():
            raise IntegrityError(t.path, "teacher.sha256", t.sha256, file_sha256(tdir))
        from ..eval._recording import read_recording

        recording = read_recording(tdir, t.path, labels=labels, task="classification")
        answers = recording.lookup("distillation", ids, texts, t.path)
        with_probs = sum(a.probs is not None for a in answers)
        if with_probs == len(answers):
            probs = torch.tensor([a.probs for a in answers], dtype=torch.float32)              # (N, C)
        elif with_probs == 0:
            # A teacher that answered with labels only (an API without log-probs): its one-hot
            # answer is the soft target, so the KL term becomes cross-entropy on its labels.
            probs = torch.zeros(len(answers), len(labels))
            probs[torch.arange(len(answers)), torch.tensor([labels.index(a.output) for a in answers])] = 1.0
        else:
            raise InputError(f"{t.path}: expected probabilities on every answer or on none; "
                             f"{with_probs} of {len(answers)} training answers have them")
        return probs.clamp_min(1e-8).log(), False
    actual = artifact_sha256(tdir)
    if actual != t.sha256.lower():
        raise IntegrityError(t.path, "teacher.sha256", t.sha256, actual, requirement="TEACH-002")
    # "by-length": the batches below; the same teacher gives the same logits in any order up
    # to the last bits, but a cached file should come from one known way of computing them.
    key = hashlib.sha256(json.dumps([model_pin(t), train_sha256, max_length, labels, "by-length"]).encode()).hexdigest()
    cache = project.dir / CACHE_DIR / f"distill-teacher-{key[:32]}.safetensors"
    from safetensors.torch import load_file, save

    if cache.is_file():
        cached = load_file(str(cache))["logits"]
        if cached.shape == (len(texts), len(labels)):
            return cached, True
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tdir)
    model = AutoModelForSequenceClassification.from_pretrained(
        tdir, use_safetensors=True, trust_remote_code=bool(getattr(t, "trust_remote_code", False))).eval()
    enc = tok(texts, truncation=True, max_length=max_length)                 # token lists, no padding
    order = sorted(range(len(texts)), key=lambda i: len(enc["input_ids"][i]))  # similar lengths share a batch
    out = []
    with torch.inference_mode():
        for s in range(0, len(texts), 64):
            out.append(model(**pad_batch(tok, enc, order[s:s + 64])).logits.float())      # (b, C)
    in_order = torch.cat(out)                                                            # (N, C), by length
    logits = torch.empty_like(in_order)
    logits[torch.tensor(order)] = in_order                                               # back to row order
    if logits.shape[1] != len(labels):
        raise AdapterError(f"{t.path}: the teacher answers with {logits.shape[1]} logits; the manifest has "
                           f"{len(labels)} labels")
    atomic_write_bytes(cache, save({"logits": logits.contiguous()}))
    return logits, False


# --- the student -------------------------------------------------------------------------------


def _build_student(project: Project, plan: Plan, texts: list[str], workdir: Path) -> tuple[Any, Any, str]:
    """The untrained student and its tokenizer, written to ``workdir``; and a sentence on
    how its tokenizer relates to the teacher's."""
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, BertConfig

    dist, labels, teacher, student = plan.dist, plan.labels, plan.teacher, plan.student
    # Whose tokenizer the student reads with: a local teacher's own, else the one the
    # manifest names (`distillation.tokenizer`), for teachers that lend none.
    tok_dir, tok_name = None, ""
    if isinstance(teacher, LocalModel):
        tok_dir, tok_name = project.path(teacher.path), "the teacher's tokenizer"
    elif dist.tokenizer:
        tok_dir, tok_name = project.path(dist.tokenizer), f"the tokenizer in {dist.tokenizer}"
    base_tok = tokenizer_json(tok_dir, "tokenizer") if tok_dir is not None else None
    init = dist.student
    if init is not None:
        if base_tok is None or tok_dir is None:
            raise InputError(f"{project.manifest_file.name}: distillation.tokenizer: building a new student needs a "
                             f"tokenizer, and a {teacher.kind} teacher lends none: name a tokenizer folder in the "
                             "project (`distillation.tokenizer: tokenizer/`, standards 1.2), or put a config and "
                             "tokenizer in the student folder and drop `distillation.student`")
        tj = prune_vocabulary(base_tok, texts) if init.vocabulary == "pruned" else base_tok
        write_tokenizer(tj, tok_dir, workdir, dist.max_length)
        vocab = tj["model"]["vocab"]
        config = BertConfig(  # type: ignore[call-arg]  # num_labels etc. go to PretrainedConfig
            vocab_size=len(vocab), hidden_size=init.hidden_size, num_hidden_layers=init.layers,
            num_attention_heads=init.heads, intermediate_size=init.intermediate_size,
            max_position_embeddings=dist.max_length, pad_token_id=vocab.get("[PAD]", 0),
            num_labels=len(labels), id2label=dict(enumerate(labels)),
            label2id={lab: i for i, lab in enumerate(labels)}, problem_type="single_label_classification")
    else:
        src = plan.student_dir
        for f in src.iterdir():
            if f.is_file() and f.suffix != ".safetensors" and not f.name.startswith("."):
                shutil.copyfile(f, workdir / f.name)
        config = AutoConfig.from_pretrained(workdir)
    if base_tok is not None and isinstance(teacher, LocalModel):
        problems = tokenizer_mismatch(base_tok, tokenizer_json(workdir, "student"))
        if problems:
            raise InputError(f"{teacher.path} and {student.path} do not read text the same way: "
                             + "; ".join(problems) + ". The student must use the teacher's tokenizer or a pruning "
                             "of its vocabulary (`distillation.student.vocabulary: pruned`)")
    if base_tok is not None:
        n_t, n_s = len(base_tok["model"]["vocab"]), len(tokenizer_json(workdir, "student")["model"]["vocab"])
        relation = (tok_name if n_s == n_t else f"{tok_name} pruned to {n_s:,} of its {n_t:,} word pieces")
    else:
        relation = "its own tokenizer (a recorded teacher has none to compare)"
    torch.manual_seed(dist.seed)                                   # the initial weights depend on the seed only
    model = AutoModelForSequenceClassification.from_config(config)
    tokenizer = AutoTokenizer.from_pretrained(workdir)
    return model, tokenizer, relation


def train_student(model: Any, tokenizer: Any, texts: list[str], gold: Any, teacher_logits: Any, dist: Any,
                  on_epoch: Any = None) -> list[dict[str, float]]:
    """The training loop. ``gold``: (N,) label ids or None; ``teacher_logits``: (N, C).
    Returns one entry per epoch: mean loss, CE, KL, and agreement with the teacher."""
    import torch
    import torch.nn.functional as F

    alpha, T = dist.alpha, dist.temperature
    soft = F.softmax(teacher_logits / T, dim=-1)                     # (N, C): the teacher's soft labels at T
    teacher_top = teacher_logits.argmax(-1)                          # (N,)
    n = len(texts)
    steps_per_epoch = math.ceil(n / dist.batch_size)
    total = steps_per_epoch * dist.epochs
    warmup = max(1, total // 20)
    opt = torch.optim.AdamW(model.parameters(), lr=dist.learning_rate, weight_decay=0.01)
    # Linear warm-up over the first 5% of steps, then linear decay to zero.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup))))
    g = torch.Generator().manual_seed(dist.seed)
    enc = tokenizer(texts, truncation=True, max_length=dist.max_length)        # once: token lists, unpadded
    lengths = [len(ids) for ids in enc["input_ids"]]
    history = []
    model.train()
    for epoch in range(1, dist.epochs + 1):
        t0 = time.perf_counter()
        sums = {"loss": 0.0, "ce": 0.0, "kl": 0.0, "agree": 0.0}
        for rows in length_grouped_batches(lengths, dist.batch_size, g):
            idx = torch.tensor(rows)                                                    # (B,)
            batch = pad_batch(tokenizer, enc, rows)
            logits = model(**batch).logits                                              # (B, C)
            kl = F.kl_div(F.log_softmax(logits / T, dim=-1), soft[idx], reduction="batchmean")
            ce = F.cross_entropy(logits, gold[idx]) if gold is not None else torch.zeros(())
            loss = (1 - alpha) * ce + alpha * T**2 * kl
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            b = len(idx)
            sums["loss"] += loss.item() * b
            sums["ce"] += ce.item() * b
            sums["kl"] += kl.item() * b
            sums["agree"] += (logits.argmax(-1) == teacher_top[idx]).sum().item()
        row = {"epoch": epoch, "loss": sums["loss"] / n, "ce": sums["ce"] / n, "kl": sums["kl"] / n,
               "train_agreement": sums["agree"] / n, "seconds": round(time.perf_counter() - t0, 2)}
        history.append({k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()})
        if on_epoch is not None:
            on_epoch(history[-1])
    model.eval()
    return history


# --- saving -------------------------------------------------------------------------------------


def _swap_in(tmp: Path, target: Path) -> None:
    """Replace the folder ``target`` by ``tmp``: readers see the old folder or the new one."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.replace(old)
    tmp.replace(target)
    shutil.rmtree(old, ignore_errors=True)


def distill(project_dir: Path | str = ".", *, force: bool = False, write_manifest_pin: bool = False,
            console: Any = None) -> DistillResult:
    """Train the student of the project in ``project_dir`` from its teacher (see the module
    docstring for the recipe). Skips the run when the training record says nothing changed,
    unless ``force``. With ``write_manifest_pin``, writes the new student hash into the
    manifest's `student.sha256`. ``console``: a rich Console for progress, or None for quiet."""
    started = dt.datetime.now(dt.timezone.utc)
    t_start = time.perf_counter()
    project = load_project(project_dir)
    if project.manifest.task.value == "generation":  # the causal-LM recipe: _generative.py
        from . import _generative

        return _generative.distill(project, force=force, write_manifest_pin=write_manifest_pin, console=console)
    plan = _plan(project)
    from .._extras import require_models

    require_models("`stillhouse distill`")
    from .._extras import quiet_libraries

    quiet_libraries()
    m, dist, rows, labels = project.manifest, plan.dist, plan.rows, plan.labels
    teacher, student = plan.teacher, plan.student
    student_dir: Path = plan.student_dir
    say = console.print if console is not None else (lambda *a, **k: None)

    import torch

    from standards import artifact_sha256, model_pin

    key, key_inputs = _reuse_key(project, plan)
    if not force and (record := _reusable(project, key, student_dir)) is not None:
        say(f"{student.path}: up to date (training record {RECORD_FILE} has the same inputs); not retrained. "
            "Use --force to retrain.", markup=False)
        return _finish(project, student_dir, record, reused=True, write_manifest_pin=write_manifest_pin)

    ts = dist.train_set
    texts = [str(r[ts.input]) for r in rows]
    ids = [str(r.get(ts.id, i)) for i, r in enumerate(rows)]
    gold = torch.tensor([labels.index(r[ts.label]) for r in rows]) if ts.label is not None else None      # (N,)

    tmp = student_dir.with_name(f".{student_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        model, tokenizer, relation = _build_student(project, plan, texts, tmp)
        say(f"student: {sum(p.numel() for p in model.parameters()):,} parameters; {relation}", markup=False)

        t0 = time.perf_counter()
        logits_t, cached = teacher_logits(project, texts, ids, plan.train_sha256, dist.max_length, labels, teacher)
        teacher_s = time.perf_counter() - t0
        say(f"teacher logits on {len(texts):,} training inputs: "
            + ("from the cache" if cached else f"computed in {teacher_s:.1f} s"), markup=False)

        t0 = time.perf_counter()
        history = _train_with_progress(model, tokenizer, texts, gold, logits_t, dist, console)
        train_s = time.perf_counter() - t0

        from safetensors.torch import save_model

        save_model(model, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        if dist.student is not None:  # a new student; a re-initialised one keeps its config.json as it was
            model.config.to_json_file(str(tmp / "config.json"))
        _swap_in(tmp, student_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    student_sha = artifact_sha256(student_dir)
    import tokenizers
    import transformers

    teacher_params = None
    if isinstance(teacher, LocalModel):
        teacher_params = _count_parameters(project.path(teacher.path) / "model.safetensors")
    record = {
        "record_version": RECORD_VERSION,
        "project": m.name,
        "key": key,
        "key_inputs": key_inputs,
        "config": dist.model_dump(mode="json"),
        "seed": dist.seed,
        "loss_formula": "(1 - alpha) * CE(student, gold) + alpha * T**2 * KL(softmax(teacher/T) || softmax(student/T))",
        "schedule": "AdamW (weight decay 0.01); linear warm-up over 5% of steps, then linear decay to 0",
        "batching": f"rows shuffled each epoch, then grouped by token length within {GROUP_BATCHES} batches' worth",
        "teacher": {"kind": teacher.kind, "path": teacher.path, "pin": model_pin(teacher),
                    "parameters": teacher_params, "outputs_from_cache": cached,
                    "recording": _recording_meta(project, teacher)},
        "train_set": {"path": ts.path, "sha256": plan.train_sha256, "rows": len(rows)},
        "labels": labels,
        "student": {"path": student.path, "sha256": student_sha,
                    "parameters": sum(p.numel() for p in model.parameters()),
                    "architecture": {k: getattr(model.config, k) for k in
                                     ("model_type", "num_hidden_layers", "hidden_size", "num_attention_heads",
                                      "intermediate_size", "vocab_size", "max_position_embeddings")
                                     if hasattr(model.config, k)},
                    "tokenizer": relation},
        "epochs": history,
        "wall_s": {"teacher_outputs": round(teacher_s, 2), "training": round(train_s, 2),
                   "total": round(time.perf_counter() - t_start, 2)},
        "threads": torch.get_num_threads(),
        "libraries": {"torch": torch.__version__, "transformers": transformers.__version__,
                      "tokenizers": tokenizers.__version__},
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    atomic_write_text(project.dir / RECORD_FILE, json.dumps(record, indent=2) + "\n")
    say(f"saved {student.path} (sha256 {student_sha}) and {RECORD_FILE} in {record['wall_s']['total']:.1f} s",
        markup=False)
    return _finish(project, student_dir, record, reused=False, write_manifest_pin=write_manifest_pin)


def _finish(project: Project, student_dir: Path, record: dict[str, Any], *, reused: bool,
            write_manifest_pin: bool) -> DistillResult:
    sha = record["student"]["sha256"]
    pin = str(getattr(project.manifest.student, "sha256", ""))
    written = False
    if write_manifest_pin and pin.lower() != sha:
        written = write_student_pin(project, sha)
        if written:
            pin = sha
    return DistillResult(student_dir=student_dir, student_sha256=sha, record_path=project.dir / RECORD_FILE,
                         record=record, reused=reused, pin_written=written, manifest_pin=pin)


def _train_with_progress(model: Any, tokenizer: Any, texts: list[str], gold: Any, logits: Any, dist: Any,
                         console: Any) -> list[dict[str, float]]:
    if console is None:
        return train_student(model, tokenizer, texts, gold, logits, dist)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} epochs"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("distilling", total=dist.epochs)

        def on_epoch(row: dict[str, float]) -> None:
            bar.update(task, advance=1)
            console.print(f"epoch {row['epoch']:>3}/{dist.epochs}  loss {row['loss']:.4f}  ce {row['ce']:.4f}  "
                          f"kl {row['kl']:.4f}  agreement {row['train_agreement']:.3f}  ({row['seconds']:.1f} s)",
                          markup=False)

        return train_student(model, tokenizer, texts, gold, logits, dist, on_epoch=on_epoch)


def _recording_meta(project: Project, teacher: LocalModel | RecordedModel) -> dict[str, Any] | None:
    """What a recorded teacher's file says about itself: who answered, over which sets, and
    the tokens and USD the answers cost (kept in the training record)."""
    if not isinstance(teacher, RecordedModel):
        return None
    from ..eval._recording import HEADER_KEY

    try:
        with open(project.path(teacher.path), encoding="utf-8-sig") as f:
            first = json.loads(f.readline() or "{}")
    except (OSError, ValueError):
        return None
    meta = first.get(HEADER_KEY) if isinstance(first, dict) else None
    if not isinstance(meta, dict):
        return None
    return {k: meta.get(k) for k in ("teacher", "sets", "tokens", "usd", "finished_at")}


def _count_parameters(weights: Path) -> int | None:
    if not weights.is_file():
        return None
    from safetensors import safe_open

    n = 0
    with safe_open(str(weights), "pt") as f:
        for k in f.keys():
            n += math.prod(f.get_slice(k).get_shape())
    return n
