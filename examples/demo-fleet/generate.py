"""Generate the demo fleet registry: manifests, eval reports, production samples, drift records.

    .venv/bin/python examples/demo-fleet/generate.py        # rewrites models/ in place

Every figure here is a generated illustration, not a real evaluation: the reports are
built from seeded random numbers (seed 2026) and say so in their provenance. The
registry's clock is frozen by `registry.yaml` (`as_of: 2026-11-28`) and every date below
is relative to it, so `stillhouse fleet examples/demo-fleet` shows the same states on any
day. The drift records are computed by the real `stillhouse drift` code on the
generated production samples.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import standards  # noqa: E402
import yaml  # noqa: E402
from harness.fleet import compute_drift, wilson, write_drift_record  # noqa: E402
from harness.project import load_project  # noqa: E402

SEED = 2026
AS_OF = dt.date(2026, 11, 28)
NOW = dt.datetime.combine(AS_OF, dt.time(), tzinfo=dt.timezone.utc)
EVAL_ROWS = 1200


def fake_sha(*parts: str) -> str:
    """A stand-in content hash: these demo projects have no files, only their pins."""
    return hashlib.sha256("/".join(("demo-fleet", *parts)).encode()).hexdigest()


# name, owner, team, backup, status, teacher (kind, family, pin-version), created (days before
# as_of), standards version, report (age days, quality offset) or None, extras
MODELS = [
    dict(name="ticket-router", desc="Routes support tickets to one of six queues.", owner="ada", team="support-ml",
         backup="grace", status="production", family="ticket-teacher", teacher="v3", created=210,
         reports=[(150, -0.08), (20, 0.0)], production="stable"),
    dict(name="intent-classifier", desc="Finds the customer's intent in the first chat message.", owner="linus",
         team="chat-ml", backup="ada", status="production", family="support-llm", teacher="2026-06-01",
         endpoint=True, created=160, reports=[(40, 0.0)]),
    dict(name="faq-answer-ranker", desc="Picks the help-centre answer most likely to resolve a question.",
         owner="grace", team="help-centre", backup="ada", status="production", family="ranker-teacher",
         teacher="v2", created=120, reports=[(30, 0.0)], production="drifting"),
    dict(name="spam-filter", desc="Flags abusive or automated messages before they reach an agent.", owner="ken",
         team="trust-safety", backup="barbara", status="production", family="safety-teacher", teacher="v5",
         created=400, reports=[(300, -0.1), (130, 0.0)]),
    dict(name="language-id", desc="Detects the language of an incoming message.", owner="dennis",
         team="platform-ml", backup="niklaus", status="production", family="langid-teacher", teacher="v1",
         created=500, reports=[(460, 0.0), (45, 0.0)]),
    dict(name="sentiment-v1", desc="Scores the sentiment of a review (first version).", owner="ken",
         team="trust-safety", backup="barbara", status="retired", family="sentiment-teacher", teacher="v1",
         created=700, reports=[(650, 0.0), (200, 0.0)],
         lifecycle=dict(retired_on=(AS_OF - dt.timedelta(days=60)).isoformat(),
                        retirement_reason="replaced by review-sentiment, which covers the new review sources",
                        replacement="review-sentiment")),
    dict(name="review-sentiment", desc="Scores the sentiment of a product review, by source.", owner="barbara",
         team="trust-safety", backup="ken", status="in_review", family="sentiment-teacher", teacher="v2",
         created=50, reports=[(6, -0.2)]),
    dict(name="legacy-tagger", desc="Tags tickets with product areas; being replaced by ticket-router.",
         owner="grace", team="support-ml", backup="ada", status="deprecated", family="ticket-teacher",
         teacher="v3", created=800, version="1.0", reports=[(700, 0.0), (60, 0.0)],
         lifecycle=dict(end_date=(AS_OF + dt.timedelta(days=45)).isoformat(), replacement="ticket-router")),
    dict(name="refund-classifier", desc="Decides whether a refund request can be approved without an agent.",
         owner="ada", team="support-ml", backup="grace", status="production", family="billing-llm",
         teacher="2025-09-01", endpoint=True, created=90, reports=[(15, 0.0)]),
    dict(name="summary-drafter", desc="Drafts a one-line summary of a long ticket (an experiment).",
         owner="linus", team="chat-ml", backup=None, status="experimental", family="support-llm",
         teacher="2026-11-10", endpoint=True, created=12, reports=[]),
]

# family, version, days since it became current[, days until the provider retires it]
TEACHERS = [
    ("ticket-teacher", "v3", 300), ("support-llm", "2026-11-10", 18), ("ranker-teacher", "v2", 200),
    ("safety-teacher", "v5", 365), ("langid-teacher", "v1", 600), ("sentiment-teacher", "v2", 90),
    ("billing-llm", "2025-09-01", 450, 45),  # an API model with a shutdown date: teacher_retiring
]
ENDPOINT_FAMILIES = {"support-llm", "billing-llm"}

PEOPLE = [
    ("ada", "support-ml", True), ("grace", "help-centre", True), ("linus", "chat-ml", True),
    ("ken", "trust-safety", True), ("barbara", "trust-safety", True),
    ("dennis", "platform-ml", False),  # left the company: language-id has no active owner
    ("niklaus", "platform-ml", False),
]

SLICES = [
    ("short", "Four words or fewer.", "{text_length: {max_words: 4}}", 0.22),
    ("email", "Came in by email.", "{column: channel, equals: email}", 0.35),
    ("non_english", "Not in English.", "{column: lang, one_of: [de, fr, es]}", 0.12),
]


def teacher_pin(m: dict) -> tuple[str, str]:
    """(manifest YAML of the teacher, canonical pin)."""
    if m.get("endpoint"):
        model = f"{m['family']}-{m['teacher']}"
        return (f"teacher: {{kind: endpoint, family: {m['family']}, base_url: \"http://127.0.0.1:8000/v1\", "
                f"model: {model}}}", f"endpoint:{model}")
    sha = fake_sha(m["family"], m["teacher"])
    return (f"teacher: {{kind: recorded, family: {m['family']}, path: teacher/predictions.jsonl, sha256: {sha}, "
            f"source: \"{m['family']} {m['teacher']}, answered once\"}}", f"sha256:{sha}")


def manifest_text(m: dict) -> str:
    version = m.get("version", "1.2")
    t_yaml, _ = teacher_pin(m)
    created = (AS_OF - dt.timedelta(days=m["created"])).isoformat()
    lc = {"status": m["status"], "created": created, **m.get("lifecycle", {})}
    lc_text = "\n".join(f"  {k}: {json.dumps(v) if isinstance(v, str) and k not in ('status', 'created', 'retired_on', 'end_date') else v}"
                        for k, v in lc.items())
    backup = f", backup: {m['backup']}" if m["backup"] else ""
    approvals = ("approvals:\n  - {reviewer: ml-platform-review, date: "
                 f"{(AS_OF - dt.timedelta(days=m['created'] - 30)).isoformat()}, checklist_version: \"{version}\"}}"
                 if m["status"] in ("production", "deprecated", "retired") else "approvals: []")
    monitoring_key = "sample_path" if version == "1.0" else "production_sample"
    desc = f"description: {json.dumps(m['desc'])}\n" if version != "1.0" else ""
    slices = "\n".join(f"  - {{name: {n}, description: {json.dumps(d)}, rule: {r}}}" for n, d, r, _ in SLICES)
    return f"""# yaml-language-server: $schema=../../../../standards/schemas/manifest-{version}.schema.json
