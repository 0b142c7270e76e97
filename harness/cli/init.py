"""`stillhouse init NAME`: a new project from the starter template."""

from __future__ import annotations

import click

from ._app import command, console, plain


@command("stillhouse init support-intent-router", "cd support-intent-router && stillhouse validate")
@click.argument("name")
def init(name: str) -> None:
    """Create the project NAME in the current folder from the starter template.

    The new manifest has every field, with `<FILL-IN: …>` placeholders for the decisions
    only you can make; `stillhouse validate` lists each one. A GitHub Actions workflow runs
    `validate` and `eval --gate` as the review gate."""
    from ..project import init_project

    path = init_project(name)
    con = console()
    con.print(plain(f"Created {path}/ from the starter template."))
    con.print(plain("Next: fill in the <FILL-IN: …> values, then run: stillhouse validate " + str(path)))
