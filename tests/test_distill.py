"""`stillhouse distill` on tiny real models built from configs: it trains, records, reuses,
is deterministic, and refuses mismatched label sets, tokenizers and unpinned data."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from standards import artifact_sha256, file_sha256

from .conftest import EXAMPLES, run_cli

LABELS = ["billing", "shipping", "other"]
WORDS = {"billing": ["refund", "charge", "invoice", "card"], "shipping": ["parcel", "delivery", "track", "box"],
         "other": ["weather", "joke", "music", "movie"]}


def _rows(n: int, seed: int, prefix: str) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        lab = LABELS[i % 3]
        text = " ".join(rng.choice(WORDS[lab]) for _ in range(rng.randint(1, 4)))
        rows.append({"id": f"{prefix}-{i}", "text": text, "label": lab, "kind": "even" if i % 2 else "odd"})
    return rows


def _tokenizer(lowercase: bool = True):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = [chr(c) for c in range(33, 127)]
    words = sorted({w for ws in WORDS.values() for w in ws} | {"unused", "extra"})
    vocab = {t: i for i, t in enumerate(specials + chars + ["##" + c for c in chars] + words)}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=32)


def _tiny_bert(tok, labels: list[str], seed: int):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=32, num_labels=len(labels),
                     id2label=dict(enumerate(labels)), label2id={x: i for i, x in enumerate(labels)})
    return BertForSequenceClassification(cfg)


MANIFEST = """\
standards_version: "{version}"
name: tiny-router
task: classification
owner: {{handle: ada, team: ml, backup: grace}}
labels: {labels}
teacher: {{kind: local, path: teacher/, sha256: {teacher_sha}}}
student: {{kind: local, path: student/, sha256: "{student_sha}"}}
eval_set: {{path: data/eval.jsonl, sha256: {eval_sha}, rows: 60, fields: {{id: id, input: text, label: label}}}}
slices:
  - {{name: odd, rule: {{column: kind, equals: odd}}}}
quality_bars:
  - {{slice: "*", metric: accuracy, minimum: 0.1, min_examples: 10}}
