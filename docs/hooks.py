"""MkDocs hook: asks `stillhouse_site` for the generated pages and adds them to the build.

Deliberately thin: every page comes from a plain function in `stillhouse_site` that
returns Markdown (or HTML); this file only calls them and hands the results to MkDocs,
so the site engine can be replaced without touching what the pages say.

Settings live under `extra.stillhouse` in `mkdocs.yml`; each can be overridden by an
environment variable `STILLHOUSE_SITE_<NAME>` (the tests and benchmarks point `fleet` at
a generated `fleet.json`).

Development switch: `STILLHOUSE_SITE_REUSE_NOTEBOOK=1` reuses the most recent executed copy
of the worked example notebook whatever its inputs (an edit to `harness/` or `standards/`
otherwise re-executes it: minutes), and logs a warning that the page may be stale. For
iterating on how pages look only; `make`, the tests and CI never set it.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # this checkout's packages, whatever is installed
    sys.path.insert(0, str(ROOT))

import stillhouse_site as _site  # noqa: E402

log = logging.getLogger("mkdocs.hooks.stillhouse")


def _setting(config, name: str) -> Path:
    value = os.environ.get(f"STILLHOUSE_SITE_{name.upper()}") or config.extra.get("stillhouse", {}).get(name)
    if not value:
        raise PluginError(f"mkdocs.yml: extra.stillhouse.{name} is not set")
    return ROOT / value


@event_priority(100)  # before mkdocs-jupyter turns .ipynb files into pages
def on_files(files: Files, config) -> Files:
    # What each getting-started and office-hours snippet prints, run now (or reused while
    # nothing they depend on changed) and staged where pymdownx.snippets reads `*.out`.
    try:
        outputs, hit = _site.snippet_outputs(ROOT, ROOT / ".cache" / "stillhouse-site")
    except _site.SnippetFailed as exc:
        raise PluginError(str(exc)) from None
    _site.stage_snippet_outputs(outputs, ROOT / _site.OUTPUT_STAGING)
    log.info("snippet outputs: %s (%s)", outputs.name, "reused" if hit else "run")
    for uri, markdown in _site.generated_pages().items():
        files.append(File.generated(config, uri, content=markdown))
    for schema in sorted((ROOT / "standards" / "schemas").glob("*.json")):
        files.append(File.generated(config, f"{_site.SCHEMA_SITE_DIR}/{schema.name}", abs_src_path=str(schema)))

    fleet = _site.load_site_fleet(_setting(config, "fleet"))
    files.append(File.generated(config, "fleet/index.md", content=_site.fleet_markdown(fleet)))
    for uri, html in _site.fleet_report_files(fleet).items():
        files.append(File.generated(config, uri, content=html))

    # The notebook runs first: it also distils and evaluates the failing sibling, whose
    # report the next page renders.
    notebook = _setting(config, "worked_example")
    reuse_any = os.environ.get("STILLHOUSE_SITE_REUSE_NOTEBOOK") == "1"
    try:
        executed, hit = _site.executed_notebook(notebook, root=ROOT, cache_dir=ROOT / ".cache" / "stillhouse-site",
                                                reuse_any=reuse_any)
    except _site.NotebookFailed as exc:
        raise PluginError(str(exc)) from None
    if reuse_any:
        # A warning would fail `--strict`: this is a development switch, so say it loudly at info.
        log.info("STILLHOUSE_SITE_REUSE_NOTEBOOK=1: the worked example page may be stale (%s)", executed.name)
    log.info("worked example: %s (%s)", executed.name, "reused" if hit else "executed")
    sibling = _setting(config, "failing_sibling")
    reports = _site.example_report_files(notebook.parent, sibling)
    for uri, html in reports.items():
        files.append(File.generated(config, uri, content=html))
    files.append(File.generated(config, _site.NOTEBOOK_DOWNLOAD, abs_src_path=str(executed)))
    # mkdocs-jupyter reads the notebook from a real source folder, so it is staged in one,
    # with a first cell that links the HTML report and the download.
    staging = ROOT / ".cache" / "stillhouse-site" / "docs"
    cell = _site.notebook_links_cell(_site.EXAMPLE_REPORTS["worked_example"] in reports)
    _site.stage_notebook(executed, staging, "example/worked_example.ipynb", cell)
    files.append(File("example/worked_example.ipynb", str(staging), config.site_dir, config.use_directory_urls))
    files.append(File.generated(config, "example/failing-sibling.md", content=_site.failing_sibling_markdown(sibling)))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Pages that opt in (`stillhouse_settings: true` in their front matter) read settings
    from `extra.stillhouse` in mkdocs.yml as `{{ name }}`; a missing setting fails the build."""
    if not page.meta.get("stillhouse_settings"):
        return markdown
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701 - Markdown, our settings
    try:
        return env.from_string(markdown).render(**config.extra.get("stillhouse", {}))
    except jinja2.TemplateError as exc:
        raise PluginError(f"{page.file.src_path}: {exc} (settings live under extra.stillhouse in mkdocs.yml)") from None
