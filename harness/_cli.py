"""The `stillhouse` command line.

Exit codes mean one thing everywhere: 0 ok, 1 a standard or gate failed, 2 unusable
input. Every error a user can cause is printed without a traceback. This module
imports nothing heavy: commands that run models import their code inside the command.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ._errors import ManifestError, StillhouseError

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2

_STATUS_STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "skip": "dim", "manual": "cyan"}


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    # A fixed width off a terminal keeps piped output and CI logs readable.
    return Console(stderr=stderr, width=None if sys.stdout.isatty() else 120, highlight=False)


def _print_error(err: StillhouseError, fmt: str = "text") -> None:
    if fmt == "json":
        problems = [p.to_dict() for p in err.problems] if isinstance(err, ManifestError) else [
            {"file": getattr(err, "file", None), "field": getattr(err, "field", None), "message": str(err)}]
        click.echo(json.dumps({"ok": False, "exit_code": err.exit_code, "errors": problems}, indent=2))
        return
    con = _console(stderr=True)
    if isinstance(err, ManifestError):
        n = len(err.problems)
        con.print(f"[bold red]error:[/] {n} problem{'s' if n != 1 else ''} in {err.file}", markup=True)
        for p in err.problems:
            con.print("  " + str(p), markup=False, soft_wrap=True)
    else:
        con.print("[bold red]error:[/] ", end="", markup=True)
        con.print(str(err), markup=False, soft_wrap=True)


class _Group(click.Group):
    """Runs a command and turns every `StillhouseError` into its exit code, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StillhouseError as err:
            _print_error(err, ctx.meta.get("stillhouse.format", "text"))
            ctx.exit(err.exit_code)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.epilog:
            formatter.write_paragraph()
            for line in self.epilog.splitlines():
                formatter.write_text(line) if line.strip() else formatter.write_paragraph()


def _examples(*lines: str) -> str:
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog="Exit codes: 0 ok, 1 a standard or gate failed, 2 unusable input.")
@click.version_option(package_name="stillhouse", prog_name="stillhouse")
def cli() -> None:
    """Stillhouse: the paved road for model distillation.

    Validate a project against the standards, evaluate teacher and student into the
    standard report, gate on the quality bars, distil, and watch the fleet."""


def _command(*example_lines: str, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    return cli.command(epilog=_examples(*example_lines), **kwargs)


PROJECT = click.argument("project", type=click.Path(path_type=Path), default=".", required=False)
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True, help="Output format: a table for people, JSON for machines.")


@_command("stillhouse init support-intent-router", "cd support-intent-router && stillhouse validate")
@click.argument("name")
def init(name: str) -> None:
    """Create the project NAME in the current folder from the starter template.

    The new manifest has every field, with `<FILL-IN: …>` placeholders for the decisions
    only you can make; `stillhouse validate` lists each one. A GitHub Actions workflow runs
    `validate` and `eval --gate` as the review gate."""
    from ._init import init_project

    path = init_project(name)
    con = _console()
    con.print(f"Created {path}/ from the starter template.", markup=False)
    con.print("Next: fill in the <FILL-IN: …> values, then run: stillhouse validate " + str(path), markup=False)


@_command("stillhouse validate examples/minimal", "stillhouse validate . --format json | jq .results")
@PROJECT
@FORMAT
@click.option("--catalogue", type=click.Path(path_type=Path, dir_okay=False), default=None, hidden=True)
def validate(project: Path, fmt: str, catalogue: Path | None) -> None:
    """Check PROJECT (a folder or manifest; default: here) against the standards.

    Schema validation first (every problem at once, with file, field path and line), then
    every automatic requirement. Exit 0 when every must-level requirement passes, 1 when
    one fails, 2 when the manifest cannot be used."""
    from ._validate import validate as run_validate

    click.get_current_context().meta["stillhouse.format"] = fmt
    result = run_validate(project, catalogue_path=catalogue)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
        sys.exit(result.exit_code)
    from rich.table import Table

    con = _console()
    m = result.project.manifest
    table = Table(title=f"{m.name} — standards {result.project.declared_version}", title_justify="left",
                  show_lines=False, expand=False)
    for col in ("requirement", "level", "result", "detail"):
        table.add_column(col, overflow="fold")
    for r in result.results:
        if r.status == "manual":
            continue
        table.add_row(r.id, r.level, f"[{_STATUS_STYLE[r.status]}]{r.status}[/]", _plain(r.detail))
    con.print(table)
    manual = sum(r.status == "manual" for r in result.results)
    warns = sum(r.status == "warn" for r in result.results)
    if result.ok:
        con.print(f"[green]OK[/]: every must-level requirement passes ({warns} warning(s); "
                  f"{manual} reviewer item(s): `stillhouse checklist`).")
    else:
        ids = ", ".join(r.id for r in result.failed)
        con.print(f"[bold red]FAILED[/]: {len(result.failed)} must-level requirement(s): {ids}.")
    sys.exit(result.exit_code)


