"""`stillhouse distill`: train a classification student from its teacher's soft labels.

The whole recipe, in the order `distill` runs it:

1. Load the project; check the training set (and any dev or unlabelled file the recipe
   names) against its pin, the label sets of manifest, teacher and student against each
   other, and the two tokenizers against each other.
2. Skip everything if the training record says the same inputs already produced the
   student on disk (the reuse key, below). `--force` retrains.
3. Teacher logits on the training set: run a local teacher (cached by teacher pin and
   training-set hash in `.stillhouse/cache/`), or read a recorded teacher's probabilities.
4. The dev split (`distillation.classification.dev`): a seeded share of the training rows
   set aside before anything is built from them, or a dev file. Never the eval set.
5. Augmentation (`...classification.augment`): noisy copies of the remaining training rows
   (word dropout, swaps, typos, words replaced by their neighbours among the teacher's word
   embeddings; `_augment.py`) and any unlabelled text the owner supplies, all labelled by
   the teacher's soft outputs (cached by the texts' hash). They have no gold label.
6. Build the student: a new BERT-style encoder (`distillation.student`) on the teacher's
   tokenizer, optionally pruned to the word pieces the training inputs (copies included)
   use; or the architecture already in the student folder, re-initialised from the seed.
   Then, with a local teacher, take the teacher's weights where the shapes allow
   (`init_from_teacher`; `_layerwise.py`): every same-shaped tensor, the embeddings
   projected onto the student's width otherwise.
7. Train, loss written out below. Seeded; deterministic on CPU for a given machine. Each
   epoch shuffles the rows and batches rows of similar token length together (within
   groups of 50 batches' worth), so batches carry little padding. After every epoch the
   student's agreement with the teacher on the dev split is measured; the best epoch's
   weights are kept, and training stops after `patience` epochs without a better one.
8. Save the student (safetensors) and the training record, each atomically.

The loss on a batch of B rows over C labels, temperature T::

    kl_i = KL(softmax(teacher_logits_i / T) || softmax(student_logits_i / T))   # every row
    ce_i = CE(student_logits_i, gold_i)     if row i has a gold label, else 0     # transfer-set rows only
    loss = mean_i((1 - alpha) * ce_i + alpha * T**2 * kl_i)                       # T**2 keeps gradients comparable
         [+ weight * (hidden + attention)]                                        # with `layerwise` (_layerwise.py)

Reuse key. The training record stores a sha256 over everything the student depends on:
the training set's hash, the teacher's pin, the label set, the whole `distillation`
section (the recipe's settings, and the pins of any dev or unlabelled file, included),
the existing student's config and tokenizer when it is re-initialised, the source of the
modules this recipe runs, and the torch/transformers versions. If the key matches and
the student folder still hashes to the recorded sha256, the run is skipped: a docs
rebuild whose inputs did not change never retrains, and a change to any input (or to
this trainer) always does.
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

from standards.training import TrainingRecord
from standards.v1_0 import LocalModel, RecordedModel
from standards.v1_2 import Distillation

from .._errors import AdapterError, InputError, IntegrityError, first_line
from .._io import CACHE_DIR, atomic_write_bytes, share_tree
from ..eval.adapters import pad_batch
from ..project import Project, load_project, write_student_pin
from ._accelerate import DataParallel, data_parallel
from ._batching import GROUP_BATCHES, length_grouped_batches
from ._inputs import pinned_rows, trainable_pair
from ._record import RECORD_FILE, architecture, head, tail, teacher_entry, write_record
from ._tokenizers import prune_vocabulary, tokenizer_json, tokenizer_mismatch, write_tokenizer

#: The training record, relative to the project folder (outside the student folder, so
#: it never changes the student's artifact hash). The eval report links it.

LOSS_FORMULA = ("per row: (1 - alpha) * CE(student, gold) [rows with a gold label only] "
                "+ alpha * T**2 * KL(softmax(teacher/T) || softmax(student/T)); averaged over the batch")


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
    dev_rows: list[dict[str, Any]] | None = None          # a dev file's rows (None: a share of `rows`)
    unlabelled_rows: list[dict[str, Any]] = field(default_factory=list)


def _plan(project: Project) -> Plan:
    """Every check that needs no model: returns what the run will use."""
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
    student, teacher = trainable_pair(project)
    ts = dist.train_set
    rows, actual = pinned_rows(project, ts, "distillation.train_set", "training rows")
    labels = list(m.labels)
    for i, r in enumerate(rows, 1):
        if ts.input not in r:
            raise InputError(f"{ts.path}: row {i}: expected the input column {ts.input!r}; found {sorted(r)}")
        if ts.label is not None and r.get(ts.label) not in labels:
            raise InputError(f"{ts.path}: row {i}: {ts.label}: expected one of the manifest's labels; "
                             f"found {r.get(ts.label)!r}")
    _check_teacher_labels(project, labels)
    recipe = dist.classification
    unlabelled_rows: list[dict[str, Any]] = []
    if (u := recipe.augment.unlabelled) is not None:
        if not isinstance(teacher, LocalModel):
            raise InputError(f"{name}: distillation.classification.augment.unlabelled: the teacher labels these rows, "
                             f"so it must be `local`; a {teacher.kind} teacher answers only the sets it was "
                             "recorded on (eval and distillation)")
        unlabelled_rows = _read_extra(project, u, "distillation.classification.augment.unlabelled")
    if not isinstance(teacher, LocalModel):
        # The defaults that need the teacher's weights are skipped for a recorded teacher (the
        # record says so); the same settings written out are refused, since they would do nothing.
        noise = recipe.augment.noise
        explicit = [f for f, on in (("augment.noise.copies", "copies" in noise.model_fields_set and noise.copies > 0),
                                    ("init_from_teacher", "init_from_teacher" in recipe.model_fields_set
                                     and recipe.init_from_teacher),
                                    ("layerwise", recipe.layerwise is not None)) if on]
        if explicit:
            raise InputError(f"{name}: distillation.classification.{explicit[0]}: needs the teacher's weights, so a "
                             f"`local` teacher; a {teacher.kind} teacher has only its recorded answers. Remove the "
                             "setting (or set it to 0 / false)")
    dev_rows = None
    if recipe.dev.path is not None:
        if not isinstance(teacher, LocalModel):
            raise InputError(f"{name}: distillation.classification.dev.path: agreement on a dev file needs the "
                             f"teacher's answers there, so a `local` teacher; with a {teacher.kind} teacher use "
                             "`dev: {{share: 0.05}}` (rows of the recorded distillation set)")
        dev_rows = _read_extra(project, recipe.dev, "distillation.classification.dev")
    elif len(rows) < 2:
        raise InputError(f"{ts.path}: expected at least two rows, one to train on and one for the dev split "
                         f"(distillation.classification.dev.share); found {len(rows)}")
    student_dir = project.path(student.path)
    if dist.student is None:
        cfg = student_dir / "config.json"
        if not cfg.is_file():
            raise InputError(f"{student.path}: expected a config.json and a tokenizer to re-initialise, or a "
                             f"`distillation.student` section in {name} to build a new student; found neither")
        _compare_labels(f"{student.path.rstrip('/')}/config.json id2label", _config_labels(cfg), labels)
    return Plan(dist=dist, rows=rows, labels=labels, train_sha256=actual, student_dir=student_dir, teacher=teacher,
                student=student, dev_rows=dev_rows, unlabelled_rows=unlabelled_rows)


def _read_extra(project: Project, spec: Any, field_path: str) -> list[dict[str, Any]]:
    """The rows of a file the recipe names besides the training set (unlabelled text, a dev
    file), checked against its pin; each must have the text column."""
    rows, _ = pinned_rows(project, spec, field_path, f"rows ({field_path})")
    for i, r in enumerate(rows, 1):
        if spec.input not in r:
            raise InputError(f"{spec.path}: row {i}: expected the input column {spec.input!r}; found {sorted(r)}")
    return rows


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
        "trainer_sha256": _trainer_sha256(CLASSIFICATION_MODULES),
        "libraries": {"torch": torch.__version__, "transformers": transformers.__version__},
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest(), inputs


#: The modules the classification recipe runs: a change to any of them is a new reuse key
#: (and one to another recipe's module is not).
CLASSIFICATION_MODULES = ("_augment.py", "_batching.py", "_classification.py", "_inputs.py", "_layerwise.py",
                          "_tokenizers.py")


def _trainer_sha256(modules: tuple[str, ...] | None = None) -> str:
    """One hash over the source of ``modules`` of this package (all of them by default): a
    change to the recipe, its batching or its tokenizer handling is a new key (the student is
    retrained)."""
    h = hashlib.sha256()
    for f in sorted(Path(__file__).parent.glob("*.py")):
        if modules is None or f.name in modules:
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _reusable(project: Project, key: str, student_dir: Path) -> dict[str, Any] | None:
    from standards import artifact_sha256

    rec_file = project.dir / RECORD_FILE
    if not rec_file.is_file() or not (student_dir / "config.json").is_file():
        return None
    try:
        record = json.loads(rec_file.read_text(encoding="utf-8"))
        parsed = TrainingRecord.model_validate(record)
    except (ValueError, UnicodeDecodeError):  # unreadable, or not a training record: retrain
        return None
    if parsed.key != key or parsed.student.sha256 != artifact_sha256(student_dir):
        return None
    return record  # type: ignore[no-any-return]


# --- teacher outputs -----------------------------------------------------------------------------


def teacher_logits(project: Project, texts: list[str], ids: list[str], train_sha256: str, max_length: int,
                   labels: list[str], teacher: LocalModel | RecordedModel | None = None, *,
                   loaded: tuple[Any, Any] | None = None, set_name: str = "distillation") -> tuple[Any, bool]:
    """Teacher logits on ``texts``, (N, C) float32, and whether they came from the cache.

    A local teacher is run once per (teacher pin, ``train_sha256``: a hash naming these texts,
    max_length) and cached; ``loaded`` is the teacher (model, tokenizer) already loaded and
    verified, else it is loaded here. A recorded teacher's probabilities p for the rows
    ``ids`` of ``set_name`` become logits log(p)."""
    import torch

    from standards import file_sha256, model_pin

    t = teacher if teacher is not None else project.manifest.teacher
    if not isinstance(t, (LocalModel, RecordedModel)):
        raise InputError(f"teacher.kind: distill runs `local` teachers or reads `recorded` ones; found {t.kind!r}")
    tdir = project.path(t.path)
    if isinstance(t, RecordedModel):
        if file_sha256(tdir) != t.sha256.lower():
            raise IntegrityError(t.path, "teacher.sha256", t.sha256, file_sha256(tdir))
        from ..eval import read_recording

        recording = read_recording(tdir, t.path, labels=labels, task="classification")
        answers = recording.lookup(set_name, ids, texts, t.path)
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
    if loaded is None:  # a teacher loaded by `load_teacher` was checked against its pin there
        from standards import artifact_sha256

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
    model, tok = loaded if loaded is not None else load_teacher(project, t, verified=True)
    enc = tok(texts, truncation=True, max_length=_fits(model, max_length))  # token lists, no padding
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


def load_teacher(project: Project, t: LocalModel, *, verified: bool = False) -> tuple[Any, Any]:
    """A local teacher (model in eval mode, tokenizer), after checking its folder against its
    pin (unless the caller just did: ``verified``)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from standards import artifact_sha256

    tdir = project.path(t.path)
    if not verified:
        actual = artifact_sha256(tdir)
        if actual != t.sha256.lower():
            raise IntegrityError(t.path, "teacher.sha256", t.sha256, actual, requirement="TEACH-002")
    from ..eval.adapters.local import TOKENIZER_FILES

    if not any(tdir.rglob("*.safetensors")):
        raise InputError(f"{t.path}: expected .safetensors weights (Stillhouse loads safetensors only); found none")
    if not any((tdir / name).is_file() for name in TOKENIZER_FILES):
        raise InputError(f"{t.path}: expected the teacher's tokenizer ({', '.join(TOKENIZER_FILES[:3])} …); found "
                         "none: save it beside the model, tokenizer.save_pretrained(folder)")
    try:
        tok = AutoTokenizer.from_pretrained(tdir)
        model = AutoModelForSequenceClassification.from_pretrained(
            tdir, use_safetensors=True, trust_remote_code=bool(getattr(t, "trust_remote_code", False))).eval()
    except Exception as exc:  # transformers and safetensors raise OSError, ValueError, SafetensorError, ...
        raise InputError(f"{t.path}: expected a transformers classifier the teacher can be loaded from; "
                         f"found {first_line(exc)}") from None
    return model, tok


