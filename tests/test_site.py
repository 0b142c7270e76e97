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
import harness.render._fleet
import standards
import stillhouse_site as _site
from harness.render._charts import age_bars, grouped_bars
from harness.render._escape import md_text
from standards.catalogue import CATALOGUE_PATH
from stillhouse_site._reference import link_ids

from .conftest import ROOT
from .fleet_data import IMG_OWNER, SCRIPT_NAME, write_fleet


def _section(markdown: str, heading_anchor: str) -> str:
    """The text from the heading with ``{#anchor}`` to the next heading of any level."""
    start = markdown.index(f"{{#{heading_anchor}")
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
        assert section.startswith(f"{{#{req.id.lower()} data-toc-label=\"{req.id} · ")  # the contents say what it is
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


def _rows(page: str) -> dict[str, str]:
    """YAML path -> its table row, for every row of a reference page."""
    rows = {}
    for line in page.splitlines():
        cell = re.sub(r'^<span id="[a-z0-9_-]+"></span>', "", line.split("|")[1].strip()) if line.startswith("| ") else ""
        if cell.startswith("`"):
            rows[cell.strip("`")] = line
    return rows


def _paths(model: type, prefix: str = "", seen: tuple[type, ...] = ()) -> list[tuple[str, object]]:
    """Every YAML path under ``model`` with its field, as the page must list them (a rule
    that nests rules of its own type is listed once)."""
    import typing

    from pydantic import BaseModel

    out = []
    for name, finfo in model.model_fields.items():
        ann = finfo.annotation
        models = [a for a in [ann, *typing.get_args(ann), *[x for a in typing.get_args(ann)
                                                            for x in typing.get_args(a)]]
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        listed = "list" in str(ann).lower()
        path = f"{prefix}{name}{'[]' if listed and models else ''}"
        out.append((path, finfo))
        models = [m for m in dict.fromkeys(models) if m not in (*seen, model)]
        if len(models) == 1:
            out += _paths(models[0], path + ".", (*seen, model))
    return out


def test_every_manifest_field_has_a_row_by_its_yaml_path() -> None:
    page = _site.manifest_reference_markdown()
    rows = _rows(page)
    assert "ManifestV1" not in page and "SliceRule" not in page  # no class names for headings
    for path, finfo in _paths(standards.Manifest):
        if path.startswith(("teacher", "student")):
            continue  # the kinds table, below
        if "." not in path and path not in rows:  # a top-level mapping: its own section
            assert f"## `{path}`" in page, f"{path} has no section"
            continue
        assert path in rows, f"{path} has no row"
        if finfo.description:
            assert " ".join(finfo.description.split()).replace("|", "\\|").split("(")[0].strip()[:40] in rows[path]
        if finfo.is_required():
            assert "**required**" in rows[path]
    for path in ("owner.handle", "eval_set.fields.input", "slices[].rule.column", "quality_bars[].metric",
                 "distillation.train_set.sha256", "budgets.latency_p95_ms"):
        assert path in rows, path


def test_model_kinds_sit_side_by_side() -> None:
    page = _site.manifest_reference_markdown()
    section = _section(page, "teacher-student")
    header = next(line for line in section.splitlines() if line.startswith("| field |"))
    kinds = ["local", "hub", "endpoint", "recorded", "callable"]
    assert re.sub(r'<span id="[a-z-]+"></span>', "", header).startswith("| field | " + " | ".join(f"`{k}`" for k in kinds))
    # Links written against the schema's class names still land: each kind carries its old anchor.
    assert '<span id="manifest-localmodel"></span>`local`' in header
    rows = _rows(section)
    assert list(rows)[0] == "teacher.kind"  # kind first, before the fields every kind shares
    cells = [c.strip() for c in rows["teacher.base_url"].split("|")[2:7]]
    assert cells == ["—", "—", "**required**", "—", "—"]
    cells = [c.strip() for c in rows["teacher.target"].split("|")[2:7]]
    assert cells == ["—", "—", "—", "—", "**required**"]
    assert "teacher.pricing.usd_per_1k_input_tokens" in rows
    assert page.count("| `teacher.sha256` |") == 1  # once, not once per kind


def test_report_schema_pages_cover_every_field() -> None:
    page = _site.reports_reference_markdown()
    for _title, filename, root, _prefix in _site.REPORT_SCHEMAS:
        assert f"(schemas/{filename})" in page
        for model in _site.walk_models(root):
            for name in model.model_fields:
                # a row (`a.b.name` |) or, for a top-level mapping, its section (`name` {#...)
                assert re.search(rf"[`.]{name}(\[\])?` (\||and|\{{#)", page), f"{model.__name__}.{name}"
    assert "gate.bars[].reason" in _rows(page)


def test_field_types_defaults_and_links_read_well() -> None:
    rows = _rows(_site.manifest_reference_markdown())
    assert "one of `accuracy`, `agreement`, `token_f1`" in rows["quality_bars[].metric"]
    assert "`30`" in rows["quality_bars[].min_examples"] and '`"must"`' in rows["quality_bars[].level"]
    # Requirement IDs in descriptions link to their section.
    assert "[OWN-002](ownership.md#own-002)" in rows["owner.backup"]


def test_requirement_ids_link_wherever_they_appear() -> None:
    from stillhouse_site._reference import link_ids

    pages = {"EVAL-001": "standards/evaluation.md", "OWN-002": "standards/ownership.md"}
    text = "See EVAL-001 and OWN-002, not `EVAL-001` in code nor [EVAL-001](x.md), nor NOPE-001."
    out = link_ids(text, "standards/evaluation.md", pages)
    assert out == ("See [EVAL-001](#eval-001) and [OWN-002](ownership.md#own-002), not `EVAL-001` in code nor "
                   "[EVAL-001](x.md), nor NOPE-001.")
    assert link_ids("EVAL-001", "checklist.md", pages) == "[EVAL-001](standards/evaluation.md#eval-001)"
    index = _site.standards_index_markdown()
    cat = standards.load_catalogue()
    for req in cat.requirements:  # contents read "ID · what it requires", not IDs alone
        assert f"[{req.id}]({req.area}.md#{req.id.lower()}) · " in index


def test_every_linked_schema_file_exists_and_every_schema_is_linked() -> None:
    text = _site.manifest_reference_markdown() + _site.reports_reference_markdown()
    linked = set(re.findall(r"\(schemas/([\w.-]+\.json)\)", text))
    assert linked == {p.name for p in standards.SCHEMA_DIR.glob("*.json")}


def test_changelog_lists_every_version_and_change() -> None:
    page = _site.changelog_markdown()
    for entry in standards.CHANGELOG:
        assert f"## {entry['version']} — {entry['date']}" in page
        for change in entry["changes"]:
            assert link_ids(change, "standards/changelog.md") in page  # IDs become links
    assert set(standards.VERSIONS) == {e["version"] for e in standards.CHANGELOG}


def test_every_cli_command_has_its_help_and_examples_in_the_docs() -> None:
    import click

    from harness.cli import cli

    page = _site.cli_reference_markdown()
    names = [n for n in cli.list_commands(click.Context(cli)) if not cli.commands[n].hidden]
    # In workflow order, both in the summary table and in the sections.
    positions = [page.index(f"## stillhouse {n} {{#stillhouse-{n}}}") for n in names]
    assert positions == sorted(positions) and names[:3] == ["init", "validate", "checklist"]
    for name in names:
        cmd = cli.commands[name]
        section = _section(page, f"stillhouse-{name}")
        assert f"Usage: stillhouse {name}" in section
        for line in (cmd.epilog or "").splitlines()[2:]:
            assert line.strip() in section, f"{name}: example {line!r} missing"
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.hidden:
                row = next((r for r in section.splitlines() if r.startswith(f"| `{param.opts[0]}`")), None)
                assert row is not None, f"{name}: option {param.opts} has no row"
                if param.help:
                    assert " ".join(param.help.split())[:30] in row
    guide = (ROOT / "docs" / "harness" / "index.md").read_text()
    assert "commands.md" in guide


def test_api_reference_is_grouped_with_parameter_tables() -> None:
    page = _site.api_reference_markdown()
    for name in harness.__all__:
        assert f"::: harness.{name}\n" in page
    for name in ("Manifest", "EvalReport", "FleetReport", "load_catalogue", "parse_manifest"):
        assert f"::: standards.{name}\n" in page
    groups = [line for line in page.splitlines() if line.startswith("### ")]
    assert groups[0] == "### Check a project" and "### Errors" in groups
    assert page.index("::: harness.evaluate") < page.index("::: harness.StillhouseError")  # errors last
    section = page[page.index("::: harness.evaluate"):]
    section = section[:section.index(":::", 5)]
    assert "**Parameters**" in section and "| `project_dir` |" in section


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
        # One script only, ours (it follows the site's light/dark toggle); nothing from the registry.
        assert html.count("<script") == 1 and "__palette" in html
        assert "<script>window" not in html and "onerror=" not in html.replace("&quot;", "").split("<body>")[0]
    assert any("&lt;script&gt;window.__stillhouse_pwned=1&lt;/script&gt;" in h for h in files.values())
    # Rendered through Markdown the way the site renders it, no tag survives as a tag.
    import markdown

    rendered = markdown.markdown(md.split("---", 2)[2], extensions=["tables", "attr_list", "md_in_html", "admonition"])
    assert "<script" not in rendered and "<img" not in rendered and "<b>bold" not in rendered
    assert SCRIPT_NAME.replace("<", "&lt;").replace(">", "&gt;") in rendered
    assert IMG_OWNER.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") in rendered or \
        "&lt;img src=x onerror=" in rendered


def _models_table(md: str) -> list[str]:
    block = md[md.index("## Models"):]
    block = block[:block.index("\n## ", 5)]
    return [line for line in block.splitlines() if line.startswith("| ")]


def test_fleet_page_leads_with_what_needs_action_then_every_model(tmp_path: Path) -> None:
    fleet_file = write_fleet(tmp_path, 10, hostile=False)
    site = _site.load_site_fleet(fleet_file)
    md = _site.fleet_markdown(site)
    fleet = standards.FleetReport.model_validate_json(fleet_file.read_bytes())
    # The share that is fine, then "Needs action", before the table of every model.
    share = f"{fleet.rollout.current_passing_owned} of {fleet.rollout.active_models} active models"
    acting = [m for m in fleet.models if m.needs_action]
    assert md.index(share) < md.index(f"## Needs action ({len(acting)})") < md.index("## Models")
    needs = md[md.index("## Needs action"):md.index("## Models")]
    items = [line for line in needs.splitlines() if line.startswith("- ")]
    assert len(items) == len(acting)
    # Sorted by severity: every failing model before any model that only has a fired trigger.
    order = [next(m for m in fleet.models if f"[{m.name}]" in line or f"**{m.name}**" in line) for line in items]
    ranks = [harness.render._fleet.severity(m) for m in order]
    assert ranks == sorted(ranks)
    assert all('<span class="sh-chip fail">FAIL</span>' in line for line, m in zip(items, order) if m.verdict == "fail")
    table = _models_table(md)
    header, rows = table[0], table[2:]
    assert len(rows) == len(fleet.models)
    for col in ("verdict", "needs action", "triggers fired", "evaluation current", "orphaned", "owner", "status"):
        assert col in header
    for m in fleet.models:
        row = next(r for r in rows if f"{m.name}" in r.split("|")[1])
        if m.report_path:
            assert f"(reports/{_site.model_slug(m.name)}.html)" in row
    assert set(_site.fleet_report_files(site)) == {f"fleet/reports/{_site.model_slug(m.name)}.html"
                                                   for m in fleet.models if m.report_path}
    assert md.count('<figure class="sh-model-chart">') == sum(1 for m in fleet.models if m.report_path)
    assert md.count("<svg") == 1 + sum(1 for m in fleet.models if m.report_path)
    assert f"| registered models | {len(fleet.models)} (" in md


def test_cli_fleet_md_and_the_site_page_are_one_renderer(tmp_path: Path) -> None:
    fleet = standards.FleetReport.model_validate_json(write_fleet(tmp_path, 8, hostile=False).read_bytes())
    plain, page = harness.fleet_markdown(fleet), _site.fleet_markdown(_site.load_site_fleet(tmp_path / "fleet.json"))
    assert "<span" not in plain and "<svg" not in plain  # fleet.md stays plain Markdown
    for heading in ("## Needs action", "## Models", "## Rollout", "## What needs doing"):
        assert heading in plain and heading in page
    assert [line.split("|")[1].strip() for line in _models_table(plain)][2:] == \
        [re.sub(r"\[(.*)\]\(.*\)", r"\1", line.split("|")[1].strip()) for line in _models_table(page)][2:]


def test_model_report_pages_warn_when_retired_or_stale_and_lead_back(tmp_path: Path) -> None:
    fleet_file = write_fleet(tmp_path, 6, hostile=False)
    data = json.loads(fleet_file.read_text())
    data["models"][0].update(status="retired", report_age_days=200.0, evaluation_current=True, triggers=[],
                             needs_action=False, verdict="pass")
    fleet_file.write_text(json.dumps(data))
    site = _site.load_site_fleet(fleet_file)
    files = _site.fleet_report_files(site)
    retired = files[f"fleet/reports/{_site.model_slug('model-00000')}.html"]
    assert "is retired" in retired and "200 days old" in retired and 'class="sh-notice warn"' in retired
    assert retired.index("is retired") < retired.index('class="sh-verdict')  # above the verdict
    assert '<a href="../">← Fleet</a>' in retired
    stale = next(m for m in site.fleet.models if not m.evaluation_current and m.report_path and m.status != "retired")
    assert "Stale: this evaluation is not current" in files[f"fleet/reports/{_site.model_slug(stale.name)}.html"]


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


def test_charts_escape_labels_scale_values_and_draw_thresholds() -> None:
    svg = grouped_bars("<t>", ["<script>", "b"], [("acc", [1.0, None]), ("agr", [0.5, 0.25])],
                       css=[["pass", "fail"], ["warn", "measure"]], thresholds=[[0.9, None], [None, 0.3]])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "n/a" in svg
    assert 'width="100%"' in svg and "viewBox" not in svg  # laid out in percentages: fits any width
    plot = 66.0
    assert f'width="{plot:.2f}%"' in svg and f'width="{plot / 2:.2f}%"' in svg
    assert 'class="sh-bar pass"' in svg and 'class="sh-bar warn"' in svg
    assert svg.count('class="sh-thr"') == 2 and f'x1="{0.9 * plot:.2f}%"' in svg
    assert re.search(r'font-size="[0-9]"', svg) is None  # no tiny fixed text: the CSS sets 11.5-13 px
    ages = age_bars("age", [("m1", 10.0), ("<m2>", None), ("m3", 3.0)], limit=5.0, retired=[False, False, True])
    assert "&lt;m2&gt;" in ages and "no report" in ages and 'class="sh-thr"' in ages
    assert 'class="sh-bar warn"' in ages and 'class="sh-bar ref"' in ages  # stale amber, retired grey


def test_failing_sibling_page_renders_its_report_or_says_it_is_missing(tmp_path: Path) -> None:
    assert "Not available yet" in _site.failing_sibling_markdown(tmp_path / "nothing")
    import random

    from .fleet_data import make_report

    report = make_report("<i>sibling</i>", random.Random(1))
    (tmp_path / "p" / "report").mkdir(parents=True)
    (tmp_path / "p" / "report" / "report.json").write_text(report.model_dump_json())
    md = _site.failing_sibling_markdown(tmp_path / "p")
    assert "<i>" not in md and all(md_text(s.name) in md for s in report.slices)
    assert "(reports/failing-sibling.html)" in md


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
