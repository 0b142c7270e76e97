"""`stillhouse fleet`: every registered model's state, the triggers that fired, the rollout figures."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .._errors import InputError
from ._app import EXIT_FAILED, EXIT_OK, FORMAT, NOW, command, console, json_output, plain, when_option


@command("stillhouse fleet examples/demo-fleet",
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
    from .._io import atomic_write_text
    from ..fleet import build_fleet, fleet_markdown, needs_attention

    json_output(fmt)
    report = build_fleet(registry, now=when_option(now), use_cache=not no_cache)
    target = out or registry
    code = EXIT_FAILED if check and needs_attention(report) else EXIT_OK
    text = report.model_dump_json(indent=2) + "\n"
    try:
        atomic_write_text(target / "fleet.json", text)
        atomic_write_text(target / "fleet.md", fleet_markdown(report))
    except OSError as exc:
        raise InputError(f"{target}: cannot write fleet.json and fleet.md ({exc.strerror or exc})") from None
    if fmt == "json":
        click.echo(text, nl=False)
    else:
        _print_fleet(report, rows)
        click.echo(f"Wrote {target / 'fleet.json'} and {target / 'fleet.md'}", err=True)
    sys.exit(code)


#: A handle longer than this ends in "…" in the table, so it cannot squeeze the names and
#: verdicts into folded fragments; fleet.md and fleet.json carry it whole.
OWNER_CHARS = 24


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _print_fleet(report: Any, max_rows: int) -> None:
    from rich.table import Table

    from ..render import ordered

    con = console()
    r = report.rollout
    models = ordered(report.models)  # fleet.md's order: a failing gate first, then orphaned, triggered, stale
    title = f"Fleet{': ' + report.name if report.name else ''} — as of {report.generated_at:%Y-%m-%d %H:%M} UTC"
    table = Table(title=plain(title), title_justify="left")
    for col in ("model", "owner", "status", "age (d)", "current", "verdict", "orphaned", "triggers", "action"):
        table.add_column(col, overflow="fold")
    for m in models[:max_rows]:
        trig = ", ".join(t.code for t in m.triggers)
        table.add_row(plain(m.name), plain(_clip(m.owner or "—", OWNER_CHARS)), plain(m.status),
                      "—" if m.report_age_days is None else f"{m.report_age_days:.0f}",
                      "yes" if m.evaluation_current else "[yellow]no[/]",
                      {"pass": "[green]pass[/]", "fail": "[bold red]fail[/]"}.get(m.verdict, "none"),
                      "[bold red]yes[/]" if m.orphaned else "no", plain(trig or "—"),
                      "[bold red]needed[/]" if m.needs_action else "none")
    con.print(table)
    if len(models) > max_rows:
        con.print(plain(f"… {len(models) - max_rows} more models in fleet.md and fleet.json."))
    for p in report.problems[:max_rows]:
        where = p.file or p.entry  # an entry's files lie in its folder, so the path names the entry too
        con.print(plain(f"problem: {where}{' ' + p.field if p.field else ''}: {p.message}"))
    if len(report.problems) > max_rows:
        con.print(plain(f"… {len(report.problems) - max_rows} more problems in fleet.md."))
    trig = ", ".join(f"{k} {v}" for k, v in r.open_triggers.items())
    con.print(plain(f"{r.current_passing_owned} of {r.active_models} active models have a current passing "
                     f"evaluation and an active owner ({r.share_current_passing_owned:.0%}); {r.orphaned} orphaned; "
                     f"{r.needs_action} need action; open triggers: {trig}; {r.problems} problem(s)."))