triggers: {{teacher_change: true, drift: {{max_drop: 0.05}}, cadence_days: 90}}
lifecycle: {{status: experimental, created: 2026-11-01}}
distillation:
  train_set: {{path: data/train.jsonl, sha256: {train_sha}}}
  alpha: {alpha}
  temperature: 2.0
  epochs: 3
  learning_rate: 0.005
  batch_size: 16
  seed: 3
  max_length: 16
  student: {{layers: 1, hidden_size: 16, heads: 2, intermediate_size: 32, vocabulary: pruned}}
{classification}"""


def _write_manifest(proj: Path, alpha: float = 0.8, labels: list[str] = LABELS, student_sha: str = "0" * 64,
                    classification: str = "") -> None:
    """The tiny project's manifest: standards 1.1 (migrated on load, so the 1.2 recipe's defaults
    apply), or 1.2 with ``classification``, the YAML of `distillation.classification`."""
    block = "".join(f"    {line}\n" for line in classification.strip().splitlines())
    (proj / "stillhouse.yaml").write_text(MANIFEST.format(
        labels=json.dumps(labels), teacher_sha=artifact_sha256(proj / "teacher"), student_sha=student_sha,
        eval_sha=file_sha256(proj / "data" / "eval.jsonl"), train_sha=file_sha256(proj / "data" / "train.jsonl"),
        alpha=alpha, version="1.2" if classification else "1.1",
        classification=f"  classification:\n{block}" if classification else ""), encoding="utf-8")


def tiny_project(proj: Path, train_rows: int = 240, eval_rows: int = 60) -> Path:
    """A project with a tiny local teacher (random weights, a real WordPiece tokenizer)."""
    from safetensors.torch import save_model

    (proj / "data").mkdir(parents=True)
    for name, n, seed in (("train", train_rows, 1), ("eval", eval_rows, 2)):
        (proj / "data" / f"{name}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in _rows(n, seed, name)), encoding="utf-8")
    tok = _tokenizer()
    teacher = _tiny_bert(tok, LABELS, seed=0)
    tdir = proj / "teacher"
    tdir.mkdir()
    teacher.config.to_json_file(str(tdir / "config.json"))
    save_model(teacher, str(tdir / "model.safetensors"), metadata={"format": "pt"})
    tok.save_pretrained(tdir)
    _write_manifest(proj)
    return proj


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory) -> Path:
    return tiny_project(tmp_path_factory.mktemp("tiny") / "project")


@pytest.fixture
def tiny(tiny_template: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "project"
    shutil.copytree(tiny_template, dst)
    return dst


def test_distill_trains_records_pins_and_reuses(tiny: Path):
    r = run_cli("distill", tiny, "--write-pin")
    assert r.code == 0, r.output
    assert "epoch   3/3" in r.output and "pinned" in r.output
    student = tiny / "student"
    assert (student / "model.safetensors").is_file() and not list(student.glob("*.bin"))
    # readable by the team, as every written file is (safetensors writes its file 0600)
    assert oct(student.stat().st_mode & 0o777) == oct(0o755)
    assert {oct(f.stat().st_mode & 0o777) for f in student.iterdir()} == {oct(0o644)}
    record = json.loads((tiny / "training" / "record.json").read_text())
    assert [e["epoch"] for e in record["epochs"]] == [1, 2, 3]
    assert all(e["loss"] > 0 and 0 <= e["train_agreement"] <= 1 for e in record["epochs"])
    assert record["seed"] == 3 and record["config"]["alpha"] == 0.8
    assert record["teacher"]["pin"] == "sha256:" + artifact_sha256(tiny / "teacher")
    assert record["train_set"]["sha256"] == file_sha256(tiny / "data" / "train.jsonl")
    assert record["student"]["sha256"] == artifact_sha256(student)
    assert record["wall_s"]["total"] > 0
    # The pin went into the manifest, and only there.
    text = (tiny / "stillhouse.yaml").read_text()
    assert record["student"]["sha256"] in text and "0" * 64 not in text
    # The pruned vocabulary keeps the training word pieces and every character: a subset of the teacher's.
    t_vocab = json.loads((tiny / "teacher" / "tokenizer.json").read_text())["model"]["vocab"]
    s_vocab = json.loads((student / "tokenizer.json").read_text())["model"]["vocab"]
    assert set(s_vocab) <= set(t_vocab) and "refund" in s_vocab
    assert "pruned" in record["student"]["tokenizer"]
    # The 1.2 recipe's defaults: 5% of the rows for dev, one noisy copy of each other row.
    assert record["rows"]["dev"] == 12 and record["rows"]["gold_labelled"] == 228
    assert record["augmentation"]["noisy_copies"] == record["rows"]["teacher_labelled_only"] > 200
    assert record["dev"]["agreement_by_epoch"] == [e["dev_agreement"] for e in record["epochs"]]

    # Nothing changed: not retrained (the record and the student stay byte for byte).
    before = (tiny / "training" / "record.json").read_bytes()
    again = run_cli("distill", tiny)
    assert again.code == 0 and "up to date" in again.output, again.output
    assert (tiny / "training" / "record.json").read_bytes() == before
    from standards import TrainingRecord

    TrainingRecord.model_validate(record)  # the record follows its published schema

    # A record that is not a valid training record (here: its epochs cut away, the key kept)
    # is not believed: the student is retrained and a valid record replaces it.
    broken = dict(record, epochs=[])
    (tiny / "training" / "record.json").write_text(json.dumps(broken), encoding="utf-8")
    redone = run_cli("distill", tiny)
    assert redone.code == 0 and "up to date" not in redone.output, redone.output
    redone_record = TrainingRecord.model_validate_json((tiny / "training" / "record.json").read_text())
    assert len(redone_record.epochs) == 3 and redone_record.student.sha256 == record["student"]["sha256"]

    # A changed setting is a changed input: it retrains.
    _write_manifest(tiny, alpha=0.5, student_sha=record["student"]["sha256"])
    changed = run_cli("distill", tiny)
    assert changed.code == 0 and "epoch   3/3" in changed.output and "up to date" not in changed.output
    assert "--write-pin" in changed.output  # the manifest now pins an older student: said plainly


def test_distill_is_deterministic(tiny: Path):
    import harness

    first = harness.distill(tiny)
    second = harness.distill(tiny, force=True)
    assert not second.reused
    assert first.student_sha256 == second.student_sha256
    assert first.record["epochs"][-1]["loss"] == second.record["epochs"][-1]["loss"]


def test_length_grouped_batches_cover_every_row_once_with_little_padding():
    import torch

    from harness.distillation import GROUP_BATCHES, length_grouped_batches

    rng = random.Random(0)
    lengths = [rng.randint(3, 60) for _ in range(5000)]
    g = torch.Generator().manual_seed(0)
    first = length_grouped_batches(lengths, 32, g)
    second = length_grouped_batches(lengths, 32, g)
    for batches in (first, second):
        assert sorted(i for b in batches for i in b) == list(range(5000))
        assert len(batches) == -(-5000 // 32) and all(1 <= len(b) <= 32 for b in batches)
        padded = sum(max(lengths[i] for i in b) * len(b) for b in batches)
        assert padded / sum(lengths) < 1.1      # random batches of these lengths: about 1.6
    assert first != second                        # a new grouping every epoch
    again = length_grouped_batches(lengths, 32, torch.Generator().manual_seed(0))
    assert again == first                         # deterministic for a seed
    # Rows are grouped within shuffled groups, not sorted over the whole set: the longest
    # batch of an epoch is not always made of the longest rows overall.
    assert GROUP_BATCHES * 32 < 5000


def test_teacher_logits_in_length_order_come_back_on_their_rows(tiny: Path):
    """The teacher runs over the training set sorted by length; each row must get its own
    logits back: compare with the teacher run on one message at a time."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from harness.distillation import teacher_logits
    from harness.project import load_project

    project = load_project(tiny)
    rows = [json.loads(line) for line in (tiny / "data" / "train.jsonl").read_text().splitlines()]
    texts = [r["text"] for r in rows]
    logits, cached = teacher_logits(project, texts, [r["id"] for r in rows],
                                    file_sha256(tiny / "data" / "train.jsonl"), 16, LABELS)
    assert not cached and logits.shape == (len(rows), 3)
    tok = AutoTokenizer.from_pretrained(tiny / "teacher")
    model = AutoModelForSequenceClassification.from_pretrained(tiny / "teacher").eval()
    with torch.inference_mode():
        alone = torch.cat([model(**tok(t, truncation=True, max_length=16, return_tensors="pt")).logits for t in texts])
    assert len({len(t.split()) for t in texts}) > 1          # lengths differ, so the order did change
    torch.testing.assert_close(logits, alone, rtol=1e-4, atol=1e-5)
    again, cached = teacher_logits(project, texts, [r["id"] for r in rows],
                                   file_sha256(tiny / "data" / "train.jsonl"), 16, LABELS)
    assert cached and torch.equal(again, logits)


