"""`stillhouse distill` for `task: generation` on tiny real causal LMs built from configs.

The task: spell out one or two digits (`spell: 3 1 =` -> `three one`). The teacher is a
two-layer GPT-2 trained here, from a config, on the reference answers (a plain Hugging Face
loop, independent of the recipe under test); students are smaller GPT-2s. Both modes
train; sequence-level distillation raises the student's token F1 against the teacher over
the untrained student's; LoRA trains only the adapters; a recorded teacher feeds
sequence-level distillation; runs are deterministic on CPU; bad input exits 2 and names the
field."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from standards import artifact_sha256, file_sha256

from ._projects import word_tokenizer, write_jsonl
from .conftest import run_cli

NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEMPLATE = "spell: {input} ="
STRINGS = [str(a) for a in range(10)] + [f"{a} {b}" for a in range(10) for b in range(10)]   # 110 inputs
#: Tiny models train faster on one thread than on two cores shared with other work; results
#: stay deterministic either way (the determinism test runs twice on the same setting).
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


def spell(text: str) -> str:
    return " ".join(NAMES[int(d)] for d in text.split())


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _train_teacher(folder: Path) -> None:
    """A two-layer GPT-2 (59k parameters) that spells the inputs right: a plain loop over
    the references, loss on the answer tokens."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tok = word_tokenizer(list("0123456789") + NAMES + ["spell:", "="], causal=True)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_embd=48, n_layer=2, n_head=2, n_positions=16,
                                       bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id,
                                       pad_token_id=tok.pad_token_id))
    seqs = [(tok(TEMPLATE.format(input=s))["input_ids"], tok(spell(s))["input_ids"] + [tok.eos_token_id])
            for s in STRINGS]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    rng = random.Random(0)
    for _ in range(40):
        rng.shuffle(seqs)
        for s in range(0, len(seqs), 16):
            batch = seqs[s:s + 16]
            width = max(len(p) + len(c) for p, c in batch)
            ids = torch.full((len(batch), width), tok.pad_token_id)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            labels = torch.full((len(batch), width), -100)
            for i, (p, c) in enumerate(batch):
                ids[i, :len(p) + len(c)] = torch.tensor(p + c)
                mask[i, :len(p) + len(c)] = 1
                labels[i, len(p):len(p) + len(c)] = torch.tensor(c)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)


STUDENT_CONFIG = {"model_type": "gpt2", "n_embd": 32, "n_layer": 1, "n_head": 2, "n_positions": 16}


