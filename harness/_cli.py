"""The `stillhouse` command line.

Exit codes mean one thing everywhere: 0 ok, 1 a standard or gate failed, 2 unusable
input. Every error a user can cause is printed without a traceback. This module
imports nothing heavy: commands that run models import their code inside the command.
"""

from __future__ import annotations

import gc
import json
import os
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


# === fleet, drift, retire (issue 6) ===============================================

def _when_option(value: str | None) -> Any:
    """`--now`: a day (`2026-11-28`, 00:00 UTC) or an ISO time."""
    import datetime as dt

    if value is None:
        return None
    try:
        t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"expected a date or ISO time such as 2026-11-28, found {value!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


NOW = click.option("--now", "now", default=None, metavar="TIME",
                   help="Compute as of this day or ISO time instead of now (reproducible reports).")


@_command("stillhouse fleet examples/demo-fleet",
          "stillhouse fleet registry/ --check            # exit 1 when a model needs action",
          "stillhouse fleet registry/ --format json | jq .rollout")
@click.argument("registry", type=click.Path(path_type=Path), default=".", required=False)
@click.option("--check", is_flag=True, help="Exit 1 when any model needs action or an entry is broken (for CI).")
@FORMAT
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for fleet.json and fleet.md (default: the registry).")
@NOW
@click.option("--no-cache", is_flag=True, help="Re-read every file instead of using the registry's summary cache.")
@click.option("--rows", type=click.IntRange(min=1), default=100, show_default=True,
              help="Most models shown in the table (those needing action first); the files hold all.")
def fleet(registry: Path, check: bool, fmt: str, out: Path | None, now: str | None, no_cache: bool,
          rows: int) -> None:
    """Report on every model in REGISTRY (default: here) and write fleet.json and fleet.md.

    Per model: owner, status, report age, whether its evaluation is current, the gate
    verdict, whether it is orphaned, and every redistillation trigger that has fired
    (teacher moved, drift, cadence elapsed, standards outdated) with its evidence. Broken
    entries are listed as problems and never hide the others. Exit 0; with --check, exit 1
    when any model needs action or an entry is broken; 2 when REGISTRY is not usable."""
    from ._fleet import build_fleet_unsaved, fleet_markdown, needs_attention
    from ._io import atomic_write_text, in_background

    click.get_current_context().meta["stillhouse.format"] = fmt
    # A command that builds 10,000 models' objects and exits: the cyclic collector would walk
    # them again and again while the outputs are written, for nothing to collect.
    gc.disable()
    # The summary cache is written from a forked child as soon as the files are summarised,
    # on the core the assessment leaves idle; fleet.json and fleet.md from two more while
    # the table is printed here. A failed write is exit 2, as if it were written here.
    waits: list[Any] = []

    def save_cache(cache: Any) -> None:
        if cache.stale():
            waits.append(in_background(cache.save))

    report, _ = build_fleet_unsaved(registry, now=_when_option(now), use_cache=not no_cache, on_scanned=save_cache)
    global _FAST_EXIT
    _FAST_EXIT = True  # everything below closes its files before returning
    target = out or registry
    code = EXIT_FAILED if check and needs_attention(report) else EXIT_OK
    text = report.model_dump_json(indent=2) + "\n" if fmt == "json" else None
    waits.append(in_background(lambda: atomic_write_text(
        target / "fleet.json", text if text is not None else report.model_dump_json(indent=2) + "\n")))
    waits.append(in_background(lambda: atomic_write_text(target / "fleet.md", fleet_markdown(report))))
    if text is None:
        _print_fleet(report, rows)
    for wait in waits:
        _written(target, wait)
    if text is not None:
        click.echo(text, nl=False)
    else:
        click.echo(f"Wrote {target / 'fleet.json'} and {target / 'fleet.md'}", err=True)
    sys.exit(code)


