"""The site's generated pages: generated from the sources, never copied, and escaped."""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

import harness
import standards
import stillhouse_site as _site
from harness.render._charts import age_bars, grouped_bars
from harness.render._escape import md_escape
from standards.catalogue import CATALOGUE_PATH

from .conftest import ROOT
from .fleet_data import IMG_OWNER, SCRIPT_NAME, write_fleet


def _section(markdown: str, heading_anchor: str) -> str:
    """The text from the heading with ``{#anchor}`` to the next heading of any level."""
    start = markdown.index(f"{{#{heading_anchor}}}")
    nxt = re.search(r"^#{1,6} ", markdown[start:], flags=re.M)
    return markdown[start:start + nxt.start()] if nxt else markdown[start:]


# ------------------------------------------------------------------ generated, not copied

def test_a_changed_requirement_text_changes_the_rendered_pages(tmp_path: Path) -> None:
    data = yaml.safe_load(CATALOGUE_PATH.read_text())
    old = next(r for r in data["requirements"] if r["id"] == "EVAL-001")["text"]
    new = "The project declares a frozen eval set, and this sentence exists only in a test."
    next(r for r in data["requirements"] if r["id"] == "EVAL-001")["text"] = new
    changed = tmp_path / "catalogue.yaml"
    changed.write_text(yaml.safe_dump(data), encoding="utf-8")

    before = _site.standards_area_markdown("evaluation")
    after = _site.standards_area_markdown("evaluation", changed)
    assert old.strip() in before and new not in before
    assert new in after and old.strip() not in after
    assert new in _site.review_checklist_markdown(changed)
    assert new in _site.generated_pages(changed)["standards/evaluation.md"]


def test_every_requirement_appears_with_all_its_fields() -> None:
    cat = standards.load_catalogue()
    pages = _site.generated_pages()
    checklist = pages["checklist.md"]
    for req in cat.requirements:
        page = pages[_site.area_page(req.area)]
        section = _section(page, req.id.lower())
        assert section.startswith(f"{{#{req.id.lower()}}}")
        assert req.text.strip() in section
        assert " ".join(req.rationale.split()) in " ".join(section.split())
        assert f"introduced in standards {req.introduced}" in section
        assert f"**{req.level.upper()}**" in section
        if req.check == "manual":
            assert req.question.strip() in section
        else:
            assert standards.CHECKS[req.id].__name__ in section
        assert f"[{req.id}](standards/{req.area}.md#{req.id.lower()})" in checklist
        assert req.id in pages["standards/index.md"]


def test_every_manifest_field_has_a_row_in_its_models_table() -> None:
    page = _site.manifest_reference_markdown()
    models = _site.walk_models(standards.Manifest)
    assert {"ManifestV1_1", "Owner", "EvalSet", "SliceRule", "QualityBar", "Lifecycle", "Distillation",
            "TrainSet", "LocalModel", "EndpointModel", "Pricing"} <= {m.__name__ for m in models}
    for model in models:
        section = _section(page, f"manifest-{model.__name__.lower()}")
        for name, finfo in model.model_fields.items():
            row = next((line for line in section.splitlines() if line.startswith(f"| `{name}` |")), None)
            assert row is not None, f"{model.__name__}.{name} has no row"
            if finfo.description:
                assert " ".join(finfo.description.split()).replace("|", "\\|") in row
            if finfo.is_required():
                assert "**required**" in row


def test_report_schema_pages_cover_every_field() -> None:
    page = _site.reports_reference_markdown()
    for _title, filename, root, prefix in _site.REPORT_SCHEMAS:
        assert f"(schemas/{filename})" in page
        for model in _site.walk_models(root):
            section = _section(page, f"{prefix}-{model.__name__.lower()}")
            for name in model.model_fields:
                assert f"| `{name}` |" in section, f"{model.__name__}.{name}"


def test_field_types_defaults_and_links_read_well() -> None:
    section = _section(_site.manifest_reference_markdown(), "manifest-qualitybar")
    row = {line.split("|")[1].strip(): line for line in section.splitlines() if line.startswith("| `")}
    assert "one of `accuracy`, `agreement`, `token_f1`" in row["`metric`"]
    assert "`30`" in row["`min_examples`"] and "`\"must\"`" in row["`level`"]
    top = _section(_site.manifest_reference_markdown(), "manifest-manifestv1_1")
    assert "[Owner](#manifest-owner)" in top
    assert "[LocalModel](#manifest-localmodel) or [HubModel](#manifest-hubmodel)" in top


def test_every_linked_schema_file_exists_and_every_schema_is_linked() -> None:
    text = _site.manifest_reference_markdown() + _site.reports_reference_markdown()
    linked = set(re.findall(r"\(schemas/([\w.-]+\.json)\)", text))
    assert linked == {p.name for p in standards.SCHEMA_DIR.glob("*.json")}


def test_changelog_lists_every_version_and_change() -> None:
    page = _site.changelog_markdown()
    for entry in standards.CHANGELOG:
        assert f"## {entry['version']} — {entry['date']}" in page
        for change in entry["changes"]:
            assert change in page
    assert set(standards.VERSIONS) == {e["version"] for e in standards.CHANGELOG}