def test_refuses_a_teacher_with_other_labels(tiny: Path):
    cfg_file = tiny / "teacher" / "config.json"
    cfg = json.loads(cfg_file.read_text())
    cfg["id2label"] = {"0": "shipping", "1": "billing", "2": "other"}
    cfg_file.write_text(json.dumps(cfg))
    _write_manifest(tiny)
    r = run_cli("distill", tiny)
    assert r.code == 2, r.output
    assert "teacher/config.json id2label" in r.output and "another order" in r.output
    assert "Traceback" not in r.output and not (tiny / "student").exists()


def test_refuses_a_student_whose_tokenizer_reads_text_differently(tiny: Path):
    # An existing student (no `distillation.student`) whose tokenizer does not lower-case.
    sdir = tiny / "student"
    sdir.mkdir()
    tok = _tokenizer(lowercase=False)
    tok.save_pretrained(sdir)
    _tiny_bert(tok, LABELS, seed=1).config.to_json_file(str(sdir / "config.json"))
    text = (tiny / "stillhouse.yaml").read_text()
    (tiny / "stillhouse.yaml").write_text(text.split("  student: {layers")[0], encoding="utf-8")
    r = run_cli("distill", tiny)
    assert r.code == 2, r.output
    assert "do not read text the same way" in r.output and "normalizer differs" in r.output
    assert "Traceback" not in r.output and not (sdir / "model.safetensors").exists()


