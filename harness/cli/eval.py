"""`stillhouse eval`: teacher and student on the frozen eval set, the standard report, the gate."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ._app import EXIT_FAILED, PROJECT, command, console, plain


@command("stillhouse eval examples/minimal --gate", "stillhouse eval . --no-cache --out /tmp/report",
         "stillhouse eval . --gate --quiet   # in CI",
         "stillhouse eval . --teacher-only   # the teacher's quality per slice, before distilling",
         "stillhouse eval . --ray local      # sharded over a local Ray cluster (pip install 'stillhouse[ray]')")
@PROJECT
@click.option("--gate", is_flag=True, help="Exit 1 when any must-level quality bar or budget fails.")
@click.option("--teacher-only", is_flag=True,
              help="Evaluate only the teacher, per slice (TEACH-004), before any student exists. The report has "
                   "no verdict and never satisfies EVAL-005.")
@click.option("--no-cache", is_flag=True, help="Run the teacher again even if its outputs are cached.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or summary (for CI logs).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for report.json/.md/.html (default: PROJECT/report/; with --teacher-only, "
                   "PROJECT/report/teacher-only/, so the model's own report stays).")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=32, show_default=True,
              help="Examples per batch for local models and callables.")
@click.option("--repeats", type=click.IntRange(1, 50), default=None, metavar="K",
              help="Run the student K times (default: the manifest's `repeats.runs`): for a student that samples "
                   "(generation.temperature > 0), the report says per slice how often answers change and how "
                   "often the runs agree on the verdict; the gate combines the runs by the manifest's "
                   "`repeats.rule` (all or majority). A K other than `repeats.runs` is a trial: validate and "
                   "publish take only a report of the manifest's number of runs.")
@click.option("--ray", "ray_address", metavar="ADDRESS", default=None,
              help="Shard the models' runs over a Ray cluster: `local` starts one on this machine for the run; "
                   "any other value is the address of a running cluster (e.g. ray://head:10001, or auto). The "
                   "figures are one process's; latency is timed on one worker.")
@click.option("--ray-workers", type=click.IntRange(1), default=None, metavar="N",
              help="With --ray: workers per model (default: one per GPU, else one per CPU of the cluster).")
def eval(project: Path, gate: bool, teacher_only: bool, no_cache: bool, quiet: bool,  # noqa: A001 - the verb
         out: Path | None, batch_size: int, repeats: int | None, ray_address: str | None,
         ray_workers: int | None) -> None:
    """Run teacher and student on PROJECT's frozen eval set and write the standard report.

    Verifies the eval set's, the student's and the teacher's files against their pins first
    (exit 2 on a mismatch, showing both). Teacher outputs are cached under
    PROJECT/.stillhouse/cache/, keyed by the teacher pin, the eval set's hash and every
    output-changing setting, and sealed; an interrupted run resumes from its checkpoints.
    With STILLHOUSE_SIGNING_KEY set (a CI secret) no cache is used and the report is signed.
    Writes report.json, report.md and report.html atomically. With --gate, exit 1 when a
    must-level bar fails."""
    from ..eval import default_report_dir, evaluate

    if gate and teacher_only:
        raise click.UsageError("--gate judges a student; a --teacher-only report has no verdict")
    if ray_workers is not None and ray_address is None:
        raise click.UsageError("--ray-workers needs --ray ADDRESS")
    argv = " ".join(sys.argv[1:]) if sys.argv[1:] else f"eval {project}"
    report = evaluate(project, use_cache=not no_cache, quiet=quiet, out_dir=out, batch_size=batch_size,
                      command=f"stillhouse {argv}", teacher_only=teacher_only, ray=ray_address,
                      ray_workers=ray_workers, repeats=repeats)
    failed = [b for b in [*report.gate.bars, *report.gate.budgets] if not b.passed and b.level == "must"]
    if not quiet:
        _print_eval_summary(report, out or default_report_dir(project, teacher_only))
    elif report.gate.verdict == "fail":
        for b in failed:
            click.echo(f"FAIL {b.slice} {b.metric}: {b.reason}", err=True)
    if gate and report.gate.verdict == "fail":
        sys.exit(EXIT_FAILED)


def _print_eval_summary(report: Any, out: Path) -> None:
    from rich.table import Table

    con = console()
    teacher_only = report.student is None
    table = Table(title=plain(f"{report.project}: {report.slices[0].n if report.slices else 0} examples"
                              + (" (teacher only)" if teacher_only else "")), title_justify="left")
    cols = ("slice", "n", "teacher acc") if teacher_only else (
        "slice", "n", "teacher acc", "student acc", "agreement", "student − teacher")
    for col in cols:
        table.add_column(col, overflow="fold")

    def pct(e: Any) -> str:
        return "–" if e is None else f"{100 * e.value:.1f}% [{100 * e.low:.1f}, {100 * e.high:.1f}]"

    for s in report.slices:
        if teacher_only:
            table.add_row(plain(s.name), str(s.n), pct(s.teacher_accuracy))
            continue
        delta = "–" if s.paired is None else f"{100 * s.paired.delta:+.1f} pts"
        table.add_row(plain(s.name), str(s.n), pct(s.teacher_accuracy), pct(s.student_accuracy),
                      pct(s.agreement), delta)
    con.print(table)
    if teacher_only:
        con.print(plain(f"Teacher only: no verdict. Report: {out}/report.html"))
        return
    bars = [*report.gate.bars, *report.gate.budgets]
    must = [b for b in bars if not b.passed and b.level == "must"]
    should = [b for b in bars if not b.passed and b.level == "should"]
    for b in [*must, *should, *(b for b in bars if b.passed)]:  # what needs reading first
        mark = "[green]pass[/]" if b.passed else ("[bold red]FAIL[/]" if b.level == "must" else "[yellow]WARN[/]")
        con.print(f"{mark} ", end="")
        con.print(plain(f"{b.slice} · {b.metric}: {b.reason}"))
    if report.repeats is not None:
        rep = report.repeats
        con.print(plain(f"{rep.runs} runs ({', '.join(rep.verdicts)}), combined by `{rep.rule}`:"))
        for s in rep.slices:
            con.print(plain(f"  {s.name}: {s.changed_share:.0%} of items changed answer; "
                            f"{s.verdict_agreement:.0%} of runs agree on its verdict ({s.passed_runs} passed)"))
    verdict = report.gate.verdict
    con.print(f"Gate: {'[green]PASS[/]' if verdict == 'pass' else '[bold red]FAIL[/]'} ", end="")
    con.print(plain(f"({len(must)} must-level failure(s), {len(should)} warning(s)). Open {out}/report.html"))
