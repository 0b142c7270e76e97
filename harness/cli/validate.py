"""`stillhouse validate`: the schema and every automatic requirement, as a table or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ._app import FORMAT, PROJECT, STATUS_STYLE, command, console, json_output, plain


@command("stillhouse validate examples/minimal", "stillhouse validate . --format json | jq .results")
@PROJECT
@FORMAT
@click.option("--catalogue", type=click.Path(path_type=Path, dir_okay=False), default=None, hidden=True)
def validate(project: Path, fmt: str, catalogue: Path | None) -> None:
    """Check PROJECT (a folder or manifest; default: here) against the standards.

    Schema validation first (every problem at once, with file, field path and line), then
    every automatic requirement. Exit 0 when every must-level requirement passes, 1 when
    one fails, 2 when the manifest cannot be used."""
    from ..project import validate as run_validate

    json_output(fmt)
    result = run_validate(project, catalogue_path=catalogue)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
        sys.exit(result.exit_code)
    from rich.table import Table

    con = console()
    m = result.project.manifest
    table = Table(title=plain(f"{m.name} — standards {result.project.declared_version}"), title_justify="left",
                  show_lines=False, expand=False)
    for col in ("requirement", "level", "result", "detail"):
        table.add_column(col, overflow="fold")
    for r in result.results:
        if r.status == "manual":
            continue
        table.add_row(r.id, r.level, f"[{STATUS_STYLE[r.status]}]{r.status}[/]", plain(r.detail))
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