def _fits(model: Any, max_length: int) -> int:
    """``max_length``, cut to the positions ``model`` has: a longer input would crash its forward pass."""
    return min(max_length, getattr(model.config, "max_position_embeddings", None) or max_length)


def texts_sha256(texts: list[str]) -> str:
    """A hash naming a list of texts (the cache key of the teacher's logits on rows that are not a file)."""
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8") + b"\0")
    return h.hexdigest()


# --- the dev split and augmentation ---------------------------------------------------------


def split_dev(n: int, share: float, seed: int) -> tuple[list[int], list[int]]:
    """Row indices (training, dev), each in row order: ``share`` of ``n`` rows (at least one, never
    all) drawn by a generator seeded with ``seed``."""
    import torch

    k = min(n - 1, max(1, round(share * n)))
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return sorted(perm[k:]), sorted(perm[:k])


def _augment(project: Project, recipe: Any, texts: list[str], unlabelled_rows: list[dict[str, Any]],
             loaded: tuple[Any, Any] | None, seed: int) -> tuple[list[str], dict[str, Any]]:
    """The texts added to the transfer set (noisy copies of ``texts``, then the unlabelled rows)
    and what the training record says about them."""
    from ._augment import Noise, embedding_neighbours, noisy_copies

    noise = recipe.augment.noise
    meta: dict[str, Any] = {"copies_per_message": noise.copies, "noisy_copies": 0, "unlabelled": 0,
                            "teacher_labelled_rows": 0, "neighbour_words": 0, "skipped": None, "examples": []}
    extra: list[str] = []
    if noise.copies > 0 and loaded is None:
        meta["skipped"] = ("noisy copies need a local teacher to label them; a recorded teacher answers only "
                           "the messages it was recorded on")
    elif noise.copies > 0 and loaded is not None:
        model, tok = loaded
        neighbours: dict[str, list[str]] = {}
        if noise.replace > 0:
            words = {w.strip(".,;:!?\"'()").lower() for t in texts for w in t.split()}
            neighbours = embedding_neighbours(tok.get_vocab(), model.get_input_embeddings().weight, words,
                                              noise.neighbours)
        copies = noisy_copies(texts, noise.copies, Noise(noise.dropout, noise.swap, noise.typo, noise.replace),
                              seed, neighbours)
        extra += [c for _, c in copies]
        meta.update(noisy_copies=len(copies), neighbour_words=len(neighbours),
                    examples=[{"source": texts[i], "copy": c} for i, c in copies[:5]])
    if unlabelled_rows:
        spec = recipe.augment.unlabelled
        extra += [str(r[spec.input]) for r in unlabelled_rows]
        meta.update(unlabelled=len(unlabelled_rows), unlabelled_source=spec.path)
    meta["teacher_labelled_rows"] = len(extra)
    return extra, meta