def _written(target: Path, write: Any) -> None:
    """Run one write of the fleet's outputs (or wait for it); exit 2 if it fails."""
    try:
        write()
    except OSError as exc:
        from ._errors import InputError

        raise InputError(f"{target}: cannot write fleet.json and fleet.md ({exc.strerror or exc})") from None


def _print_fleet(report: Any, max_rows: int) -> None:
    from rich.table import Table

    con = _console()
    r = report.rollout
    models = sorted(report.models, key=lambda m: (not m.needs_action, m.name))
    title = f"Fleet{': ' + report.name if report.name else ''} — as of {report.generated_at:%Y-%m-%d %H:%M} UTC"
    table = Table(title=_plain(title), title_justify="left")
    for col in ("model", "owner", "status", "age (d)", "current", "verdict", "orphaned", "triggers", "action"):
        table.add_column(col, overflow="fold")
    for m in models[:max_rows]:
        trig = ", ".join(t.code for t in m.triggers)
        table.add_row(_plain(m.name), _plain(m.owner or "—"), _plain(m.status),
                      "—" if m.report_age_days is None else f"{m.report_age_days:.0f}",
                      "yes" if m.evaluation_current else "[yellow]no[/]",
                      {"pass": "[green]pass[/]", "fail": "[bold red]fail[/]"}.get(m.verdict, "none"),
                      "[bold red]yes[/]" if m.orphaned else "no", _plain(trig or "—"),
                      "[bold red]needed[/]" if m.needs_action else "none")
    con.print(table)
    if len(models) > max_rows:
        con.print(f"… {len(models) - max_rows} more models in fleet.md and fleet.json.", markup=False)
    for p in report.problems[:max_rows]:
        con.print(_plain(f"problem: {p.entry}: {p.file or ''}{' ' + p.field if p.field else ''}: {p.message}"))
    if len(report.problems) > max_rows:
        con.print(f"… {len(report.problems) - max_rows} more problems in fleet.md.", markup=False)
    trig = ", ".join(f"{k} {v}" for k, v in r.open_triggers.items())
    con.print(_plain(f"{r.current_passing_owned} of {r.active_models} active models have a current passing "
                     f"evaluation and an active owner ({r.share_current_passing_owned:.0%}); {r.orphaned} orphaned; "
                     f"{r.needs_action} need action; open triggers: {trig}; {r.problems} problem(s)."))


@_command("stillhouse drift examples/demo-fleet/models/faq-answer-ranker "
          "--production examples/demo-fleet/models/faq-answer-ranker/monitoring/production.jsonl --now 2026-11-28",
          "stillhouse drift my-model --production prod.jsonl --registry fleet-registry/")