def test_refuses_a_training_set_that_does_not_match_its_pin(tiny: Path):
    with open(tiny / "data" / "train.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "x", "text": "refund", "label": "billing"}) + "\n")
    r = run_cli("distill", tiny)
    assert r.code == 2 and "distillation.train_set.sha256" in r.output and "Traceback" not in r.output


def test_refuses_a_gold_label_outside_the_label_set(tiny: Path):
    rows = _rows(240, 1, "train")
    rows[5]["label"] = "billling"
    (tiny / "data" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    _write_manifest(tiny)
    r = run_cli("distill", tiny)
    assert r.code == 2 and "row 6" in r.output and "'billling'" in r.output


def test_recorded_teacher_and_existing_student(tmp_path: Path):
    """The minimal example: a recorded teacher, a student folder re-initialised from its config."""
    proj = tmp_path / "minimal"
    shutil.copytree(EXAMPLES / "minimal", proj, ignore=shutil.ignore_patterns("report", ".stillhouse", "training"))
    m = (proj / "stillhouse.yaml").read_text().replace("epochs: 30", "epochs: 2")
    (proj / "stillhouse.yaml").write_text(m, encoding="utf-8")
    r = run_cli("distill", proj)
    assert r.code == 0, r.output
    rec = json.loads((proj / "training" / "record.json").read_text())
    assert rec["teacher"]["kind"] == "recorded" and "recorded teacher" in rec["student"]["tokenizer"]
    assert len(rec["epochs"]) == 2
    # The student folder's config and tokenizer are kept as they were; only the weights change.
    for name in ("config.json", "tokenizer.json"):
        assert (proj / "student" / name).read_bytes() == (EXAMPLES / "minimal" / "student" / name).read_bytes()


# --- the 1.2 recipe: augmentation, dev split and early stopping, layer-wise, init from the teacher ---


def test_noisy_copies_are_seeded_and_each_changes_its_message():
    from harness.distillation._augment import Noise, noisy_copies

    texts = ["please refund the double charge on my card", "track my parcel", "hello", "where is the delivery box"]
    neighbours = {"refund": ["reimburse"], "parcel": ["package", "packet"], "delivery": ["shipment"]}
    mixed = Noise(dropout=0.1, swap=0.05, typo=0.05, replace=0.2)
    first = noisy_copies(texts, 3, mixed, 7, neighbours)
    assert first == noisy_copies(texts, 3, mixed, 7, neighbours)            # seeded
    assert first != noisy_copies(texts, 3, mixed, 8, neighbours)            # and the seed matters
    assert all(copy != texts[i] for i, copy in first)                        # a copy is never its source
    assert len({(i, c) for i, c in first}) == len(first)                     # nor another copy of it
    # A copy depends on its own row only: the same message gets the same copies among other rows.
    alone = noisy_copies(texts[:2], 3, mixed, 7, neighbours)
    assert [c for i, c in alone if i == 1] == [c for i, c in first if i == 1]

    for i, copy in noisy_copies(texts, 2, Noise(dropout=0.3, swap=0, typo=0, replace=0), 0, {}):
        words = copy.split()                                                  # dropout: a subsequence, shorter
        assert len(words) < len(texts[i].split()) and set(words) <= set(texts[i].split())
    for i, copy in noisy_copies(texts, 2, Noise(dropout=0, swap=0, typo=0, replace=1.0), 0, neighbours):
        changed = [(a, b) for a, b in zip(texts[i].split(), copy.split()) if a != b]
        assert changed and all(b in neighbours[a] for a, b in changed)       # replace: only by a neighbour
    for i, copy in noisy_copies(texts, 2, Noise(dropout=0, swap=0, typo=0.5, replace=0), 0, {}):
        changed = [(a, b) for a, b in zip(texts[i].split(), copy.split()) if a != b]
        assert len(copy.split()) == len(texts[i].split()) and changed          # typo: letters of a word
        assert all(abs(len(a) - len(b)) <= 1 and len(a) >= 3 for a, b in changed)
    assert noisy_copies(["ok"], 2, Noise(dropout=0, swap=0, typo=1.0, replace=0), 0, {}) == []   # nothing to change


def test_embedding_neighbours_are_nearest_whole_words_of_the_teacher():
    import torch

    from harness.distillation._augment import embedding_neighbours

    vocab = {"[PAD]": 0, "refund": 1, "reimburse": 2, "parcel": 3, "package": 4, "##s": 5, "to": 6, "weather": 7}
    e = torch.zeros(8, 4)
    e[1], e[2] = torch.tensor([1.0, 0.1, 0, 0]), torch.tensor([0.9, 0.2, 0, 0])
    e[3], e[4] = torch.tensor([0, 0, 1.0, 0.1]), torch.tensor([0, 0, 0.9, 0.2])
    e[5], e[6], e[7] = torch.tensor([1.0, 0.1, 0, 0]), torch.tensor([0, 0, 1.0, 0.1]), torch.tensor([0, 1.0, 0, 1.0])
    got = embedding_neighbours(vocab, e, {"refund", "parcel", "to", "unknownword"}, k=1)
    # Word fragments (##s) and short words (to) are neither asked about nor offered.
    assert got == {"refund": ["reimburse"], "parcel": ["package"]}


def test_rows_without_a_gold_label_get_no_gold_term():
    """alpha 0 leaves only the gold term: on rows that have no gold label (-1, the
    teacher-labelled ones) the loss is exactly zero; on gold rows it is not."""
    import torch

    from harness.distillation._classification import train_student
    from harness.distillation._tokenizers import prune_vocabulary

    tok = _tokenizer()
    texts = [r["text"] for r in _rows(64, 1, "t")]
    teacher = torch.randn(64, 3, generator=torch.Generator().manual_seed(0)) * 3         # (N, C)
    dist = _Dist(alpha=0.0, epochs=2)
    no_gold = train_student(_tiny_bert(tok, LABELS, 1), tok, texts, torch.full((64,), -1), teacher, dist)
    assert all(e["loss"] == 0 and e["ce"] == 0 and e["kl"] > 0 for e in no_gold)
    half = torch.tensor([i % 3 if i % 2 else -1 for i in range(64)])
    some = train_student(_tiny_bert(tok, LABELS, 1), tok, texts, half, teacher, dist)
    assert all(e["loss"] > 0 and e["ce"] > 0 for e in some)
    # With alpha 1 the gold labels do not matter at all: the same run, bit for bit.
    soft = [train_student(_tiny_bert(tok, LABELS, 1), tok, texts, g, teacher, _Dist(alpha=1.0, epochs=2))
            for g in (half, torch.full((64,), -1))]
    assert [e["loss"] for e in soft[0]] == [e["loss"] for e in soft[1]]
    assert prune_vocabulary  # the tokenizer helpers import without a model


class _Dist:
    """The shared `distillation` settings train_student reads."""

    def __init__(self, alpha: float = 0.8, epochs: int = 3, learning_rate: float = 0.005) -> None:
        self.alpha, self.temperature, self.epochs, self.learning_rate = alpha, 2.0, epochs, learning_rate
        self.batch_size, self.seed, self.max_length = 16, 3, 16


def test_augmented_transfer_set_is_labelled_by_the_teacher(tiny: Path):
    """Two noisy copies of every training row: the teacher's logits on them are what the
    student learns from (checked against the teacher run on each copy alone), and only the
    transfer set's own rows count as gold-labelled."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from harness.distillation import _classification as C
    from harness.project import load_project

    _write_manifest(tiny, classification="augment: {noise: {copies: 2}}")
    r = run_cli("distill", tiny)
    assert r.code == 0, r.output
    rec = json.loads((tiny / "training" / "record.json").read_text())
    aug, rows = rec["augmentation"], rec["rows"]
    assert rows["dev"] == 12 and rows["gold_labelled"] == 228
    assert 400 < aug["noisy_copies"] <= 456 and aug["teacher_labelled_rows"] == rows["teacher_labelled_only"]
    assert rows["trained_on"] == 228 + aug["noisy_copies"]
    assert "augmented:" in r.output

    # The same copies again (seeded), and the teacher's logits on them from the cache.
    project = load_project(tiny)
    plan = C._plan(project)
    texts = [row["text"] for row in plan.rows]
    train_idx, dev_idx = C.split_dev(len(texts), 0.05, 3)
    loaded = C.load_teacher(project, plan.teacher)
    extra, meta = C._augment(project, plan.dist.classification, [texts[i] for i in train_idx], [], loaded, 3)
    assert len(extra) == aug["noisy_copies"] and meta["examples"] == aug["examples"]
    assert not set(extra) & {texts[i] for i in dev_idx} - set(texts)   # copies come from training rows only
    logits, cached = C.teacher_logits(project, extra, [str(i) for i in range(len(extra))], C.texts_sha256(extra),
                                      16, LABELS, loaded=loaded)
    assert cached
    model = AutoModelForSequenceClassification.from_pretrained(tiny / "teacher").eval()
    tok = AutoTokenizer.from_pretrained(tiny / "teacher")
    with torch.inference_mode():
        alone = torch.cat([model(**tok(t, truncation=True, max_length=16, return_tensors="pt")).logits
                           for t in extra[:40]])
    torch.testing.assert_close(logits[:40], alone, rtol=1e-4, atol=1e-5)
    assert len(list((tiny / ".stillhouse" / "cache").glob("distill-teacher-*.safetensors"))) == 2
    assert all(load_file(str(f))["logits"].shape[1] == 3 for f in (tiny / ".stillhouse" / "cache").glob("distill-*"))


def test_early_stopping_keeps_the_best_dev_epoch():
    """Dev labels that the student agrees with before training (its own first answers) and less
    as it learns the teacher: the best epoch is an early one, training stops `patience` epochs
    later, and the student handed back is that epoch's (its dev agreement is the best one)."""
    import torch

    from harness.distillation._classification import DevCheck, _agreement, chosen_epoch, train_student

    tok = _tokenizer()
    rows = _rows(96, 1, "t")
    texts = [r["text"] for r in rows]
    teacher = torch.nn.functional.one_hot(torch.tensor([LABELS.index(r["label"]) for r in rows]), 3).float() * 6
    dev_texts = [r["text"] for r in _rows(48, 2, "d")]
    model = _tiny_bert(tok, LABELS, 1)
    dist = _Dist(alpha=1.0, epochs=6, learning_rate=0.01)
    own = _own_answers(model, tok, dev_texts)
    dev = DevCheck(texts=dev_texts, teacher_top=own)
    full = train_student(_tiny_bert(tok, LABELS, 1), tok, texts, None, teacher, dist, dev=dev)
    curve = [e["dev_agreement"] for e in full]
    best = chosen_epoch(full)
    assert len(full) == 6 and curve[best - 1] == max(curve) and best < 6 and curve[-1] < max(curve), curve

    stopped = train_student(model, tok, texts, None, teacher, dist, dev=dev, patience=2)
    assert [e["dev_agreement"] for e in stopped] == curve[:best + 2]      # deterministic: the same curve, cut short
    assert chosen_epoch(stopped) == best
    assert _agreement(model, tok, dev, dist) == max(curve)                 # the best epoch's weights, put back


def _own_answers(model, tok, texts):
    import torch

    model.eval()
    with torch.inference_mode():
        return model(**tok(texts, padding=True, return_tensors="pt")).logits.argmax(-1)


def test_layerwise_loss_decreases_through_a_learned_projection():
    """A student half the teacher's width: its hidden states reach the teacher's through a
    learned projection, and (same head count) its attention follows the teacher's."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from harness.distillation._classification import LayerwiseSetup, train_student

    tok = _tokenizer()
    rows = _rows(96, 1, "t")
    texts = [r["text"] for r in rows]
    torch.manual_seed(0)
    teacher = BertForSequenceClassification(BertConfig(
        vocab_size=len(tok), hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=32, num_labels=3)).eval()
    with torch.no_grad():                       # sharper attention than random weights give: something to follow
        for layer in teacher.bert.encoder.layer:
            layer.attention.self.query.weight *= 12
            layer.attention.self.key.weight *= 12
    with torch.inference_mode():
        logits = teacher(**tok(texts, padding=True, return_tensors="pt")).logits
    student = BertForSequenceClassification(BertConfig(
        vocab_size=len(tok), hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=32, num_labels=3))
    settings = type("S", (), {"weight": 1.0, "hidden": True, "attention": True})()
    history = train_student(student, tok, texts, None, logits, _Dist(alpha=1.0, epochs=5),
                            layerwise=LayerwiseSetup(teacher=teacher, tokenizer=tok, settings=settings))
    hidden = [e["layerwise_hidden"] for e in history]
    attention = [e["layerwise_attention"] for e in history]
    assert hidden[-1] < 0.5 * hidden[0] and attention[-1] < 0.8 * attention[0], (hidden, attention)
    assert all(b <= a for a, b in zip(hidden, hidden[1:]))


def test_layer_map_spreads_student_layers_over_the_teacher():
    from harness.distillation._layerwise import layer_map

    assert layer_map(2, 6) == [0, 3, 6] and layer_map(3, 6) == [0, 2, 4, 6] and layer_map(1, 1) == [0, 1]


def test_init_from_teacher_copies_the_layers_it_says():
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from harness.distillation._layerwise import init_from_teacher

    tok = _tokenizer()
    vocab = tok.get_vocab()
    kept = {p: i for i, p in enumerate(sorted(vocab, key=vocab.get)[::3])}        # a pruning: every third piece
    torch.manual_seed(0)
    common = dict(max_position_embeddings=32, num_labels=3, intermediate_size=64, num_attention_heads=2)
    teacher = BertForSequenceClassification(BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=4,
                                                       **common))
    student = BertForSequenceClassification(BertConfig(vocab_size=len(kept), hidden_size=32, num_hidden_layers=2,
                                                       **common))
    done = init_from_teacher(student, teacher, kept, vocab)
    assert done["layers"] == {1: 2, 2: 4} and not done["projected"] and not done["kept_random"]
    t = teacher.state_dict()
    for name, value in student.state_dict().items():
        if ".layer." in name:                                                  # student layer i <- teacher 2i + 1
            i = int(name.split(".layer.")[1].split(".")[0])
            source = name.replace(f".layer.{i}.", f".layer.{2 * i + 1}.")
        else:
            source = name
        if name.endswith("word_embeddings.weight"):
            rows = torch.tensor([vocab[p] for p in sorted(kept, key=kept.get)])
            assert torch.equal(value, t[source][rows])                           # the teacher's row of each piece
        else:
            assert torch.equal(value, t[source]), name
        assert name in done["copied"]

    narrow = BertForSequenceClassification(BertConfig(vocab_size=len(kept), hidden_size=16, num_hidden_layers=2,
                                                      max_position_embeddings=32, num_labels=3, intermediate_size=32,
                                                      num_attention_heads=2))
    before = {k: v.clone() for k, v in narrow.state_dict().items()}
    done = init_from_teacher(narrow, teacher, kept, vocab)
    assert sorted(done["projected"]) == ["bert.embeddings.position_embeddings.weight",
                                         "bert.embeddings.token_type_embeddings.weight",
                                         "bert.embeddings.word_embeddings.weight"]
    assert done["copied"] == ["classifier.bias"]                               # the only tensor of equal shape
    e = teacher.bert.embeddings.word_embeddings.weight.detach()
    _, _, v = torch.linalg.svd(e - e.mean(0), full_matrices=False)
    rows = torch.tensor([vocab[p] for p in sorted(kept, key=kept.get)])
    torch.testing.assert_close(narrow.bert.embeddings.word_embeddings.weight, (e[rows] - e.mean(0)) @ v[:16].T)
    for name in done["kept_random"]:
        assert torch.equal(narrow.state_dict()[name], before[name]), name


def test_dev_file_and_unlabelled_text(tiny: Path):
    """A dev file instead of a share, and unlabelled text the teacher labels; no noisy copies."""
    (tiny / "data" / "dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows(30, 5, "dev")),
                                             encoding="utf-8")
    unlabelled = [{"id": f"u-{i}", "text": r["text"]} for i, r in enumerate(_rows(50, 6, "u"))]
    (tiny / "data" / "unlabelled.jsonl").write_text("".join(json.dumps(r) + "\n" for r in unlabelled),
                                                    encoding="utf-8")
    dev_sha, unl_sha = file_sha256(tiny / "data" / "dev.jsonl"), file_sha256(tiny / "data" / "unlabelled.jsonl")
    _write_manifest(tiny, classification=f"""
augment:
  noise: {{copies: 0}}
  unlabelled: {{path: data/unlabelled.jsonl, sha256: {unl_sha}}}
dev: {{path: data/dev.jsonl, sha256: {dev_sha}}}
patience: 1
""")
    r = run_cli("distill", tiny)
    assert r.code == 0, r.output
    rec = json.loads((tiny / "training" / "record.json").read_text())
    assert rec["dev"]["source"] == "data/dev.jsonl (30 rows)" and rec["dev"]["rows"] == 30
    assert rec["rows"] == {"transfer_set": 240, "dev": 0, "trained_on": 290, "gold_labelled": 240,
                           "teacher_labelled_only": 50}
    assert rec["augmentation"]["noisy_copies"] == 0 and rec["augmentation"]["unlabelled"] == 50
    assert rec["dev"]["chosen_epoch"] in range(1, len(rec["epochs"]) + 1)
    if rec["dev"]["stopped_early"]:
        assert len(rec["epochs"]) == rec["dev"]["chosen_epoch"] + 1

    # A changed unlabelled file no longer matches its pin: refused, nothing written.
    with open(tiny / "data" / "unlabelled.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "u-x", "text": "refund"}) + "\n")
    before = (tiny / "training" / "record.json").read_bytes()
    bad = run_cli("distill", tiny, "--force")
    assert bad.code == 2 and "distillation.classification.augment.unlabelled.sha256" in bad.output
    assert "Traceback" not in bad.output and (tiny / "training" / "record.json").read_bytes() == before


@pytest.mark.parametrize("change, expected", [
    ("wider", "distillation.student.hidden_size: expected at most 32, the teacher's width"),
    ("no weights", "teacher/: expected .safetensors weights"),
    ("no tokenizer", "teacher/: expected the teacher's tokenizer"),
    ("broken weights", "teacher/: expected a transformers classifier"),
])
def test_an_unusable_teacher_or_student_shape_is_exit_2(tiny: Path, change: str, expected: str):
    """Each of these was a Python traceback with exit 1, read in CI as a failed standard."""
    t = tiny / "teacher"
    if change == "wider":
        text = (tiny / "stillhouse.yaml").read_text()
        _write_manifest(tiny)
        (tiny / "stillhouse.yaml").write_text(
            (tiny / "stillhouse.yaml").read_text().replace("hidden_size: 16", "hidden_size: 48"))
        assert text != (tiny / "stillhouse.yaml").read_text()
    elif change == "no weights":
        (t / "model.safetensors").unlink()
    elif change == "no tokenizer":
        for f in t.iterdir():
            if f.name != "config.json" and f.suffix != ".safetensors":
                f.unlink()
    else:
        (t / "model.safetensors").write_bytes(b"\xff" * 64)
    if change != "wider":
        _write_manifest(tiny)  # the teacher re-pinned as it now is
    r = run_cli("distill", tiny)
    assert r.code == 2 and expected in r.output and "Traceback" not in r.output, r.output
    assert not (tiny / "student").exists()


def test_max_length_past_the_teacher_s_positions_is_cut_to_them(tiny: Path):
    """`max_length: 64` for a teacher with 32 positions: a long training text crashed the
    teacher's forward pass (a traceback); eval cuts inputs to what a model accepts, and so does distill."""
    with (tiny / "data" / "train.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "train-long", "text": " ".join(["please refund my card"] * 15), "label": "billing",
                            "kind": "odd"}) + "\n")
    _write_manifest(tiny)
    (tiny / "stillhouse.yaml").write_text((tiny / "stillhouse.yaml").read_text().replace("max_length: 16",
                                                                                       "max_length: 64"))
    r = run_cli("distill", tiny)
    assert r.code == 0 and "Traceback" not in r.output, r.output


@pytest.mark.parametrize("classification, expected", [
    ("dev: {share: 0.1, path: data/eval.jsonl, sha256: abc}", "not both"),
    ("dev: {path: data/eval.jsonl}", "sha256"),
    ("dev: {share: 1.0}", "between 0 and 1"),
    ("augment: {noise: {dropout: 0.5, typo: 0.3, replace: 0.4}}", "at most 1"),
    ("augment: {noise: {copies: 2, flips: 0.1}}", "flips"),
])
def test_recipe_settings_are_checked(tiny: Path, classification: str, expected: str):
    _write_manifest(tiny, classification=classification)
    r = run_cli("distill", tiny)
    assert r.code == 2 and expected in r.output and "Traceback" not in r.output, r.output
    assert not (tiny / "student").exists()