def _init_from_teacher(recipe: Any, model: Any, tokenizer: Any, loaded: tuple[Any, Any] | None) -> dict[str, Any]:
    """Take the teacher's weights where the student's shapes allow (`_layerwise.init_from_teacher`)."""
    if not recipe.init_from_teacher:
        return {"summary": "", "skipped": "off in the settings"}
    if loaded is None:
        return {"summary": "", "skipped": "a recorded teacher has no weights to start from"}
    from ._layerwise import init_from_teacher

    done = init_from_teacher(model, loaded[0], tokenizer.get_vocab(), loaded[1].get_vocab())
    done["summary"] = (f"from the teacher: {len(done['copied'])} tensors copied, {len(done['projected'])} projected "
                       f"onto the student's width, {len(done['kept_random'])} left random")
    return done


def _layerwise_meta(recipe: Any, model: Any, loaded: tuple[Any, Any] | None) -> dict[str, Any] | None:
    if recipe.layerwise is None:
        return None
    if loaded is None:
        return {"skipped": "a recorded teacher has no hidden states"}
    from ._layerwise import layer_map, skipped_attention

    s_cfg, t_cfg = model.config, loaded[0].config
    return {**recipe.layerwise.model_dump(mode="json"),
            "layers": dict(enumerate(layer_map(s_cfg.num_hidden_layers, t_cfg.num_hidden_layers))),
            "projection": (f"learned, {s_cfg.hidden_size} -> {t_cfg.hidden_size}"
                           if s_cfg.hidden_size != t_cfg.hidden_size else "none (same width)"),
            "attention_skipped": skipped_attention(model, loaded[0], recipe.layerwise)}


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
        try:
            config = AutoConfig.from_pretrained(workdir)
        except Exception as exc:  # transformers checks a config's own consistency with ValueError
            raise InputError(f"{student.path}/config.json: expected a usable model configuration; found "
                             f"{first_line(exc)}") from None
    if base_tok is not None and isinstance(teacher, LocalModel):
        problems = tokenizer_mismatch(base_tok, tokenizer_json(workdir, "student"))
        if problems:
            raise InputError(f"{teacher.path} and {student.path} do not read text the same way: "
                             + "; ".join(problems) + ". The student must use the teacher's tokenizer or a pruning "
                             "of its vocabulary (`distillation.student.vocabulary: pruned`)")
    if base_tok is not None:
        n_t, n_s = len(base_tok["model"]["vocab"]), len(tokenizer_json(workdir, "student")["model"]["vocab"])
        pruned = init is not None and init.vocabulary == "pruned"
        relation = f"{tok_name} pruned to {n_s:,} of its {n_t:,} word pieces" if pruned else tok_name
    else:
        relation = "its own tokenizer (a recorded teacher has none to compare)"
    torch.manual_seed(dist.seed)                                   # the initial weights depend on the seed only
    try:
        model = AutoModelForSequenceClassification.from_config(config)
    except ValueError as exc:  # e.g. a hidden size that its heads do not divide
        raise InputError(f"{student.path}: expected a configuration a classifier can be built from; found "
                         f"{first_line(exc)}") from None
    tokenizer = AutoTokenizer.from_pretrained(workdir)
    return model, tokenizer, relation


