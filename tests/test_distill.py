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
standards_version: "1.1"
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
"""


def _write_manifest(proj: Path, alpha: float = 0.8, labels: list[str] = LABELS, student_sha: str = "0" * 64) -> None:
    (proj / "stillhouse.yaml").write_text(MANIFEST.format(
        labels=json.dumps(labels), teacher_sha=artifact_sha256(proj / "teacher"), student_sha=student_sha,
        eval_sha=file_sha256(proj / "data" / "eval.jsonl"), train_sha=file_sha256(proj / "data" / "train.jsonl"),
        alpha=alpha), encoding="utf-8")


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory) -> Path:
    """A project with a tiny local teacher (random weights, a real WordPiece tokenizer)."""
    from safetensors.torch import save_model

    proj = tmp_path_factory.mktemp("tiny") / "project"
    (proj / "data").mkdir(parents=True)
    for name, n, seed in (("train", 240, 1), ("eval", 60, 2)):
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
    assert set(s_vocab) < set(t_vocab) and "refund" in s_vocab and "unused" not in s_vocab
    assert "pruned" in record["student"]["tokenizer"]

    # Nothing changed: not retrained (the record and the student stay byte for byte).
    before = (tiny / "training" / "record.json").read_bytes()
    again = run_cli("distill", tiny)
    assert again.code == 0 and "up to date" in again.output, again.output
    assert (tiny / "training" / "record.json").read_bytes() == before

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
