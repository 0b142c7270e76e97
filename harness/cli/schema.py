"""`stillhouse schema`: write the JSON Schemas of every versioned schema."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import command


@command("stillhouse schema", "stillhouse schema --out schemas/")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder to write into (default: the `standards/schemas` folder of this installation).")
def schema(out: Path | None) -> None:
    """Write the JSON Schema of every versioned schema (manifest, reports, registry files).

    Point an editor at a manifest schema with a first line like
    `# yaml-language-server: $schema=path/to/manifest-1.1.schema.json`."""
    import standards

    for p in standards.write_schemas(out or standards.SCHEMA_DIR):
        click.echo(str(p))
