"""`stillhouse publish`: register a project, its current report and its drift records in a fleet registry."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ._app import FORMAT, PROJECT, command, console, json_output, plain


def _registry_path(ctx: click.Context, param: click.Parameter, value: str) -> Path:
    # An unset variable in CI (`--registry "$REGISTRY"`) arrives as "", which a path would read as here.
    if not value.strip():
        raise click.BadParameter("is empty: name the registry folder (is the variable you passed set?)")
    return Path(value)


@command("stillhouse publish my-model --registry ../fleet-registry",
         "stillhouse publish . --registry $REGISTRY --format json   # in CI, after eval --gate")
@PROJECT
@click.option("--registry", type=click.Path(file_okay=False), required=True, callback=_registry_path,
              help="The registry folder (created with teachers.yaml and people.yaml if it does not exist "
                   "or is empty).")
@click.option("--allow-stale", is_flag=True,
              help="Publish even when the report is not current for the manifest (the fleet will say so).")
@FORMAT
def publish(project: Path, registry: Path, allow_stale: bool, fmt: str) -> None:
    """Write PROJECT's manifest, its latest report and its drift records into
    REGISTRY/models/NAME/, atomically, with `published.json` (when, from which git commit,
    each file's sha256). Refuses (exit 1) a report that is not current for the manifest
    unless --allow-stale, and always one that contradicts its own figures. Prints what
    changed against the copy already registered."""
    from ..fleet import publish as run_publish

    json_output(fmt)
    result = run_publish(project, registry, allow_stale=allow_stale)
    if fmt == "json":
        click.echo(json.dumps({"entry": str(result.entry), "created_registry": result.created_registry,
                               "commit": result.commit, "changes": result.changes, "warnings": result.warnings,
                               "stale": result.stale}, indent=2))
        return
    con = console()
    con.print(plain(f"published {result.entry}" + (f" from commit {result.commit[:12]}" if result.commit else "")))
    for line in result.changes or ["unchanged: the registered copy is the same"]:
        con.print(plain(f"  {line}"))
    for line in result.stale:
        con.print(plain(f"  stale: {line}"))
    for line in result.warnings:
        con.print(plain(f"warning: {line}"))
