"""`stillhouse checklist`: the review checklist of a project, in Markdown."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._app import PROJECT, command


@command("stillhouse checklist examples/minimal > review.md")
@PROJECT
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the checklist to this file (atomically) instead of printing it.")
def checklist(project: Path, output: Path | None) -> None:
    """Print the review checklist of PROJECT in Markdown.

    Automatic items are ticked or crossed from `validate`; manual items are the reviewer's
    questions. Exit 0 when the automatic items pass, 1 otherwise."""
    from .._io import atomic_write_text
    from ..project import checklist_markdown, validate as run_validate

    result = run_validate(project)
    text = checklist_markdown(result)
    if output:
        atomic_write_text(output, text)
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text)
    sys.exit(result.exit_code)
