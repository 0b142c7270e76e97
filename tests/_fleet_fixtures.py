"""Builders for small registries: real manifests (from examples/minimal), real EvalReports."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import yaml

import standards
from harness.fleet._drift import wilson

from .conftest import EXAMPLES

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 28, tzinfo=UTC)
LABELS = ["billing", "technical", "account", "shipping"]  # the minimal example's
BASE = yaml.safe_load((EXAMPLES / "minimal" / "stillhouse.yaml").read_text())


def manifest(name: str, **changes: Any) -> dict[str, Any]:
    """The minimal example's manifest, renamed, in production with an approval; ``changes``
    are dotted paths (`owner.handle`) -> values (None deletes)."""
    data = copy.deepcopy(BASE)
    data["name"] = name
    data["teacher"]["family"] = "router-teacher"
    data["lifecycle"] = {"status": "production", "created": dt.date(2026, 6, 1)}
    data["approvals"] = [{"reviewer": "rev", "date": dt.date(2026, 7, 1), "checklist_version": "1.1"}]
    data["triggers"]["cadence_days"] = 90
    for dotted, value in changes.items():
        cur = data
        *parents, last = dotted.split(".")
        for p in parents:
            cur = cur[p]
        if value is None:
            cur.pop(last, None)
        else:
            cur[last] = value
    return data


def teacher_pin(data: dict[str, Any]) -> str:
    return standards.model_pin(standards.parse_manifest(copy.deepcopy(data)).teacher)


def report(data: dict[str, Any], finished: dt.datetime, verdict: str = "pass", agreement: float = 0.9,
           accuracy: float = 0.85, **prov: Any) -> dict[str, Any]:
    """A valid EvalReport for the manifest ``data``, finished at ``finished``: its bars come
    from the real gate on synthetic per-item outcomes (a failing one from an accuracy far
    below the bars), and it records its verdict inputs, as `stillhouse eval` writes them."""
    from harness.eval import SliceFlags, run_gate
    from standards import receipts

    m = standards.parse_manifest(copy.deepcopy(data))
    if verdict == "fail":
        accuracy = 0.3
    sizes = {"all": 320, **{s.name: k for s, k in zip(m.slices, (64, 120, 40, 50, 60))}}
    results, flags = {}, {}
    for name, k in sizes.items():
        s_ok = [i < round(accuracy * k) for i in range(k)]
        t_ok = [i < round(0.9 * k) for i in range(k)]
        results[name] = standards.SliceResult(
            name=name, n=k, agreement=wilson(round(agreement * k), k), student_accuracy=wilson(sum(s_ok), k),
            teacher_accuracy=wilson(sum(t_ok), k))
        flags[name] = SliceFlags(student_correct=s_ok, teacher_correct=t_ok)
    student = standards.ModelSummary(
        role="student", kind="local", pin=standards.model_pin(m.student),
        latency=standards.Latency(p50_ms=1.0, p95_ms=2.0, p99_ms=3.0, calls=100),
        cost=standards.Cost(usd_per_call=1e-7, usd_per_1k_calls=1e-4, basis="fixture"))
    gate = run_gate(m, results, flags, student, 320)
    assert gate.verdict == verdict, (gate.verdict, verdict)
    inputs = receipts.verdict_inputs(m)
    out = {
        "project": m.name, "task": "classification",
        "provenance": {
            "harness_version": "0.1.0", "standards_version": standards.CURRENT_VERSION, "manifest_sha256": "0" * 64,
            "teacher_pin": standards.model_pin(m.teacher), "student_sha256": m.student.sha256,
            "eval_set_sha256": m.eval_set.sha256, "device": "cpu",
            "started_at": (finished - dt.timedelta(minutes=5)).isoformat(), "finished_at": finished.isoformat(),
            "command": "stillhouse eval", "verdict_inputs": inputs, "verdict_inputs_sha256": receipts.digest(inputs),
            **prov,
        },
        "teacher": {"role": "teacher", "kind": "recorded", "pin": standards.model_pin(m.teacher)},
        "student": student.model_dump(mode="json"),
        "slices": [r.model_dump(mode="json") for r in results.values()],
        "gate": gate.model_dump(mode="json"),
    }
    standards.EvalReport.model_validate(out)
    return out


def write_registry(root: Path, teachers: dict[str, str] | None = None,
                   people: list[tuple[str, bool]] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    teachers = teachers if teachers is not None else {"router-teacher": teacher_pin(BASE)}
    people = people if people is not None else [("ada", True), ("grace", True)]
    (root / "teachers.yaml").write_text(yaml.safe_dump(
        {"teachers": [{"family": f, "pin": p} for f, p in teachers.items()]}))
    (root / "people.yaml").write_text(yaml.safe_dump(
        {"people": [{"handle": h, "active": a} for h, a in people]}))
    (root / "models").mkdir(exist_ok=True)
    return root


def write_entry(root: Path, data: dict[str, Any], rep: dict[str, Any] | None = None, entry: str | None = None,
                archived: list[dict[str, Any]] = ()) -> Path:
    d = root / "models" / (entry or data["name"])
    d.mkdir(parents=True, exist_ok=True)
    (d / "stillhouse.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    if rep is not None:
        (d / "report").mkdir(exist_ok=True)
        (d / "report" / "report.json").write_text(json.dumps(rep))
    for i, r in enumerate(archived):
        (d / "reports").mkdir(exist_ok=True)
        (d / "reports" / f"r{i}.json").write_text(json.dumps(r))
    return d


def production_rows(weeks: int, agree: list[float], per_week: int = 200, spot: float = 0.5, seed: int = 1,
                    long_from_week: int | None = None, start: dt.datetime = NOW - dt.timedelta(days=28),
                    labels: bool = False) -> list[dict[str, Any]]:
    """Synthetic production traffic with the eval set's slice mix (short 20%, email 37.5%,
    typos 12.5%). In week ``w`` exactly round(agree[w] * n) of the n spot-checked (or
    labelled) rows agree, so the figures do not hang on the seed."""
    rng = random.Random(seed)
    rows = []
    for w in range(weeks):
        week = []
        for _ in range(per_week):
            t = start + dt.timedelta(days=7 * w, seconds=rng.uniform(0, 7 * 86400 - 1))
            long = long_from_week is not None and w >= long_from_week
            n_words = rng.randint(10, 30) if long else (rng.randint(2, 4) if rng.random() < 0.2 else rng.randint(5, 8))
            out = rng.choice(LABELS)
            week.append({"timestamp": t.isoformat().replace("+00:00", "Z"), "input": " ".join(["word"] * n_words),
                         "output": out, "channel": "email" if rng.random() < 0.375 else "chat",
                         "has_typo": rng.random() < 0.125})
        for key, share in (("teacher_output", spot), ("label", 1.0 if labels else 0.0)):
            chosen = [r for r in week if rng.random() < share]
            k = round(agree[w] * len(chosen))
            rng.shuffle(chosen)
            for i, r in enumerate(chosen):
                r[key] = r["output"] if i < k else next(x for x in LABELS if x != r["output"])
        rows += week
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
