"""`stillhouse drift`: a production sample against the eval baseline, window by window."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .._errors import ManifestError
from ._app import EXIT_FAILED, EXIT_OK, FORMAT, NOW, PROJECT, command, console, json_output, plain, when_option


@command("stillhouse drift examples/demo-fleet/models/faq-answer-ranker "
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
    from .._errors import Problem
    from ..fleet import compute_drift, registry_entry_for, write_drift_record
    from ..project import load_project

    json_output(fmt)
    proj = load_project(project)
    if production is None:
        sample = proj.manifest.monitoring.production_sample
        if not sample:
            raise ManifestError([Problem(str(proj.manifest_file), "monitoring.production_sample",
                                         "a production sample (or --production FILE)", "nothing")])
        production = proj.path(sample)
    record = compute_drift(proj, production, now=when_option(now), min_spot_checks=min_spot_checks)
    folder = registry_entry_for(registry, proj.manifest.name) / "drift" if registry else proj.dir / "drift"
    path = write_drift_record(record, folder)
    code = EXIT_FAILED if record.fired else EXIT_OK
    if fmt == "json":
        click.echo(record.model_dump_json(indent=2))
        sys.exit(code)
    from rich.table import Table

    con = console()
    table = Table(title=plain(f"{record.project}: drift by {record.window_days}-day window ({record.metric})"),
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
    con.print(plain(f"baseline: agreement {fmt_est(base.agreement)}, accuracy {fmt_est(base.accuracy)} "
                     f"(report of {base.report_finished_at}); input lengths vs {base.length_reference}"))
    for w in record.windows:
        for n in w.notes:
            con.print(plain(f"{w.start:%Y-%m-%d}: {n}"))
    con.print(("[bold red]TRIGGER FIRED[/]: " if record.fired else "[green]no drift trigger[/]: ") , end="")
    con.print(plain(record.reason))
    click.echo(f"Wrote {path}", err=True)
    sys.exit(code)