@PROJECT
@click.option("--production", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Production sample (JSONL or Parquet); default: the manifest's monitoring.production_sample.")
@click.option("--registry", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write the record into this registry's entry for the model (default: PROJECT/drift/).")
@click.option("--min-spot-checks", type=click.IntRange(min=1), default=30, show_default=True,
              help="Fewest spot-checks (or labels) that make a window count.")
@NOW
@FORMAT
def drift(project: Path, production: Path | None, registry: Path | None, min_spot_checks: int,
          now: str | None, fmt: str) -> None:
    """Compare a production sample of PROJECT with its eval baseline, window by window.

    Per window: student-teacher agreement on the spot-checked rows (Wilson 95% interval)
    against the report's, accuracy on feedback labels, the slice mix (PSI per slice,
    Jensen-Shannon distance) and input length (PSI). Writes a drift record. Exit 1 when
    the manifest's drift trigger fires, 0 when it does not, 2 on unusable input."""
    from ._drift import compute_drift, registry_entry_for, write_drift_record
    from ._errors import Problem
    from ._manifest import load_project

    click.get_current_context().meta["stillhouse.format"] = fmt
    proj = load_project(project)
    if production is None:
        sample = proj.manifest.monitoring.production_sample
        if not sample:
            raise ManifestError([Problem(str(proj.manifest_file), "monitoring.production_sample",
                                         "a production sample (or --production FILE)", "nothing")])
        production = proj.path(sample)
    record = compute_drift(proj, production, now=_when_option(now), min_spot_checks=min_spot_checks)
    folder = registry_entry_for(registry, proj.manifest.name) / "drift" if registry else proj.dir / "drift"
    path = write_drift_record(record, folder)
    code = EXIT_FAILED if record.fired else EXIT_OK
    if fmt == "json":
        click.echo(record.model_dump_json(indent=2))
        sys.exit(code)
    from rich.table import Table

    con = _console()
    table = Table(title=_plain(f"{record.project}: drift by {record.window_days}-day window ({record.metric})"),
                  title_justify="left")
    for col in ("window", "rows", "spot-checks", "agreement [95%]", "feedback acc.", "slice PSI max",
                "length PSI", "fired"):
        table.add_column(col, no_wrap=col in ("window", "agreement [95%]", "feedback acc."))

    def fmt_est(e: Any) -> str:
        return "—" if e is None else f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}]"

    for w in record.windows:
        table.add_row(f"{w.start:%Y-%m-%d}..{w.end:%Y-%m-%d}", str(w.rows), str(w.spot_checks), fmt_est(w.agreement),
                      fmt_est(w.accuracy), "—" if w.slice_psi_max is None else f"{w.slice_psi_max:.3f}",
                      "—" if w.length_psi is None else f"{w.length_psi:.3f}",
                      "[bold red]yes[/]" if w.fired else ("no" if w.assessable else "[dim]too few[/]"))
    con.print(table)
    base = record.baseline
    con.print(_plain(f"baseline: agreement {fmt_est(base.agreement)}, accuracy {fmt_est(base.accuracy)} "
                     f"(report of {base.report_finished_at}); input lengths vs {base.length_reference}"))
    for w in record.windows:
        for n in w.notes:
            con.print(_plain(f"{w.start:%Y-%m-%d}: {n}"))
    con.print(("[bold red]TRIGGER FIRED[/]: " if record.fired else "[green]no drift trigger[/]: ") , end="")
    con.print(_plain(record.reason))
    click.echo(f"Wrote {path}", err=True)
    sys.exit(code)


@_command('stillhouse retire examples/minimal --reason "replaced by the v2 router" --replacement ticket-router-v2')
@PROJECT
@click.option("--reason", required=True, help="Why the model is retired (recorded; LIFE-002).")
@click.option("--replacement", default=None, help="The model that takes over its traffic, if any.")
@click.option("--on", "on", default=None, metavar="DATE", help="Day of retirement (default: today).")
def retire(project: Path, reason: str, replacement: str | None, on: str | None) -> None:
    """Retire PROJECT: set its lifecycle to `retired` with the day, the reason and the
    replacement, editing only the manifest's `lifecycle` (comments kept), re-validated and
    written atomically."""
    from ._lifecycle import retire_project

    day = _when_option(on).date() if on else None
    proj = retire_project(project, reason, replacement=replacement, on=day)
    lc = proj.manifest.lifecycle
    click.echo(f"Retired {proj.manifest.name} on {lc.retired_on}"
               + (f"; replaced by {lc.replacement}" if lc.replacement else "") + f" ({proj.manifest_file})")


# === end of fleet, drift, retire =========================================================
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


#: Set by commands that leave a large heap behind (the fleet: 10,000 models' objects): the
#: process entry point then exits without tearing it down, as mypy does, once the output is
#: flushed and every file is closed. Only `main()` as the program (reading sys.argv) acts on it.
_FAST_EXIT = False


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `stillhouse` command."""
    collecting = gc.isenabled()  # the fleet command switches the collector off for its outputs
    try:
        cli.main(args=argv, prog_name="stillhouse", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit as exc:
        if not _FAST_EXIT or argv is not None:  # called with arguments: a caller in this process
            raise
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    finally:  # a caller in this process gets its collector back (the program itself has exited above)
        if collecting:
            gc.enable()
