"""`stillhouse validate` and `stillhouse checklist`: the requirement checks on one project."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import standards
from standards import RequirementResult, load_catalogue, run_checks

from ._manifest import Project, load_project


@dataclass
class ValidationResult:
    """Every requirement's outcome on one project."""

    project: Project
    results: list[RequirementResult]

    @property
    def failed(self) -> list[RequirementResult]:
        """Must-level requirements that failed."""
        return [r for r in self.results if r.status == "fail" and r.level == "must"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project.manifest.name,
            "file": str(self.project.manifest_file),
            "standards_version": self.project.declared_version,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "results": [r.__dict__ for r in self.results],
        }


def validate(target: Path | str = ".", *, catalogue_path: Path | None = None,
             today: dt.date | None = None) -> ValidationResult:
    """Load a project and run every automatic requirement of its standards version.

    Raises `ManifestError` (exit 2) when the project cannot be loaded at all."""
    from standards.checks import ReportError

    from .._errors import ManifestError, Problem

    project = load_project(target)
    cat = load_catalogue(catalogue_path)
    try:
        results = run_checks(project.check_context(today), cat)
    except ReportError as exc:
        raise ManifestError([Problem(exc.file, exc.field, exc.expected, exc.found,
                                     hint="run `stillhouse eval` to write a new one", requirement="EVAL-005")]) from None
    return ValidationResult(project, results)


_MARK = {"pass": "[x]", "fail": "[ ]", "warn": "[ ]", "skip": "[x]", "manual": "[ ]"}
_WORD = {"pass": "passed", "fail": "**FAILED**", "warn": "warning", "skip": "not applicable", "manual": "reviewer"}


def checklist_markdown(result: ValidationResult, catalogue_path: Path | None = None) -> str:
    """The review checklist of one project: automatic items ticked or crossed from the
    checks, manual items as the reviewer's questions."""
    from ..render import md_text

    cat = load_catalogue(catalogue_path)
    m = result.project.manifest
    by_id = {r.id: r for r in result.results}
    lines = [
        f"# Review checklist: {md_text(m.name)}",
        "",
        f"Standards {result.project.declared_version} · owner {md_text(m.owner.handle)} "
        f"({md_text(m.owner.team)}) · status {m.lifecycle.status.value} · checklist version "
        f"{standards.CURRENT_VERSION}",
        "",
        f"Automatic checks: {sum(r.status == 'pass' for r in result.results)} passed, "
        f"{len(result.failed)} must-level failed, {sum(r.status == 'warn' for r in result.results)} warnings. "
        f"Verdict: {'ready for review' if result.ok else 'not ready: fix the failed items first'}.",
        "",
    ]
    for area in cat.areas:
        reqs = [r for r in cat.in_area(area.id) if r.id in by_id]
        if not reqs:
            continue
        lines += [f"## {area.title}", ""]
        for req in reqs:
            res = by_id[req.id]
            # The catalogue's own words are Markdown (code spans); a check's detail quotes the
            # manifest, so it is escaped, the way a file read as plain text too wants it.
            if res.status == "manual":
                lines.append(f"- [ ] **{req.id}** ({req.level}, reviewer): {_one_line(req.question or req.text)}")
            else:
                lines.append(f"- {_MARK[res.status]} **{req.id}** ({req.level}, {_WORD[res.status]}): "
                             f"{_one_line(req.text)}  \n  {md_text(res.detail)}")
        lines.append("")
    lines += ["---", "", "Reviewer: ______________  Date: ______________  "
              f"Record the approval in the manifest: `approvals: [{{reviewer, date, checklist_version: \"{standards.CURRENT_VERSION}\"}}]`", ""]
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())
