"""MkDocs hook: asks `harness` for the generated pages and adds them to the build.

Deliberately thin: every page comes from a plain function in `stillhouse_site` that
returns Markdown (or HTML); this file only calls them and hands the results to MkDocs,
so the site engine can be replaced without touching what the pages say.

Settings live under `extra.stillhouse` in `mkdocs.yml`; each can be overridden by an
environment variable `STILLHOUSE_SITE_<NAME>` (the tests and benchmarks point `fleet` at
a generated `fleet.json`).
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
    try:
        executed, hit = _site.executed_notebook(notebook, root=ROOT, cache_dir=ROOT / ".cache" / "stillhouse-site")
    except _site.NotebookFailed as exc:
        raise PluginError(str(exc)) from None
    log.info("worked example: %s (%s)", executed.name, "reused" if hit else "executed")
    # mkdocs-jupyter reads the notebook from a real source folder, so it is staged in one.
    staging = ROOT / ".cache" / "stillhouse-site" / "docs"
    _site.stage_file(executed, staging, "example/worked_example.ipynb")
    files.append(File("example/worked_example.ipynb", str(staging), config.site_dir, config.use_directory_urls))
    files.append(File.generated(config, "example/failing-sibling.md",
                                content=_site.failing_sibling_markdown(_setting(config, "failing_sibling"))))
    return files
