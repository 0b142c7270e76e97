"""Generated fleets for the site's tests and benchmark: a real `fleet.json` (fleet report
schema) and one real `report.json` (eval report schema) per model, written to a folder.

The first two models are hostile on purpose: their name, owner and team hold HTML and a
`<script>` that would set `window.__stillhouse_pwned` if it ever executed.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from standards import (
    BarResult,
    Estimate,
    EvalReport,
    FleetModel,
    FleetReport,
    Gate,
    ModelSummary,
    Provenance,
    RolloutFigures,
    SliceResult,
    TriggerFired,
)

SCRIPT_NAME = "<script>window.__stillhouse_pwned=1</script>"
IMG_OWNER = '<img src=x onerror="window.__stillhouse_pwned=2">'
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
SLICES = ("all", "short", "email", "typos", "billing", "out_of_scope")


def make_report(name: str, rng: random.Random, slices: tuple[str, ...] = SLICES) -> EvalReport:
    results, bars = [], []
    for s in slices:
        n = rng.randint(20, 400)
        t, st, ag = rng.uniform(0.8, 0.97), rng.uniform(0.7, 0.95), rng.uniform(0.85, 0.99)
        results.append(SliceResult(
            name=s, n=n,
            teacher_accuracy=Estimate(value=t, low=t - 0.04, high=min(1.0, t + 0.03), method="wilson"),
            student_accuracy=Estimate(value=st, low=st - 0.05, high=min(1.0, st + 0.04), method="wilson"),
            agreement=Estimate(value=ag, low=ag - 0.03, high=min(1.0, ag + 0.02), method="wilson"),
        ))
        bars.append(BarResult(slice=s, metric="accuracy", level="must", minimum=0.75, n=n, min_examples=30,
                              value=st, passed=st >= 0.75 and n >= 30,
                              reason=f"accuracy {st:.3f} vs minimum 0.75 on {n} examples"))
    pin = "sha256:" + "ab" * 32
    return EvalReport(
        project=name, task="classification",
        provenance=Provenance(harness_version="0.1.0", standards_version="1.1", manifest_sha256="cd" * 32,
                              teacher_pin=pin, student_sha256="ef" * 32, eval_set_sha256="12" * 32,
                              device="cpu", started_at=NOW - dt.timedelta(minutes=3), finished_at=NOW,
                              command="stillhouse eval ."),
        teacher=ModelSummary(role="teacher", kind="recorded", pin=pin),
        student=ModelSummary(role="student", kind="local", pin="sha256:" + "ef" * 32, parameters=19556),
        slices=results,
        gate=Gate(verdict="pass" if all(b.passed for b in bars) else "fail", bars=bars),
    )


def write_fleet(out: Path, n: int, *, seed: int = 0, hostile: bool = True) -> Path:
    """Write `out/fleet.json` and `out/reports/<i>/report.json` for ``n`` models; return the fleet file."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    models = []
    for i in range(n):
        name = f"model-{i:05d}"
        owner, team = f"owner-{i % 37}", f"team-{i % 7}"
        if hostile and i == 0:
            name = SCRIPT_NAME
        if hostile and i == 1:
            owner, team = IMG_OWNER, "<b>bold team</b>"
        has_report = i % 5 != 4
        report_path = None
        verdict = "none"
        if has_report:
            report = make_report(name, rng)
            report_path = f"reports/{i:05d}/report.json"
            (out / report_path).parent.mkdir(parents=True, exist_ok=True)
            (out / report_path).write_text(report.model_dump_json(indent=1), encoding="utf-8")
            verdict = report.gate.verdict
        triggers = []
        if i % 3 == 0:
            triggers.append(TriggerFired(code="cadence_elapsed", reason="last evaluation is 200 days old; cadence is 90",
                                         evidence={"cadence_days": 90, "report_age_days": 200}))
        if i % 4 == 1:
            triggers.append(TriggerFired(code="teacher_moved", reason="teacher pin moved to sha256:99…",
                                         evidence={"current": "sha256:" + "99" * 32}))
        orphaned = i % 6 == 5
        models.append(FleetModel(
            name=name, entry=f"m{i:05d}", standards_version="1.1", owner=None if orphaned else owner, team=team,
            status=rng.choice(["production", "in_review", "experimental", "deprecated"]),
            report_age_days=rng.uniform(1, 250) if has_report else None,
            evaluation_current=has_report and not triggers, verdict=verdict, orphaned=orphaned,
            orphan_reason="no owner named" if orphaned else None, triggers=triggers,
            needs_action=bool(triggers) or orphaned or verdict != "pass", report_path=report_path,
        ))
    current = sum(m.evaluation_current and m.verdict == "pass" and not m.orphaned for m in models)
    fleet = FleetReport(
        generated_at=NOW, registry=str(out),
        models=models,
        rollout=RolloutFigures(models=n, active_models=n, current_passing_owned=current,
                               share_current_passing_owned=current / n if n else 0.0,
                               orphaned=sum(m.orphaned for m in models), median_days_to_first_pass=21.0,
                               open_triggers={"cadence_elapsed": sum(i % 3 == 0 for i in range(n)),
                                              "teacher_moved": sum(i % 4 == 1 for i in range(n))}),
    )
    path = out / "fleet.json"
    path.write_text(fleet.model_dump_json(indent=1), encoding="utf-8")
    return path