def _plain(text: str) -> Any:
    from rich.text import Text

    return Text(text)


@_command("stillhouse checklist examples/minimal > review.md")
@PROJECT
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the checklist to this file (atomically) instead of printing it.")
def checklist(project: Path, output: Path | None) -> None:
    """Print the review checklist of PROJECT in Markdown.

    Automatic items are ticked or crossed from `validate`; manual items are the reviewer's
    questions. Exit 0 when the automatic items pass, 1 otherwise."""
    from ._io import atomic_write_text
    from ._validate import checklist_markdown, validate as run_validate

    result = run_validate(project)
    text = checklist_markdown(result)
    if output:
        atomic_write_text(output, text)
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text)
    sys.exit(result.exit_code)


@_command("stillhouse schema", "stillhouse schema --out schemas/")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder to write into (default: the `standards/schemas` folder of this installation).")
def schema(out: Path | None) -> None:
    """Write the JSON Schema of every versioned schema (manifest, reports, registry files).

    Point an editor at a manifest schema with a first line like
    `# yaml-language-server: $schema=path/to/manifest-1.1.schema.json`."""
    import standards

    for p in standards.write_schemas(out or standards.SCHEMA_DIR):
        click.echo(str(p))


@_command("stillhouse hash data/eval.jsonl", "stillhouse hash student/")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def hash(paths: tuple[Path, ...]) -> None:  # noqa: A001 - the verb users type
    """Print the pin of each PATH: the sha256 of a file, or the artifact hash of a model
    folder (every file except hidden ones and README.md, by relative path)."""
    from standards import artifact_sha256

    for p in paths:
        if not p.exists():
            raise ManifestError([_missing(p)])
        click.echo(f"{artifact_sha256(p)}  {p}")


def _missing(p: Path) -> Any:
    from ._errors import Problem

    return Problem(file=str(p), field="", expected="a file or folder", found="nothing at that path")


# --- stillhouse eval (the evaluation harness) --------------------------------------------------


@_command("stillhouse eval examples/minimal --gate", "stillhouse eval . --no-cache --out /tmp/report",
          "stillhouse eval . --gate --quiet   # in CI")
@PROJECT
@click.option("--gate", is_flag=True, help="Exit 1 when any must-level quality bar or budget fails.")
@click.option("--no-cache", is_flag=True, help="Run the teacher again even if its outputs are cached.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or summary (for CI logs).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for report.json/.md/.html (default: PROJECT/report/).")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=32, show_default=True,
              help="Examples per batch for local models and callables.")