def _write_manifest(proj: Path, generation: dict[str, Any] | None = None, *, teacher: dict[str, Any] | None = None,
                    **dist: Any) -> None:
    """stillhouse.yaml with real hashes; ``generation``: the recipe's settings; ``dist``:
    overrides of the shared distillation settings."""
    teacher = teacher or {"kind": "local", "path": "teacher/", "sha256": artifact_sha256(proj / "teacher")}
    student_sha = artifact_sha256(proj / "student") if (proj / "student" / "config.json").is_file() else "0" * 64
    data = {
        "standards_version": "1.2", "name": "tiny-speller", "task": "generation",
        "owner": {"handle": "ada", "team": "ml", "backup": "grace"},
        "teacher": teacher, "student": {"kind": "local", "path": "student/", "sha256": student_sha},
        "generation": {"prompt_template": TEMPLATE, "max_new_tokens": 4},
        "eval_set": {"path": "data/eval.jsonl", "sha256": file_sha256(proj / "data" / "eval.jsonl"), "rows": 30,
                     "fields": {"id": "id", "input": "text", "label": "label"}},
        "slices": [{"name": "two-digits", "rule": {"column": "digits", "equals": 2}}],
        "quality_bars": [{"slice": "*", "metric": "token_f1", "minimum": 0.0, "min_examples": 1}],
        "cost_model": {"usd_per_hour": 1.0},
        "lifecycle": {"status": "experimental", "created": "2026-11-01"},
        "distillation": {
            "train_set": {"path": "data/train.jsonl", "sha256": file_sha256(proj / "data" / "train.jsonl")},
            "alpha": 1.0, "temperature": 1.0, "epochs": 40, "learning_rate": 0.01, "batch_size": 8, "seed": 4,
            "max_length": 12, **dist,
            "generation": generation if generation is not None else {"student": {"config": "student-config.json"}},
        },
    }
    (proj / "stillhouse.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    proj = tmp_path_factory.mktemp("gen") / "project"
    rng = random.Random(1)
    strings = STRINGS[:]
    rng.shuffle(strings)
    rows = [{"id": f"r-{i:03d}", "text": s, "label": spell(s), "digits": len(s.split())} for i, s in enumerate(strings)]
    write_jsonl(proj / "data" / "eval.jsonl", rows[:30])
    write_jsonl(proj / "data" / "train.jsonl", rows[30:])
    _train_teacher(proj / "teacher")
    vocab = json.loads((proj / "teacher" / "tokenizer.json").read_text())["model"]["vocab"]
    cfg = {**STUDENT_CONFIG, "vocab_size": len(vocab), "bos_token_id": vocab["[EOS]"], "eos_token_id": vocab["[EOS]"],
           "pad_token_id": vocab["[PAD]"]}
    (proj / "student-config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    _write_manifest(proj)
    return proj


@pytest.fixture
def proj(template: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "project"
    shutil.copytree(template, dst)
    return dst


def _token_f1(proj: Path) -> float:
    """The student's token F1 against the teacher on the eval set, from `harness.evaluate`."""
    import harness

    report = harness.evaluate(proj, latency_calls=1)
    whole = next(s for s in report.slices if s.name == "all")
    assert whole.teacher_accuracy.value >= 0.9          # the teacher spells (nearly) every eval input right
    return whole.token_f1.value


def _untrained_student(proj: Path, seed: int = 4) -> None:
    """What distill starts from: the config's model with the seed's random weights."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    cfg = json.loads((proj / "student-config.json").read_text())
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(cfg.pop("model_type"), **cfg))
    model.save_pretrained(proj / "student")
    AutoTokenizer.from_pretrained(proj / "teacher").save_pretrained(proj / "student")


def test_sequence_level_raises_token_f1_over_the_untrained_student(proj: Path):
    _untrained_student(proj)
    _write_manifest(proj)
    before = _token_f1(proj)

    r = run_cli("distill", proj, "--write-pin", env=ONE_THREAD)
    assert r.code == 0, r.output
    assert "epoch  40/40" in r.output and "pinned" in r.output and "generated in" in r.output
    after = _token_f1(proj)
    assert before < 0.3 and after >= 0.8 and after - before >= 0.5, (before, after)

    record = json.loads((proj / "training" / "record.json").read_text())
    assert record["task"] == "generation" and record["mode"] == "sequence"
    assert record["teacher"]["pin"] == "sha256:" + artifact_sha256(proj / "teacher")
    assert record["student"]["sha256"] == artifact_sha256(proj / "student")
    assert record["student"]["parameters"] == record["student"]["trained_parameters"] < record["teacher"]["parameters"]
    assert [e["epoch"] for e in record["epochs"]] == list(range(1, 41))
    assert record["epochs"][-1]["loss"] < record["epochs"][0]["loss"] / 2
    assert record["epochs"][-1]["token_agreement"] > 0.8
    # The student loads as any causal LM: safetensors, config, tokenizer; no pickle.
    names = {p.name for p in (proj / "student").iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names and not list((proj / "student").glob("*.bin"))

    # Nothing changed: not retrained; the teacher's outputs come from the cache when forced.
    again = run_cli("distill", proj, env=ONE_THREAD)
    assert again.code == 0 and "up to date" in again.output, again.output
    forced = run_cli("distill", proj, "--force", env=ONE_THREAD)
    assert forced.code == 0 and "from the cache" in forced.output, forced.output


def test_token_level_trains_on_and_off_policy(proj: Path):
    """GKD-style: the generalised JSD, half the batches on the student's own samples."""
    import harness

    _untrained_student(proj)
    _write_manifest(proj)
    before = _token_f1(proj)
    _write_manifest(proj, {"mode": "token", "student": {"config": "student-config.json"},
                           "token": {"loss": "jsd", "beta": 0.5, "on_policy": 0.5}})
    result = harness.distill(proj, write_manifest_pin=True)
    record = result.record
    assert record["mode"] == "token" and "JSD" in record["loss_formula"]
    on_policy = sum(e["on_policy_batches"] for e in record["epochs"])
    steps = 40 * 80 // 8                                            # 40 epochs of 80 rows in batches of 8
    assert 0.3 * steps < on_policy < 0.7 * steps, on_policy
    assert record["epochs"][-1]["loss"] < record["epochs"][0]["loss"] / 2
    after = _token_f1(proj)
    assert after - before >= 0.4, (before, after)


def test_token_level_kl_off_policy_matches_the_teacher_distribution(proj: Path):
    import harness

    _write_manifest(proj, {"mode": "token", "student": {"config": "student-config.json"}, "token": {"loss": "kl"}},
                    temperature=2.0, epochs=4)
    record = harness.distill(proj).record
    assert all(e["on_policy_batches"] == 0 for e in record["epochs"])
    assert record["epochs"][-1]["soft"] < record["epochs"][0]["soft"]
    assert "KL(teacher/T || student/T)" in record["loss_formula"]


def test_divergences():
    """KL is `F.kl_div`'s; the generalised JSD is zero for equal distributions, symmetric at
    beta 0.5 and bounded by log 2 (times nothing: T = 1)."""
    import math

    import torch
    import torch.nn.functional as F

    from harness.distillation import divergence

    g = torch.Generator().manual_seed(0)
    t, s = torch.randn(7, 11, generator=g) * 3, torch.randn(7, 11, generator=g) * 3
    kl = divergence(t, s, "kl", 0.5, 1.0)
    ref = (F.softmax(t, -1) * (F.log_softmax(t, -1) - F.log_softmax(s, -1))).sum(-1).mean()
    torch.testing.assert_close(kl, ref)
    assert divergence(t, t, "jsd", 0.3, 1.0).abs() < 1e-6
    torch.testing.assert_close(divergence(t, s, "jsd", 0.5, 1.0), divergence(s, t, "jsd", 0.5, 1.0))
    assert 0 < divergence(t, s, "jsd", 0.5, 1.0) <= math.log(2) + 1e-6
    # at temperature T the distributions are softened before comparing
    torch.testing.assert_close(divergence(t, s, "kl", 0.5, 2.0), divergence(t / 2, s / 2, "kl", 0.5, 1.0))


def test_lora_trains_only_the_adapters_and_saves_a_plain_causal_lm(proj: Path):
    """From a pretrained base (here the untrained student, saved as a model folder): the base
    weights stay as they were, the adapters move, and the saved student has merged weights."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    import harness
    from harness.distillation import _generative

    _untrained_student(proj)
    shutil.move(proj / "student", proj / "base")
    _write_manifest(proj, {"student": {"base": "base/"},
                           "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["c_attn", "c_proj"]}},
                    epochs=2)
    project = harness.load_project(proj)
    plan = _generative._plan(project)
    workdir = proj / "work"
    workdir.mkdir()
    model, tokenizer, origin = _generative._build_student(project, plan, workdir)
    assert "LoRA r=4" in origin
    frozen = {k: v.clone() for k, v in model.named_parameters() if "lora_" not in k}
    adapters = {k: v.clone() for k, v in model.named_parameters() if "lora_" in k}
    assert adapters and all(not p.requires_grad for k, p in model.named_parameters() if "lora_" not in k)
    outputs, _, _ = _generative.teacher_outputs(project, plan)
    examples = _generative.tokenize_examples(tokenizer, [TEMPLATE.format(input=x) for x in plan.texts], outputs,
                                             None, 12, 4)
    _generative.train_generative(model, tokenizer, examples, plan.dist, plan.recipe, 4)
    after = dict(model.named_parameters())
    assert all(torch.equal(v, after[k]) for k, v in frozen.items())
    assert any(not torch.equal(v, after[k]) for k, v in adapters.items())

    record = harness.distill(proj).record
    assert record["student"]["trained_parameters"] < record["student"]["parameters"] / 5
    assert record["student"]["lora"]["r"] == 4 and "peft" in record["libraries"]
    saved = load_file(str(proj / "student" / "model.safetensors"))
    base = load_file(str(proj / "base" / "model.safetensors"))
    assert set(saved) == set(base) and not any("lora" in k for k in saved)
    assert any(not torch.equal(saved[k], base[k]) for k in saved if "c_attn" in k)       # adapters merged in
    assert all(torch.equal(saved[k], base[k]) for k in saved if "mlp.c_fc" in k)        # no adapter: untouched
    assert AutoModelForCausalLM.from_pretrained(proj / "student", use_safetensors=True) is not None


def test_distill_is_deterministic_on_cpu(proj: Path):
    import harness

    _write_manifest(proj, {"mode": "token", "student": {"config": "student-config.json"},
                           "token": {"loss": "jsd", "on_policy": 0.5}}, epochs=2)
    first = harness.distill(proj)
    second = harness.distill(proj, force=True)
    assert not second.reused and first.student_sha256 == second.student_sha256
    timings = ("seconds", "cpu_seconds", "tokens_per_s")
    assert first.record["epochs"] == [{**e, **{k: f[k] for k in timings}}
                                      for e, f in zip(second.record["epochs"], first.record["epochs"])]


def _record_answers(proj: Path, answers: dict[str, str], *, header: dict[str, Any] | None = None) -> None:
    """A recording as `stillhouse record` writes it: a header, then one answer per line."""
    from harness.eval._recording import text_sha256

    lines = [json.dumps({"stillhouse_recording": header})] if header else []
    for name, set_name in (("eval", "eval"), ("train", "distillation")):
        for line in (proj / "data" / f"{name}.jsonl").read_text().splitlines():
            r = json.loads(line)
            lines.append(json.dumps({"id": r["id"], "set": set_name, "input_sha256": text_sha256(r["text"]),
                                     "output": answers.get(r["text"], spell(r["text"]))}))
    (proj / "recorded").mkdir(exist_ok=True)
    (proj / "recorded" / "answers.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_recorded_teacher_feeds_sequence_level_distillation(proj: Path):
    """The API path: the teacher answered once (an endpoint, through `stillhouse record`); the
    student, built from a config on a tokenizer the manifest names, learns its answers."""
    shutil.copytree(proj / "teacher", proj / "tokenizer", ignore=shutil.ignore_patterns("*.safetensors", "config.json", "generation_config.json"))
    shutil.rmtree(proj / "teacher")
    header = {"version": 1, "teacher": {"kind": "endpoint", "pin": "endpoint:speller-2026-11-01"},
              "sets": [{"name": "distillation", "rows": 80}], "tokens": {"input": 960, "output": 240}, "usd": 0.0012}
    _record_answers(proj, {}, header=header)
    teacher = {"kind": "recorded", "path": "recorded/answers.jsonl",
               "sha256": file_sha256(proj / "recorded" / "answers.jsonl"), "source": "speller-2026-11-01 via record"}
    _write_manifest(proj, teacher=teacher, tokenizer="tokenizer/")
    r = run_cli("distill", proj, "--write-pin", env=ONE_THREAD)
    assert r.code == 0, r.output
    assert "read from the recording" in r.output
    record = json.loads((proj / "training" / "record.json").read_text())
    assert record["teacher"]["kind"] == "recorded"
    assert record["teacher"]["recording"]["tokens"] == {"input": 960, "output": 240}
    assert record["teacher"]["recording"]["usd"] == 0.0012
    assert "tokenizer from tokenizer" in record["student"]["origin"]
    ev = run_cli("eval", proj, "--quiet", env=ONE_THREAD)
    assert ev.code == 0, ev.output
    from harness.render import load_report

    report = load_report(proj / "report" / "report.json")
    assert next(s for s in report.slices if s.name == "all").token_f1.value >= 0.8

    # Token level needs the teacher's distributions: a recording has text only.
    _write_manifest(proj, {"mode": "token", "student": {"config": "student-config.json"}}, teacher=teacher,
                    tokenizer="tokenizer/")
    r = run_cli("distill", proj)
    assert r.code == 2 and "`token` needs the teacher's next-token distributions" in r.output
    assert "Traceback" not in r.output


def test_refuses_answers_recorded_for_other_inputs(proj: Path):
    _record_answers(proj, {})
    path = proj / "recorded" / "answers.jsonl"
    lines = path.read_text().splitlines()
    row = json.loads(lines[40])
    row["input_sha256"] = "0" * 64
    lines[40] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    teacher = {"kind": "recorded", "path": "recorded/answers.jsonl", "sha256": file_sha256(path), "source": "test"}
    _write_manifest(proj, teacher=teacher, tokenizer="teacher/")
    r = run_cli("distill", proj)
    assert r.code == 2, r.output
    assert "input_sha256" in r.output and "different version of the set" in r.output
    assert "Traceback" not in r.output and not (proj / "student").exists()


def test_token_level_refuses_a_student_with_another_tokenizer(proj: Path):
    tok = word_tokenizer(list("0123456789") + NAMES + ["spell:", "=", "extra"], causal=True)
    tok.save_pretrained(proj / "other-tokenizer")
    _write_manifest(proj, {"mode": "token", "student": {"config": "student-config.json"}},
                    tokenizer="other-tokenizer/")
    r = run_cli("distill", proj)
    assert r.code == 2, r.output
    assert "vocabularies differ" in r.output and "mode: sequence" in r.output and "Traceback" not in r.output
    assert not (proj / "student").exists()


@pytest.mark.parametrize("change, expected", [
    ({"generation": {"student": {"config": "missing.json"}}}, "distillation.generation.student.config"),
    ({"generation": {"student": {"config": "../outside.json"}}}, "inside the project"),
    ({"generation": {"student": {"config": "student-config.json", "base": "teacher/"}}}, "not both"),
    ({"generation": {"token": {"loss": "kl"}}}, "only with `mode: token`"),
    ({"student": {"layers": 1}}, "BERT-style classifier"),
    ({"alpha": 0.5, "train_set_label": "missing"}, "expected a reference answer"),
    ({"tokenizer": "teacher/", "generation": {"student": {"base": "teacher/"}}}, "would do nothing"),
])
def test_refuses_bad_settings_with_the_field_named(proj: Path, change: dict[str, Any], expected: str):
    gen = change.get("generation", {"student": {"config": "student-config.json"}})
    dist = {k: v for k, v in change.items() if k not in ("generation", "train_set_label")}
    _write_manifest(proj, gen, **dist)
    if "train_set_label" in change:
        data = yaml.safe_load((proj / "stillhouse.yaml").read_text())
        data["distillation"]["train_set"]["label"] = change["train_set_label"]
        (proj / "stillhouse.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    r = run_cli("distill", proj)
    assert r.code == 2, r.output
    assert expected in r.output and "Traceback" not in r.output
    assert not (proj / "student").exists()
