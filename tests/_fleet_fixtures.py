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
    """A valid EvalReport for the manifest ``data``, finished at ``finished``."""
    m = standards.parse_manifest(copy.deepcopy(data))
    n = 320
    slices = [{"name": "all", "n": n, "agreement": wilson(round(agreement * n), n).model_dump(),
               "student_accuracy": wilson(round(accuracy * n), n).model_dump(),
               "teacher_accuracy": wilson(round(0.9 * n), n).model_dump()}]
    for s, k in zip(m.slices, (64, 120, 40)):
        slices.append({"name": s.name, "n": k, "agreement": wilson(round(agreement * k), k).model_dump()})
    out = {
        "project": m.name, "task": "classification",
        "provenance": {
            "harness_version": "0.1.0", "standards_version": standards.CURRENT_VERSION, "manifest_sha256": "0" * 64,
            "teacher_pin": standards.model_pin(m.teacher), "student_sha256": m.student.sha256,
            "eval_set_sha256": m.eval_set.sha256, "device": "cpu",
            "started_at": (finished - dt.timedelta(minutes=5)).isoformat(), "finished_at": finished.isoformat(),
            "command": "stillhouse eval", **prov,
        },
        "teacher": {"role": "teacher", "kind": "recorded", "pin": standards.model_pin(m.teacher)},
        "student": {"role": "student", "kind": "local", "pin": standards.model_pin(m.student)},
        "slices": slices,
        "gate": {"verdict": verdict},
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
            out = rng.choice(["billing", "technical", "account", "shipping"])
            week.append({"timestamp": t.isoformat().replace("+00:00", "Z"), "input": " ".join(["word"] * n_words),
                         "output": out, "channel": "email" if rng.random() < 0.375 else "chat",
                         "has_typo": rng.random() < 0.125})
        for key, share in (("teacher_output", spot), ("label", 1.0 if labels else 0.0)):
            chosen = [r for r in week if rng.random() < share]
            k = round(agree[w] * len(chosen))
            rng.shuffle(chosen)
            for i, r in enumerate(chosen):
                r[key] = r["output"] if i < k else "other"
        rows += week
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
