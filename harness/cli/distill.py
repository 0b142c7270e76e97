"""`stillhouse distill`: train the project's student from its teacher."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import PROJECT, command, console, plain


@command("stillhouse distill examples/worked-example",
          "stillhouse distill examples/generation-mini   # a causal-LM student (task: generation)",
          "stillhouse distill . --force --write-pin   # retrain, then pin the new student in the manifest")
@PROJECT
@click.option("--force", is_flag=True, help="Retrain even when the training record says no input changed.")
@click.option("--write-pin", is_flag=True,
              help="Write the new student's sha256 into the manifest's `student.sha256` (only that value changes).")
def distill(project: Path, force: bool, write_pin: bool) -> None:
    """Train PROJECT's student from its teacher.

    Classification: (1 - alpha) * CE(student, gold) + alpha * T^2 * KL(teacher/T || student/T),
    with the settings of the manifest's `distillation` section; refuses a teacher and student
    whose label sets or tokenizers differ. Generation (`distillation.generation`): a causal LM
    fine-tuned on the teacher's answers (sequence level, any teacher through `stillhouse
    record`) or matched to its next-token distributions (token level, a local teacher with
    the same tokenizer), optionally with LoRA. Saves the student as safetensors and a training
    record (training/record.json). Skips training when the record shows the same inputs
    (training data, teacher pin, settings, trainer code) produced the student on disk."""
    from ..distillation import RECORD_FILE, distill as run_distill

    con = console()
    result = run_distill(project, force=force, write_manifest_pin=write_pin, console=con)
    rec = result.record
    last = rec["epochs"][-1] if rec.get("epochs") else {}
    con.print(plain(f"student {result.student_sha256}  ({rec['student']['parameters']:,} parameters; "
                    f"final loss {last.get('loss', float('nan')):.4f}; record {RECORD_FILE})"))
    if result.pin_written:
        con.print("[green]pinned[/]: wrote the new sha256 into student.sha256 of the manifest.")
    elif not result.pin_matches:
        con.print("[yellow]note[/]: ", end="")
        con.print(plain(f"the manifest pins student.sha256 {result.manifest_pin}, not this student: "
                        "run again with --write-pin, or `stillhouse validate` fails TEACH-003."))
