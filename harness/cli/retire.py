"""`stillhouse retire`: retire a model, editing only its manifest's `lifecycle`."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import PROJECT, command, when_option


@command('stillhouse retire examples/minimal --reason "replaced by the v2 router" --replacement ticket-router-v2')
@PROJECT
@click.option("--reason", required=True, help="Why the model is retired (recorded; LIFE-002).")
@click.option("--replacement", default=None, help="The model that takes over its traffic, if any.")
@click.option("--on", "on", default=None, metavar="DATE", help="Day of retirement (default: today).")
def retire(project: Path, reason: str, replacement: str | None, on: str | None) -> None:
    """Retire PROJECT: set its lifecycle to `retired` with the day, the reason and the
    replacement, editing only the manifest's `lifecycle` (comments kept), re-validated and
    written atomically."""
    from ..project import retire_project

    when = when_option(on)
    day = when.date() if when is not None else None
    proj = retire_project(project, reason, replacement=replacement, on=day)
    lc = proj.manifest.lifecycle
    click.echo(f"Retired {proj.manifest.name} on {lc.retired_on}"
               + (f"; replaced by {lc.replacement}" if lc.replacement else "") + f" ({proj.manifest_file})")
