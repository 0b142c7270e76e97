"""Validate a project from Python: the same checks, in the same order, as `stillhouse validate`."""

from pathlib import Path

import harness

result = harness.validate(Path("examples/minimal"))
print(f"{result.project.manifest.name}: exit code {result.exit_code}")
for r in result.results:
    if r.status in ("fail", "warn"):
        print(f"  {r.id} ({r.level}) {r.status}: {r.detail}")

# The review checklist for this project, as `stillhouse checklist` prints it.
Path("review.md").write_text(harness.checklist_markdown(result), encoding="utf-8")