def eval(project: Path, gate: bool, no_cache: bool, quiet: bool, out: Path | None,  # noqa: A001 - the verb
         batch_size: int) -> None:
    """Run teacher and student on PROJECT's frozen eval set and write the standard report.

    Verifies the eval set's, the student's and a local teacher's hashes first (exit 2 on a
    mismatch, showing both). Teacher outputs are cached under PROJECT/.stillhouse/cache/,
    keyed by the teacher pin, the eval set's hash and every output-changing setting; an
    interrupted run resumes from its checkpoints. Writes report.json, report.md and
    report.html atomically. With --gate, exit 1 when a must-level bar fails."""
    from ._eval import evaluate

    argv = " ".join(sys.argv[1:]) if sys.argv[1:] else f"eval {project}"
    report = evaluate(project, use_cache=not no_cache, quiet=quiet, out_dir=out, batch_size=batch_size,
                      command=f"stillhouse {argv}")
    failed = [b for b in [*report.gate.bars, *report.gate.budgets] if not b.passed and b.level == "must"]
    if not quiet:
        _print_eval_summary(report, out or (project / "report"))
    elif report.gate.verdict == "fail":
        for b in failed:
            click.echo(f"FAIL {b.slice} {b.metric}: {b.reason}", err=True)
    if gate and report.gate.verdict == "fail":
        sys.exit(EXIT_FAILED)


def _print_eval_summary(report: Any, out: Path) -> None:
    from rich.table import Table

    con = _console()
    table = Table(title=f"{report.project}: {report.slices[0].n if report.slices else 0} examples",
                  title_justify="left")
    for col in ("slice", "n", "teacher acc", "student acc", "agreement", "student − teacher"):
        table.add_column(col, overflow="fold")

    def pct(e: Any) -> str:
        return "–" if e is None else f"{100 * e.value:.1f}% [{100 * e.low:.1f}, {100 * e.high:.1f}]"

    for s in report.slices:
        delta = "–" if s.paired is None else f"{100 * s.paired.delta:+.1f} pts"
        table.add_row(_plain(s.name), str(s.n), pct(s.teacher_accuracy), pct(s.student_accuracy),
                      pct(s.agreement), delta)
    con.print(table)
    for b in [*report.gate.bars, *report.gate.budgets]:
        mark = "[green]pass[/]" if b.passed else ("[bold red]FAIL[/]" if b.level == "must" else "[yellow]warn[/]")
        con.print(f"{mark} ", end="")
        con.print(f"{b.slice} · {b.metric}: {b.reason}", markup=False)
    verdict = report.gate.verdict
    con.print(f"Gate: {'[green]PASS[/]' if verdict == 'pass' else '[bold red]FAIL[/]'}. "
              f"Report: {out}/report.html", highlight=False)

# --- end of stillhouse eval ----------------------------------------------------------------------


# --- distill (issue 4) -------------------------------------------------------------------------


@_command("stillhouse distill examples/worked-example",
          "stillhouse distill . --force --write-pin   # retrain, then pin the new student in the manifest")
@PROJECT
@click.option("--force", is_flag=True, help="Retrain even when the training record says no input changed.")
@click.option("--write-pin", is_flag=True,
              help="Write the new student's sha256 into the manifest's `student.sha256` (only that value changes).")
def distill(project: Path, force: bool, write_pin: bool) -> None:
    """Train PROJECT's student from its teacher's soft labels (classification).

    Loss: (1 - alpha) * CE(student, gold) + alpha * T^2 * KL(teacher/T || student/T), with
    the settings of the manifest's `distillation` section. Refuses a teacher and student
    whose label sets or tokenizers differ. Saves the student as safetensors and a training
    record (training/record.json). Skips training when the record shows the same inputs
    (training data, teacher pin, settings, trainer code) produced the student on disk."""
    from ._distill import RECORD_FILE, distill as run_distill

    con = _console()
    result = run_distill(project, force=force, write_manifest_pin=write_pin, console=con)
    rec = result.record
    last = rec["epochs"][-1] if rec.get("epochs") else {}
    con.print(f"student {result.student_sha256}  ({rec['student']['parameters']:,} parameters; "
              f"final loss {last.get('loss', float('nan')):.4f}; record {RECORD_FILE})", markup=False)
    if result.pin_written:
        con.print("[green]pinned[/]: wrote the new sha256 into student.sha256 of the manifest.")
    elif not result.pin_matches:
        con.print(f"[yellow]note[/]: the manifest pins student.sha256 {result.manifest_pin}, not this student: "
                  "run again with --write-pin, or `stillhouse validate` fails TEACH-003.")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `stillhouse` command."""
    try:
        cli.main(args=argv, prog_name="stillhouse", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("interrupted", err=True)
        sys.exit(130)