def test_every_cli_command_has_its_help_and_examples_in_the_docs() -> None:
    from harness.cli import cli

    page = _site.cli_reference_markdown()
    for name, cmd in cli.commands.items():
        if cmd.hidden:
            continue
        section = _section(page, f"stillhouse-{name}")
        assert f"Usage: stillhouse {name}" in section
        for line in (cmd.epilog or "").splitlines()[2:]:
            assert line.strip() in section, f"{name}: example {line!r} missing"
        for param in cmd.params:
            if isinstance(param, __import__("click").Option) and not param.hidden:
                assert param.opts[-1] in section, f"{name}: option {param.opts} missing"
    guide = (ROOT / "docs" / "harness" / "index.md").read_text()
    assert "commands.md" in guide


def test_api_reference_lists_every_public_callable() -> None:
    page = _site.api_reference_markdown()
    for name in harness.__all__:
        assert f"::: harness.{name}\n" in page
    for name in ("Manifest", "EvalReport", "FleetReport", "load_catalogue", "parse_manifest"):
        assert f"::: standards.{name}\n" in page


def _nav_paths(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [p for item in nav for p in _nav_paths(item)]
    if isinstance(nav, dict):
        return [p for v in nav.values() for p in _nav_paths(v)]
    return []


def test_nav_lists_every_generated_page_and_every_area() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    nav = set(_nav_paths(config["nav"]))
    generated = set(_site.generated_pages())
    assert generated <= nav, generated - nav
    assert {_site.area_page(a.id) for a in standards.load_catalogue().areas} <= nav
    hand_written = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")
                    if "snippets" not in p.parts}
    assert hand_written <= nav, hand_written - nav
    assert {"fleet/index.md", "example/worked_example.ipynb", "example/failing-sibling.md"} <= nav
    assert config["strict"] is True
    jupyter = next(p["mkdocs-jupyter"] for p in config["plugins"] if isinstance(p, dict) and "mkdocs-jupyter" in p)
    assert jupyter["allow_errors"] is False


# ------------------------------------------------------------------------------ the fleet

def test_fleet_page_escapes_hostile_registry_entries(tmp_path: Path) -> None:
    site = _site.load_site_fleet(write_fleet(tmp_path, 6))
    md = _site.fleet_markdown(site)
    assert "<script" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script&gt;" in md and "&lt;img src=x onerror=" in md
    files = _site.fleet_report_files(site)
    for html in files.values():
        assert "<script" not in html
    assert any("&lt;script&gt;window.__stillhouse_pwned=1&lt;/script&gt;" in h for h in files.values())
    # Rendered through Markdown the way the site renders it, no tag survives as a tag.
    import markdown

    rendered = markdown.markdown(md.split("---", 2)[2], extensions=["tables", "attr_list", "md_in_html", "admonition"])
    assert "<script" not in rendered and "<img" not in rendered and "<b>bold" not in rendered
    assert SCRIPT_NAME.replace("<", "&lt;").replace(">", "&gt;") in rendered
    assert IMG_OWNER.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") in rendered or \
        "&lt;img src=x onerror=" in rendered


def test_fleet_page_has_one_row_per_model_charts_and_report_links(tmp_path: Path) -> None:
    fleet_file = write_fleet(tmp_path, 10, hostile=False)
    site = _site.load_site_fleet(fleet_file)
    md = _site.fleet_markdown(site)
    fleet = standards.FleetReport.model_validate_json(fleet_file.read_bytes())
    table = md[md.index("## Models"):].split("\n\n")[1].splitlines()
    header, rows = table[0], table[2:]
    assert len(rows) == len(fleet.models)
    for col in ("owner", "status", "evaluation current", "verdict", "triggers fired", "orphaned"):
        assert col in header
    for m, row in zip(fleet.models, rows):
        assert m.name in row
        if m.report_path:
            assert f"(reports/{_site.model_slug(m.name)}.html)" in row
    assert set(_site.fleet_report_files(site)) == {f"fleet/reports/{_site.model_slug(m.name)}.html"
                                                   for m in fleet.models if m.report_path}
    assert md.count('<figure class="sh-model-chart">') == sum(1 for m in fleet.models if m.report_path)
    assert md.count("<svg") == 1 + sum(1 for m in fleet.models if m.report_path)
    assert f"| models registered | {len(fleet.models)} |" in md


def test_a_broken_report_is_a_note_and_hides_nothing(tmp_path: Path) -> None:
    fleet_file = write_fleet(tmp_path, 4, hostile=False)
    (tmp_path / "reports" / "00001" / "report.json").write_text("{not json", encoding="utf-8")
    site = _site.load_site_fleet(fleet_file)
    assert "model-00001" not in site.reports and "model-00000" in site.reports
    md = _site.fleet_markdown(site)
    assert "The report of model-00001 at reports/00001/report.json could not be read" in md
    assert all(f"model-0000{i}" in md for i in range(4))