@dataclass
class DevCheck:
    """The rows agreement is checked on after every epoch, and the teacher's answers there."""

    texts: list[str]
    teacher_top: Any                  # (D,) the teacher's label ids


@dataclass
class LayerwiseSetup:
    """What the layer-wise loss needs: the teacher, its tokenizer, the settings."""

    teacher: Any
    tokenizer: Any
    settings: Any


def train_student(model: Any, tokenizer: Any, texts: list[str], gold: Any, teacher_logits: Any, dist: Any,
                  on_epoch: Any = None, *, dev: DevCheck | None = None, patience: int | None = None,
                  layerwise: LayerwiseSetup | None = None,
                  data_parallel: DataParallel | None = None) -> list[dict[str, float]]:
    """The training loop. ``gold``: (N,) label ids, -1 on rows without a gold label (the
    teacher-labelled rows), or None (soft labels only); ``teacher_logits``: (N, C).

    With ``dev``, agreement with the teacher there is measured after every epoch; the weights
    of the best epoch are kept (and put back at the end), and with ``patience`` training stops
    after that many epochs without a better one. Returns one entry per epoch run: mean loss,
    CE (over gold rows), KL, layer-wise terms, agreement on the training rows and on dev.
    With ``data_parallel`` (`accelerate launch`), this process trains on its share of every
    batch and the gradients and the epoch's sums are those of all processes."""
    import torch
    import torch.nn.functional as F

    alpha, T = dist.alpha, dist.temperature
    soft = F.softmax(teacher_logits / T, dim=-1)                     # (N, C): the teacher's soft labels at T
    teacher_top = teacher_logits.argmax(-1)                          # (N,)
    n = len(texts)
    has_gold = gold >= 0 if gold is not None else torch.zeros(n, dtype=torch.bool)          # (N,)
    gold_ids = gold.clamp_min(0) if gold is not None else torch.zeros(n, dtype=torch.long)  # (N,)
    n_gold = max(1, int(has_gold.sum()))
    lw = None
    if layerwise is not None:
        from ._layerwise import build_layerwise

        lw = build_layerwise(model, layerwise.teacher, layerwise.settings)
        if lw.attention:  # the fused attention kernels return no attention weights
            model.set_attn_implementation("eager")
            layerwise.teacher.set_attn_implementation("eager")
            for module in model.modules():   # the weights come back after dropout: compare them without
                if type(module).__name__.endswith("SelfAttention") and isinstance(getattr(module, "dropout", None),
                                                                                  torch.nn.Dropout):
                    module.dropout.p = 0.0
        t_enc = layerwise.tokenizer(texts, truncation=True, max_length=_fits(layerwise.teacher, dist.max_length))
    if data_parallel is not None:
        model = data_parallel.wrap(model, lw)                         # DistributedDataParallel
    steps_per_epoch = math.ceil(n / dist.batch_size)
    total = steps_per_epoch * dist.epochs
    warmup = max(1, total // 20)
    params = list(model.parameters()) + (list(lw.parameters()) if lw is not None else [])
    opt = torch.optim.AdamW(params, lr=dist.learning_rate, weight_decay=0.01)
    # Linear warm-up over the first 5% of steps, then linear decay to zero.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup))))
    g = torch.Generator().manual_seed(dist.seed)
    torch.manual_seed(dist.seed)              # dropout draws from torch's global generator: the run depends on the seed only
    enc = tokenizer(texts, truncation=True, max_length=dist.max_length)        # once: token lists, unpadded
    lengths = [len(ids) for ids in enc["input_ids"]]
    aligned = _aligned(tokenizer, layerwise.tokenizer, enc, t_enc) if layerwise is not None else None
    history = []
    best: tuple[tuple[float, float], int, dict[str, Any]] | None = None   # ((agreement, -loss), epoch, weights)
    model.train()
    for epoch in range(1, dist.epochs + 1):
        t0 = time.perf_counter()
        sums = {"loss": 0.0, "ce": 0.0, "kl": 0.0, "hidden": 0.0, "attention": 0.0, "agree": 0.0}
        for rows in length_grouped_batches(lengths, dist.batch_size, g):
            rows = data_parallel.share(rows) if data_parallel is not None else rows     # this process's part
            idx = torch.tensor(rows)                                                    # (B,)
            out = model(**pad_batch(tokenizer, enc, rows), output_hidden_states=lw is not None,
                        output_attentions=lw is not None and lw.attention)
            logits = out.logits                                                         # (B, C)
            kl = F.kl_div(F.log_softmax(logits / T, dim=-1), soft[idx], reduction="none").sum(-1)   # (B,)
            ce = F.cross_entropy(logits, gold_ids[idx], reduction="none") * has_gold[idx]          # (B,), 0 without gold
            loss = ((1 - alpha) * ce + alpha * T**2 * kl).mean()
            if lw is not None and layerwise is not None and aligned is not None:
                hidden, att = _layerwise_terms(lw, layerwise, out, t_enc, rows, aligned)
                loss = loss + layerwise.settings.weight * (hidden + att)
                sums["hidden"] += hidden.item() * len(rows)
                sums["attention"] += att.item() * len(rows)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            sums["loss"] += loss.item() * len(rows)
            sums["ce"] += ce.sum().item()
            sums["kl"] += kl.sum().item()
            sums["agree"] += (logits.argmax(-1) == teacher_top[idx]).sum().item()
        if data_parallel is not None:
            sums = data_parallel.total(sums)
        row: dict[str, Any] = {"epoch": epoch, "loss": sums["loss"] / n, "ce": sums["ce"] / n_gold,
                               "kl": sums["kl"] / n, "train_agreement": sums["agree"] / n}
        if lw is not None:
            row.update(layerwise_hidden=sums["hidden"] / n, layerwise_attention=sums["attention"] / n)
        if dev is not None:
            row["dev_agreement"], row["dev_loss"] = _dev_scores(model, tokenizer, dev, dist)
            model.train()
            # Agreement decides; on a tie (small dev sets plateau) the lower dev loss is better,
            # so a slow start is not taken for a finished run.
            score = (row["dev_agreement"], -row["dev_loss"])
            if best is None or score > best[0]:
                best = (score, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
        row["seconds"] = round(time.perf_counter() - t0, 2)
        history.append({k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()})
        if on_epoch is not None:
            on_epoch(history[-1])
        if best is not None and patience is not None and epoch - best[1] >= patience:
            break                                                    # no better dev score for `patience` epochs
    if best is not None and best[1] != history[-1]["epoch"]:
        model.load_state_dict(best[2])                               # the best epoch's student, not the last
    model.eval()
    return history


def chosen_epoch(history: list[dict[str, Any]]) -> int:
    """The epoch whose student `train_student` kept: the first with the best dev score (agreement,
    then the lower dev loss), or the last."""
    with_dev = [e for e in history if "dev_agreement" in e]
    if not with_dev:
        return int(history[-1]["epoch"])
    return int(max(with_dev, key=lambda e: (e["dev_agreement"], -e.get("dev_loss", 0.0), -e["epoch"]))["epoch"])


def _agreement(model: Any, tokenizer: Any, dev: DevCheck, dist: Any) -> float:
    """Share of dev rows where the student's top label is the teacher's."""
    return _dev_scores(model, tokenizer, dev, dist)[0]


def _dev_scores(model: Any, tokenizer: Any, dev: DevCheck, dist: Any) -> tuple[float, float]:
    """On the dev rows: the share where the student's top label is the teacher's, and the mean
    cross-entropy of the student against the teacher's top label (rounded as the record keeps it)."""
    import torch
    import torch.nn.functional as F

    model.eval()
    enc = tokenizer(dev.texts, truncation=True, max_length=dist.max_length)
    order = sorted(range(len(dev.texts)), key=lambda i: len(enc["input_ids"][i]))
    agree, loss = 0, 0.0
    with torch.inference_mode():
        for s in range(0, len(order), 128):
            rows = order[s:s + 128]
            logits = model(**pad_batch(tokenizer, enc, rows)).logits                    # (b, C)
            target = dev.teacher_top[torch.tensor(rows)]                                # (b,)
            agree += int((logits.argmax(-1) == target).sum())
            loss += float(F.cross_entropy(logits, target, reduction="sum"))
    n = len(dev.texts)
    return round(agree / n, 6), round(loss / n, 6)


def _aligned(student_tok: Any, teacher_tok: Any, s_enc: Any, t_enc: Any) -> list[bool]:
    """Per row: do both tokenizers split it into the same word pieces? (Layer-wise terms compare
    position by position, so only such rows take part.)"""
    s_pieces, t_pieces = student_tok.convert_ids_to_tokens, teacher_tok.convert_ids_to_tokens
    return [s_pieces(a) == t_pieces(b) for a, b in zip(s_enc["input_ids"], t_enc["input_ids"])]


def _layerwise_terms(lw: Any, setup: LayerwiseSetup, s_out: Any, t_enc: Any, rows: list[int],
                     aligned: list[bool]) -> tuple[Any, Any]:
    """The layer-wise loss on the batch's aligned rows: the teacher runs on them (no gradient)."""
    import torch

    keep = [k for k, r in enumerate(rows) if aligned[r]]
    if not keep:
        return torch.zeros(()), torch.zeros(())
    t_batch = pad_batch(setup.tokenizer, t_enc, [rows[k] for k in keep])
    with torch.no_grad():
        t_out = setup.teacher(**t_batch, output_hidden_states=True, output_attentions=lw.attention)
    s = t_batch["input_ids"].shape[1]            # aligned rows are as long in both, so the student's S >= s
    k_idx = torch.tensor(keep)

    class Sub:                                    # the student's outputs on the aligned rows, cut to length s
        hidden_states = [h[k_idx, :s] for h in s_out.hidden_states]
        attentions = [a[k_idx, :, :s, :s] for a in s_out.attentions] if lw.attention else None

    return lw(Sub, t_out, t_batch["attention_mask"])      # type: ignore[no-any-return]


# --- saving -------------------------------------------------------------------------------------


def _swap_in(tmp: Path, target: Path) -> None:
    """Replace the folder ``target`` by ``tmp``, readable by others (`share_tree`): readers see
    the old folder or the new one."""
    share_tree(tmp)
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
    dist, rows, labels = plan.dist, plan.rows, plan.labels
    teacher, student = plan.teacher, plan.student
    student_dir: Path = plan.student_dir
    dp = data_parallel()  # one of several `accelerate launch` processes, or None (see _accelerate.py)
    if dp is not None and not dp.is_main:
        console, write_manifest_pin = None, False  # the main process reports and writes for all
    say = console.print if console is not None else (lambda *a, **k: None)

    import torch

    from standards import artifact_sha256

    key, key_inputs = _reuse_key(project, plan)
    if not force and (record := _reusable(project, key, student_dir)) is not None:
        say(f"{student.path}: up to date (training record {RECORD_FILE} has the same inputs); not retrained. "
            "Use --force to retrain.", markup=False)
        return _finish(project, student_dir, record, reused=True, write_manifest_pin=write_manifest_pin)

    ts, recipe = dist.train_set, dist.classification
    texts = [str(r[ts.input]) for r in rows]
    ids = [str(r.get(ts.id, i)) for i, r in enumerate(rows)]
    gold = torch.tensor([labels.index(r[ts.label]) for r in rows]) if ts.label is not None else None      # (N,)
    local = teacher if isinstance(teacher, LocalModel) else None

    # Teacher logits on the whole transfer set (the dev share included: it needs the answers too).
    t0 = time.perf_counter()
    loaded = load_teacher(project, local) if local is not None else None
    logits_all, cached = teacher_logits(project, texts, ids, plan.train_sha256, dist.max_length, labels, teacher,
                                        loaded=loaded)
    teacher_s = time.perf_counter() - t0
    say(f"teacher logits on {len(texts):,} training inputs: "
        + ("from the cache" if cached else f"computed in {teacher_s:.1f} s"), markup=False)

    # The dev split: a seeded share of the transfer set, set aside before anything is built
    # from it, or a file of its own. Agreement there chooses the epoch.
    if plan.dev_rows is None:
        train_idx, dev_idx = split_dev(len(rows), recipe.dev.share or 0.0, dist.seed)
        dev = DevCheck(texts=[texts[i] for i in dev_idx], teacher_top=logits_all[dev_idx].argmax(-1))
        dev_source = f"{len(dev_idx):,} rows ({recipe.dev.share:.0%}) of the transfer set, drawn with the seed"
    else:
        spec = recipe.dev
        train_idx = list(range(len(rows)))
        dev_texts = [str(r[spec.input]) for r in plan.dev_rows]
        dev_logits, _ = teacher_logits(project, dev_texts, [str(r.get(spec.id, i)) for i, r in enumerate(plan.dev_rows)],
                                       str(spec.sha256).lower(), dist.max_length, labels, teacher, loaded=loaded)
        dev = DevCheck(texts=dev_texts, teacher_top=dev_logits.argmax(-1))
        dev_source = f"{spec.path} ({len(dev_texts):,} rows)"

    # Augmentation: noisy copies of the training rows and the owner's unlabelled text, all
    # labelled by the teacher. They carry no gold label (-1): the CE term skips them.
    t0 = time.perf_counter()
    train_texts = [texts[i] for i in train_idx]
    extra, augmentation = _augment(project, recipe, train_texts, plan.unlabelled_rows, loaded, dist.seed)
    extra_logits = None
    if extra:
        extra_logits, _ = teacher_logits(project, extra, [f"augment-{i}" for i in range(len(extra))],
                                         texts_sha256(extra), dist.max_length, labels, teacher, loaded=loaded)
    augment_s = time.perf_counter() - t0
    if extra:
        say(f"augmented: {augmentation['noisy_copies']:,} noisy copies and {augmentation['unlabelled']:,} unlabelled "
            f"rows, labelled by the teacher in {augment_s:.1f} s", markup=False)
    elif augmentation["skipped"]:
        say(f"augmentation skipped: {augmentation['skipped']}", markup=False)
    idx = torch.tensor(train_idx, dtype=torch.long)
    gold_train = gold[idx] if gold is not None else torch.full((len(train_idx),), -1)
    all_texts = train_texts + extra                                                        # N' rows
    all_gold = torch.cat([gold_train, torch.full((len(extra),), -1)])                      # (N',), -1: no gold
    all_logits = torch.cat([logits_all[idx]] + ([extra_logits] if extra_logits is not None else []))  # (N', C)

    tmp = student_dir.with_name(f".{student_dir.name}.tmp{dp.tag() if dp is not None else ''}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        model, tokenizer, relation = _build_student(project, plan, all_texts, tmp)
        init = _init_from_teacher(recipe, model, tokenizer, loaded)
        say(f"student: {sum(p.numel() for p in model.parameters()):,} parameters; {relation}"
            + (f"; {init['summary']}" if init.get("summary") else ""), markup=False)

        layerwise = None
        if recipe.layerwise is not None and loaded is not None:
            layerwise = LayerwiseSetup(teacher=loaded[0], tokenizer=loaded[1], settings=recipe.layerwise)
        t0 = time.perf_counter()
        history = _train_with_progress(model, tokenizer, all_texts, all_gold, all_logits, dist, console,
                                       dev=dev, patience=recipe.patience, layerwise=layerwise, data_parallel=dp)
        train_s = time.perf_counter() - t0
        chosen = chosen_epoch(history)
        say(f"kept epoch {chosen} of {len(history)} (dev agreement "
            f"{next(e['dev_agreement'] for e in history if e['epoch'] == chosen):.3f})", markup=False)
        if dp is not None and not dp.is_main:  # the same student: the main process saves it and the record
            dp.wait()
            record = json.loads((project.dir / RECORD_FILE).read_text(encoding="utf-8"))
            return _finish(project, student_dir, record, reused=False, write_manifest_pin=False)

        from safetensors.torch import save_model

        save_model(model, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        if dist.student is not None:  # a new student; a re-initialised one keeps its config.json as it was
            model.config.to_json_file(str(tmp / "config.json"))
        _swap_in(tmp, student_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    student_sha = artifact_sha256(student_dir)
    record = {
        **head(project, key, key_inputs, dist),
        "loss_formula": LOSS_FORMULA + (" + weight * (hidden + attention)" if layerwise is not None else ""),
        "batching": f"rows shuffled each epoch, then grouped by token length within {GROUP_BATCHES} batches' worth",
        "teacher": teacher_entry(project, teacher, cached, _recording_meta(project, teacher)),
        "train_set": {"path": ts.path, "sha256": plan.train_sha256, "rows": len(rows)},
        "labels": labels,
        "student": {"path": student.path, "sha256": student_sha,
                    "parameters": sum(p.numel() for p in model.parameters()),
                    "architecture": architecture(model.config), "tokenizer": relation},
        "epochs": history,
        "dev": {"source": dev_source, "rows": len(dev.texts),
                "metric": "agreement with the teacher's top label; on a tie, the lower dev loss",
                "agreement_by_epoch": [e["dev_agreement"] for e in history],
                "loss_by_epoch": [e["dev_loss"] for e in history], "chosen_epoch": chosen,
                "epochs_run": len(history), "epochs_max": dist.epochs, "patience": recipe.patience,
                "stopped_early": len(history) < dist.epochs},
        "augmentation": augmentation,
        "rows": {"transfer_set": len(rows), "dev": len(dev.texts) if plan.dev_rows is None else 0,
                 "trained_on": len(all_texts), "gold_labelled": int((all_gold >= 0).sum()),
                 "teacher_labelled_only": len(extra)},
        "init_from_teacher": init,
        "layerwise": _layerwise_meta(recipe, model, loaded),
        "wall_s": {"teacher_outputs": round(teacher_s, 2), "augmentation": round(augment_s, 2),
                   "training": round(train_s, 2), "total": round(time.perf_counter() - t_start, 2)},
        "data_parallel": dp.describe() if dp is not None else None,
        **tail(started),
    }
    write_record(project, record, say)
    if dp is not None:
        dp.wait()  # the other processes read the record now
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
                         console: Any, **options: Any) -> list[dict[str, float]]:
    if console is None:
        return train_student(model, tokenizer, texts, gold, logits, dist, **options)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} epochs"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("distilling", total=dist.epochs)

        def on_epoch(row: dict[str, float]) -> None:
            bar.update(task, advance=1)
            dev = f"  dev agreement {row['dev_agreement']:.3f}" if "dev_agreement" in row else ""
            console.print(f"epoch {row['epoch']:>3}/{dist.epochs}  loss {row['loss']:.4f}  ce {row['ce']:.4f}  "
                          f"kl {row['kl']:.4f}  agreement {row['train_agreement']:.3f}{dev}  ({row['seconds']:.1f} s)",
                          markup=False)

        return train_student(model, tokenizer, texts, gold, logits, dist, on_epoch=on_epoch, **options)


def _recording_meta(project: Project, teacher: LocalModel | RecordedModel) -> dict[str, Any] | None:
    """What a recorded teacher's file says about itself: who answered, over which sets, and
    the tokens and USD the answers cost (kept in the training record)."""
    if not isinstance(teacher, RecordedModel):
        return None
    from ..eval import HEADER_KEY

    try:
        with open(project.path(teacher.path), encoding="utf-8-sig") as f:
            first = json.loads(f.readline() or "{}")
    except (OSError, ValueError):
        return None
    meta = first.get(HEADER_KEY) if isinstance(first, dict) else None
    if not isinstance(meta, dict):
        return None
    return {k: meta.get(k) for k in ("teacher", "sets", "tokens", "usd", "finished_at")}
