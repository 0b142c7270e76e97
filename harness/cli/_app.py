"""The `stillhouse` command group and what every command shares: the exit codes, error
printing without a traceback, the console, shared options and the worked example in each
command's help.

Exit codes mean one thing everywhere: 0 ok, 1 a standard or gate failed, 2 unusable
input. Every error a user can cause is printed without a traceback. Nothing heavy is
imported here: a command imports what it runs inside its own function.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .._errors import ManifestError, Problem, StillhouseError

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
#: Ctrl-C (SIGINT), as shells report a process it stopped: never 1, which means a failed gate.
EXIT_INTERRUPTED = 130

STATUS_STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "skip": "dim", "manual": "cyan"}

#: The commands in the order a project meets them; `--help` and the docs list them so.
WORKFLOW = ("init", "validate", "checklist", "record", "distill", "eval", "publish", "fleet", "drift", "retire",
            "hash", "schema")


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    # A fixed width off a terminal keeps piped output and CI logs readable.
    return Console(stderr=stderr, width=None if (sys.stderr if stderr else sys.stdout).isatty() else 120,
                   highlight=False)


def plain(text: str) -> Any:
    """Text rich prints as it is: no markup read into a manifest's strings or a path, and
    control characters shown as symbols (`visible`), so no escape sequence reaches the terminal."""
    from rich.text import Text

    from ..render import visible

    return Text(visible(text))


def _print_error(err: StillhouseError, fmt: str = "text") -> None:
    if fmt == "json":
        problems = [p.to_dict() for p in err.problems] if isinstance(err, ManifestError) else [
            {"file": getattr(err, "file", None), "field": getattr(err, "field", None), "message": str(err)}]
        click.echo(json.dumps({"ok": False, "exit_code": err.exit_code, "errors": problems}, indent=2))
        return
    con = console(stderr=True)
    if isinstance(err, ManifestError):
        n = len(err.problems)
        con.print("[bold red]error:[/] ", end="", markup=True)
        con.print(plain(f"{n} problem{'s' if n != 1 else ''} in {err.file}"))
        for p in err.problems:
            con.print(plain("  " + str(p)), soft_wrap=True)
    else:
        con.print("[bold red]error:[/] ", end="", markup=True)
        con.print(plain(str(err)), soft_wrap=True)


class _Group(click.Group):
    """Runs a command and turns every `StillhouseError` into its exit code, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StillhouseError as err:
            _print_error(err, ctx.meta.get("stillhouse.format", "text"))
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            # not click's "Aborted!" with exit 1, which CI would read as a failed gate
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)

    def list_commands(self, ctx: click.Context) -> list[str]:
        order = {name: i for i, name in enumerate(WORKFLOW)}
        return sorted(self.commands, key=lambda n: (order.get(n, len(order)), n))

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.epilog:
            formatter.write_paragraph()
            for line in self.epilog.splitlines():
                formatter.write_text(line) if line.strip() else formatter.write_paragraph()


def _examples(*lines: str) -> str:
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog="Exit codes: 0 ok, 1 a standard or gate failed, 2 unusable input, 130 stopped by Ctrl-C.")
@click.version_option(package_name="stillhouse", prog_name="stillhouse")
def cli() -> None:
    """Stillhouse: the paved road for model distillation.

    Validate a project against the standards, evaluate teacher and student into the
    standard report, gate on the quality bars, distil, and watch the fleet."""


def command(*example_lines: str, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """Register a `stillhouse` command; its help ends with the worked examples given."""
    return cli.command(epilog=_examples(*example_lines), **kwargs)


def json_output(fmt: str) -> None:
    """Errors of this command print as JSON when its output is JSON."""
    click.get_current_context().meta["stillhouse.format"] = fmt


PROJECT = click.argument("project", type=click.Path(path_type=Path), default=".", required=False)
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True, help="Output format: a table for people, JSON for machines.")


def when_option(value: str | None) -> dt.datetime | None:
    """`--now`/`--on`: a day (`2026-11-28`, 00:00 UTC) or an ISO time."""
    from .._time import parse_time

    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise click.BadParameter(f"expected a date or ISO time such as 2026-11-28, found {value!r}") from None


NOW = click.option("--now", "now", default=None, metavar="TIME",
                   help="Compute as of this day or ISO time instead of now (reproducible reports).")


def missing(p: Path) -> ManifestError:
    return ManifestError([Problem(file=str(p), field="", expected="a file or folder", found="nothing at that path")])


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `stillhouse` command."""
    try:
        cli.main(args=argv, prog_name="stillhouse", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - Ctrl-C before a command started
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
