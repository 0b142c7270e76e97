"""`stillhouse record`: run the teacher once over the eval and distillation sets and keep its answers."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import PROJECT, command, console, plain


@command("stillhouse record my-model                      # both sets, into recorded/teacher.jsonl",
         "stillhouse record my-model --write-manifest     # then point the manifest's teacher at it",
         "stillhouse record my-model --set eval --out recorded/eval-answers.jsonl",
         "stillhouse record my-model --ray local          # sharded over a local Ray cluster")
@PROJECT
@click.option("--set", "sets", type=click.Choice(["eval", "distillation", "both"]), default="both", show_default=True,
              help="Which sets the teacher answers: the frozen eval set, the distillation set, or both.")
@click.option("--out", default=None, metavar="PATH",
              help="Where to write the recording, relative to PROJECT (default: recorded/teacher.jsonl).")
@click.option("--write-manifest", is_flag=True,
              help="Replace the manifest's `teacher` with the recording (its family kept; comments elsewhere kept).")
@click.option("--no-cache", is_flag=True, help="Ask the teacher again even for answers already cached.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=32, show_default=True,
              help="Examples per batch for local models and callables.")
@click.option("--ray", "ray_address", metavar="ADDRESS", default=None,
              help="Shard the teacher's runs over a Ray cluster: `local` starts one on this machine for the run; "
                   "any other value is the address of a running cluster (e.g. ray://head:10001, or auto).")
@click.option("--ray-workers", type=click.IntRange(1), default=None, metavar="N",
              help="With --ray: workers (default: one per GPU, else one per CPU of the cluster).")
def record(project: Path, sets: str, out: str | None, write_manifest: bool, no_cache: bool, quiet: bool,
           batch_size: int, ray_address: str | None, ray_workers: int | None) -> None:
    """Run PROJECT's teacher (local, hub, endpoint or callable) once over its eval set and its
    distillation set, and write the answers as a `recorded` teacher: a JSONL file whose
    first line says what answered, over which sets (their hashes) and at what cost (tokens,
    and USD from the manifest's pricing). Its sha256 pins it in the manifest; from then on
    distill and every CI gate read it instead of calling the teacher. Prints the manifest
    block to use; with --write-manifest, writes it."""
    from ..eval import record as run_record

    if ray_workers is not None and ray_address is None:
        raise click.UsageError("--ray-workers needs --ray ADDRESS")
    chosen = ("eval", "distillation") if sets == "both" else (sets,)
    if sets == "both":
        from ..project import load_project

        if getattr(load_project(project).manifest, "distillation", None) is None:
            chosen = ("eval",)
    result = run_record(project, sets=chosen, out=out, write_manifest=write_manifest, use_cache=not no_cache,
                        quiet=quiet, batch_size=batch_size, ray=ray_address, ray_workers=ray_workers)
    con = console()
    if result.cluster is not None:
        con.print(plain(f"ran on {result.cluster}"))
    for s in result.sets:
        tokens = f"; {s.input_tokens:,} input and {s.output_tokens or 0:,} output tokens" if s.input_tokens else ""
        con.print(plain(f"{s.name} set: {s.rows:,} answers ({'from the cache' if s.from_cache else 'asked'}{tokens})"))
    if result.usd is not None:
        con.print(plain(f"cost: {result.usd:.4f} USD at the manifest's prices"))
    con.print(plain(f"wrote {result.path} (sha256 {result.sha256})"))
    if result.manifest_written:
        con.print(plain("the manifest's teacher is now the recording (stillhouse.yaml)"))
    else:
        con.print(plain("To use it, set the manifest's teacher to:"))
        con.print(plain("teacher:\n" + "".join(f"  {k}: {v!r}\n" if k == "source" else f"  {k}: {v}\n"
                                               for k, v in result.spec.items())), end="")