# Demo fleet entry (a generated illustration): written by examples/demo-fleet/generate.py.
standards_version: "{version}"
name: {m['name']}
{desc}task: classification
owner: {{handle: {m['owner']}, team: {m['team']}{backup}}}
labels: [a, b, c, d]
{t_yaml}
student: {{kind: local, path: student/, sha256: {fake_sha(m['name'], 'student')}}}
eval_set:
  path: data/eval.jsonl
  sha256: {fake_sha(m['name'], 'eval')}
  rows: {EVAL_ROWS}
  fields: {{id: id, input: text, label: label}}
slices:
{slices}
quality_bars:
  - {{slice: "*", metric: accuracy, minimum: 0.80, min_examples: 100}}
  - {{slice: "*", metric: agreement, minimum: 0.85, min_examples: 100}}
budgets: {{latency_p95_ms: 20, cost_per_1k_calls_usd: 0.02}}
cost_model: {{usd_per_hour: 0.40}}
triggers:
  teacher_change: true
  drift: {{metric: agreement, max_drop: 0.05}}
  cadence_days: 90
monitoring:
  {monitoring_key}: monitoring/production.jsonl
  spot_check_share: 0.1
  window_days: 7
lifecycle:
{lc_text}
{approvals}
"""


def make_report(m: dict, age_days: int, offset: float, rng: random.Random, manifest_raw: bytes) -> dict:
    _, t_pin = teacher_pin(m)
    finished = NOW - dt.timedelta(days=age_days, hours=rng.randint(1, 20))
    started = finished - dt.timedelta(minutes=rng.randint(3, 40))
    version = m.get("version", "1.2")
    slices, bars = [], []
    for name, _, _, share in [("all", "", "", 1.0), *SLICES]:
        n = int(EVAL_ROWS * share)
        t_acc = 0.90 + rng.uniform(-0.02, 0.03)
        s_acc = min(0.99, t_acc - 0.02 + rng.uniform(-0.015, 0.01) + (offset if name != "all" else offset / 3))
        agree = min(0.99, 0.93 + rng.uniform(-0.02, 0.02) + (offset if name != "all" else offset / 3))
        tk, sk, ak = round(t_acc * n), round(s_acc * n), round(agree * n)
        slices.append({"name": name, "n": n, "teacher_accuracy": wilson(tk, n).model_dump(),
                       "student_accuracy": wilson(sk, n).model_dump(), "agreement": wilson(ak, n).model_dump()})
        for metric, minimum, value in (("accuracy", 0.80, sk / n), ("agreement", 0.85, ak / n)):
            ok = value >= minimum and n >= 100
            bars.append({"slice": name, "metric": metric, "level": "must", "minimum": minimum, "n": n,
                         "min_examples": 100, "value": round(value, 4), "passed": ok,
                         "reason": f"{value:.3f} {'≥' if ok else '<'} {minimum}"})
    report = {
        "project": m["name"], "task": "classification",
        "provenance": {
            "harness_version": "0.1.0", "standards_version": standards.CURRENT_VERSION,  # the harness migrates 1.0 manifests
            "manifest_sha256": hashlib.sha256(manifest_raw).hexdigest(), "teacher_pin": t_pin,
            "student_sha256": fake_sha(m["name"], "student"), "eval_set_sha256": fake_sha(m["name"], "eval"),
            "libraries": {}, "device": "none: a generated illustration, not a real evaluation",
            "started_at": started.isoformat(), "finished_at": finished.isoformat(),
            "command": "examples/demo-fleet/generate.py (illustration)",
        },
        "teacher": {"role": "teacher", "kind": "endpoint" if m.get("endpoint") else "recorded", "pin": t_pin},
        "student": {"role": "student", "kind": "local", "pin": f"sha256:{fake_sha(m['name'], 'student')}",
                    "parameters": 4_400_000},
        "slices": slices,
        "gate": {"verdict": "pass" if all(b["passed"] for b in bars) else "fail", "bars": bars, "budgets": []},
    }
    # The receipt (`standards.receipts`): the manifest fields the verdict depends on.
    from standards import receipts

    parsed = standards.parse_manifest(yaml.safe_load(manifest_raw))
    inputs = receipts.verdict_inputs(parsed)
    report["provenance"].update(verdict_inputs=inputs, verdict_inputs_sha256=receipts.digest(inputs))
    standards.EvalReport.model_validate(report)  # the demo reports are real EvalReports
    return report


def production_sample(kind: str, rng: random.Random) -> str:
    """Four weeks of traffic; `drifting` shifts to long non-English messages and loses agreement."""
    words = "order refund password login parcel invoice charge account delivery broken screen app".split()
    lines = []
    start = NOW - dt.timedelta(days=28)
    for i in range(2400):
        t = start + dt.timedelta(seconds=rng.uniform(0, 28 * 86400))
        week = int((t - start).days // 7)
        shift = kind == "drifting" and week >= 2
        n_words = rng.randint(8, 30) if shift and rng.random() < 0.6 else rng.randint(2, 14)
        text = " ".join(rng.choice(words) for _ in range(n_words))
        lang = rng.choice(["de", "fr", "es"]) if rng.random() < (0.45 if shift else 0.12) else "en"
        channel = "email" if rng.random() < 0.35 else "chat"
        output = rng.choice("abcd")
        row = {"timestamp": t.isoformat().replace("+00:00", "Z"), "input": text, "output": output,
               "channel": channel, "lang": lang}
        if rng.random() < 0.25:  # spot-checked by the teacher
            p_agree = (0.80 if week == 2 else 0.76) if shift else 0.93
            row["teacher_output"] = output if rng.random() < p_agree else rng.choice([c for c in "abcd" if c != output])
        lines.append(row)
    lines.sort(key=lambda r: r["timestamp"])
    return "".join(json.dumps(r) + "\n" for r in lines)


def main() -> None:
    rng = random.Random(SEED)
    models_dir = HERE / "models"
    if models_dir.exists():
        shutil.rmtree(models_dir)
    for m in MODELS:
        d = models_dir / m["name"]
        d.mkdir(parents=True)
        text = manifest_text(m)
        (d / "stillhouse.yaml").write_text(text)
        reports = [make_report(m, age, off, rng, text.encode()) for age, off in m["reports"]]
        for r in reports[:-1]:
            day = r["provenance"]["finished_at"][:10]
            (d / "reports").mkdir(exist_ok=True)
            (d / "reports" / f"report-{day}.json").write_text(json.dumps(r, indent=2) + "\n")
        if reports:
            (d / "report").mkdir()
            (d / "report" / "report.json").write_text(json.dumps(reports[-1], indent=2) + "\n")
        if m.get("production"):
            (d / "monitoring").mkdir()
            sample = d / "monitoring" / "production.jsonl"
            sample.write_text(production_sample(m["production"], rng))
            record = compute_drift(load_project(d), sample, now=NOW)
            write_drift_record(record, d / "drift")
    teachers = "\n".join(
        f"  - {{family: {fam}, pin: \"{pin}\", since: {(AS_OF - dt.timedelta(days=days)).isoformat()}"
        + (f", retires_on: {(AS_OF + dt.timedelta(days=rest[0])).isoformat()}" if rest else "") + "}"
        for fam, ver, days, *rest in TEACHERS
        for pin in [f"endpoint:{fam}-{ver}" if fam in ENDPOINT_FAMILIES else f"sha256:{fake_sha(fam, ver)}"])
    (HERE / "teachers.yaml").write_text(
        "# yaml-language-server: $schema=../../standards/schemas/teachers-1.1.schema.json\n"
        "# The current pin of each teacher family (demo; written by generate.py).\n"
        f"teachers:\n{teachers}\n")
    people = "\n".join(f"  - {{handle: {h}, team: {t}, active: {str(a).lower()}}}" for h, t, a in PEOPLE)
    (HERE / "people.yaml").write_text(
        "# yaml-language-server: $schema=../../standards/schemas/people-1.0.schema.json\n"
        "# Owners and teams; `active: false` once someone has left (demo; written by generate.py).\n"
        f"people:\n{people}\n")
    (HERE / "registry.yaml").write_text(
        "# yaml-language-server: $schema=../../standards/schemas/registry-1.1.schema.json\n"
        "# The demo's clock is frozen: every date in it is relative to as_of, so the fleet shows the\n"
        "# same states on any day. A live registry leaves as_of out.\n"
        f"name: Demo fleet (generated illustration)\nas_of: {AS_OF.isoformat()}\n")
    print(f"wrote {len(MODELS)} models into {models_dir}")


if __name__ == "__main__":
    main()