def test_without_a_registry_the_page_says_so(tmp_path: Path) -> None:
    missing = _site.fleet_markdown(_site.load_site_fleet(tmp_path / "nowhere"))
    assert "not available yet" in missing and "| model |" not in missing


def test_model_slugs_are_safe_and_distinct() -> None:
    names = [SCRIPT_NAME, "../../etc/passwd", "a b", "a-b", "A-B", "", "x" * 300]
    slugs = [_site.model_slug(n) for n in names]
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"[a-z0-9-]+", s) for s in slugs)


def test_charts_escape_labels_and_scale_values() -> None:
    svg = grouped_bars("<t>", ["<script>", "b"], [("acc", [1.0, None]), ("agr", [0.5, 0.25])], width=360)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "n/a" in svg
    plot_w = 360 - 110 - 40
    assert f'width="{plot_w:.1f}"' in svg and f'width="{plot_w / 2:.1f}"' in svg
    ages = age_bars("age", [("m1", 10.0), ("<m2>", None)], limit=5.0)
    assert "&lt;m2&gt;" in ages and "no report" in ages and "stroke-dasharray" in ages


def test_failing_sibling_page_renders_its_report_or_says_it_is_missing(tmp_path: Path) -> None:
    assert "Not available yet" in _site.failing_sibling_markdown(tmp_path / "nothing")
    import random

    from .fleet_data import make_report

    report = make_report("<i>sibling</i>", random.Random(1))
    (tmp_path / "p" / "report").mkdir(parents=True)
    (tmp_path / "p" / "report" / "report.json").write_text(report.model_dump_json())
    md = _site.failing_sibling_markdown(tmp_path / "p")
    assert "<i>" not in md and all(md_escape(s.name) in md for s in report.slices)


# ------------------------------------------------------------------ executed-notebook cache

NOTEBOOK_CODE = """
import json, pathlib
counter = pathlib.Path({counter!r})
counter.write_text(str(int(counter.read_text()) + 1) if counter.exists() else "1")
rows = [json.loads(l) for l in open("data.jsonl")]
print("rows:", len(rows))
"""


def _notebook(folder: Path, counter: Path, code: str = NOTEBOOK_CODE) -> Path:
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.jsonl").write_text('{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code.format(counter=str(counter)))])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "example.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_notebook_runs_once_and_reruns_when_an_input_changes(tmp_path: Path) -> None:
    """Real kernels: a rebuild with unchanged inputs reuses the executed copy; a change to
    the example's data or to the harness/standards source executes it again."""
    root = tmp_path / "repo"
    for pkg in ("harness", "standards"):
        (root / pkg).mkdir(parents=True)
        (root / pkg / "x.py").write_text("A = 1\n")
    counter = tmp_path / "runs.txt"
    nb = _notebook(root / "examples" / "ex", counter)
    cache = tmp_path / "cache"

    first, hit = _site.executed_notebook(nb, root=root, cache_dir=cache)
    assert not hit and counter.read_text() == "1"
    out = json.loads(first.read_text())["cells"][0]["outputs"]
    assert out and "rows: 2" in json.dumps(out)

    again, hit = _site.executed_notebook(nb, root=root, cache_dir=cache)
    assert hit and again == first and counter.read_text() == "1"

    (root / "examples" / "ex" / "report").mkdir()  # what a run writes is not an input
    (root / "examples" / "ex" / "report" / "r.json").write_text("{}")
    assert _site.executed_notebook(nb, root=root, cache_dir=cache)[1]

    (root / "examples" / "ex" / "data.jsonl").write_text('{"a": 1}\n')
    third, hit = _site.executed_notebook(nb, root=root, cache_dir=cache)
    assert not hit and counter.read_text() == "2" and "rows: 1" in third.read_text()
    assert not first.exists(), "the stale entry is removed"

    (root / "harness" / "x.py").write_text("A = 2\n")
    assert not _site.executed_notebook(nb, root=root, cache_dir=cache)[1]
    assert counter.read_text() == "3"
    assert len(list(cache.glob("*.ipynb"))) == 1


@pytest.mark.slow
def test_a_failing_cell_stops_the_build_and_caches_nothing(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    nb = _notebook(root / "ex", tmp_path / "runs.txt", code="raise ValueError('cell four is broken')")
    with pytest.raises(_site.NotebookFailed, match="cell four is broken"):
        _site.executed_notebook(nb, root=root, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*.ipynb")) if (tmp_path / "cache").exists() else True


def test_declared_inputs_replace_the_folder_walk(tmp_path: Path) -> None:
    import nbformat

    folder = tmp_path / "ex"
    folder.mkdir()
    (folder / "a.csv").write_text("1")
    (folder / "b.bin").write_text("2")
    nb = nbformat.v4.new_notebook()
    nb.metadata["stillhouse"] = {"inputs": ["*.csv"]}
    nbformat.write(nb, folder / "n.ipynb")
    names = {p.name for p in _site.notebook_inputs(folder / "n.ipynb", tmp_path)}
    assert names == {"n.ipynb", "a.csv"}
