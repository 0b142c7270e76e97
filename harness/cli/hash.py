"""`stillhouse hash`: the sha256 pin of a file or a model folder."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import command, missing


@command("stillhouse hash data/eval.jsonl", "stillhouse hash student/")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def hash(paths: tuple[Path, ...]) -> None:  # noqa: A001 - the verb users type
    """Print the pin of each PATH: the sha256 of a file, or the artifact hash of a model
    folder (every file except hidden ones and README.md, by relative path)."""
    from standards import artifact_sha256

    for p in paths:
        if not p.exists():
            raise missing(p)
        click.echo(f"{artifact_sha256(p)}  {p}")
