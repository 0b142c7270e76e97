"""The built site in a real browser: headless Chromium (Debian's `chromium`, installed by
`make chromium`) driven by Playwright, over a local HTTP server on 127.0.0.1.

Every page and every report is opened at a phone's width (390 px) and a desktop's
(1400 px): none may scroll sideways or log a console error, and a failing report must
name its failing slices on its first screen."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT, SITE_ARTIFACTS, BuiltSite
from .fleet_data import SCRIPT_NAME

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
WIDTHS = {"phone": (390, 844), "desktop": (1400, 900)}

pytestmark = [
    pytest.mark.slow,
    # Only a missing browser skips, and it says how to get one; CI installs it (`make test`).
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium: run `make chromium` (Debian package)"),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture(scope="module")
def server(built_site: BuiltSite) -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(_QuietHandler, directory=str(built_site.dir)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _page(browser, width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.stillhouse_errors = errors  # type: ignore[attr-defined]
    return page


@pytest.fixture(scope="module")
def browser_page(browser):
    page = _page(browser)
    try:
        yield page
    finally:
        page.close()


def _shot(page, name: str) -> None:
    SITE_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SITE_ARTIFACTS / f"{name}.png"), full_page=False)


def _site_pages(site: Path) -> list[str]:
    """Every page of the built site, reports included, as paths relative to its root."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html")


@pytest.fixture(scope="module")
def standalone_report(built_site: BuiltSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The failing sibling's report as `stillhouse eval` writes it (no site links, no script),
    served from the site's folder so that it is checked like every other page."""
    from harness import report_html
    from harness.render import load_report

    report = load_report(ROOT / "examples" / "worked-example-no-typos" / "report" / "report.json")
    path = built_site.dir / "standalone" / "failing-sibling-report.html"
    path.parent.mkdir(exist_ok=True)
    path.write_text(report_html(report), encoding="utf-8")
    return path


def test_every_page_and_report_fits_a_phone_and_a_desktop(browser, server: str, built_site: BuiltSite,
                                                           standalone_report: Path) -> None:
    pages = _site_pages(built_site.dir)
    assert standalone_report.relative_to(built_site.dir).as_posix() in pages
    assert any(p.startswith("fleet/reports/") for p in pages)
    assert {"example/reports/worked-example.html", "example/reports/failing-sibling.html"} <= set(pages)
    if SITE_ARTIFACTS.exists():
        shutil.rmtree(SITE_ARTIFACTS)
    problems: list[str] = []
    checked = 0
    for label, (width, height) in WIDTHS.items():
        page = _page(browser, width, height)
        for rel in pages:
            page.stillhouse_errors.clear()
            response = page.goto(server + rel, wait_until="load")
            assert response is not None and response.status == 200, rel
            page.wait_for_load_state("networkidle")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(f"{label}: {rel} is {scroll} px wide (viewport {width})")
            problems += [f"{label}: {rel}: {e}" for e in page.stillhouse_errors]
            if rel.endswith("index.html") and rel.count("/") <= 2:
                _shot(page, f"{label}_{rel.removesuffix('index.html').strip('/').replace('/', '_') or 'home'}")
            checked += 1
        page.close()
    print(f"checked {len(pages)} pages at {len(WIDTHS)} widths ({checked} loads): {len(problems)} problems")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("rel", ["example/reports/failing-sibling.html", "standalone/failing-sibling-report.html"])
def test_a_failing_report_names_its_failing_slices_on_its_first_screen(browser, server: str, rel: str,
                                                                         standalone_report: Path) -> None:
    from harness.render import load_report
    from harness.render._verdict import verdict_of

    report = load_report(ROOT / "examples" / "worked-example-no-typos" / "report" / "report.json")
    failing = verdict_of(report).failing_slices
    assert report.gate.verdict == "fail" and "typos" in failing
    for label, (width, height) in WIDTHS.items():
        page = _page(browser, width, height)
        page.goto(server + rel, wait_until="load")
        # The verdict chip and the line naming the failing slices, within the first screen.
        box = page.evaluate("""() => {
            const line = [...document.querySelectorAll('.sh-verdict p')].find(p => p.textContent.startsWith('Failing slices:'));
            const chip = document.querySelector('.sh-verdict .sh-chip');
            return line && chip ? {bottom: line.getBoundingClientRect().bottom, text: line.textContent,
                                   chip: chip.textContent, chipBottom: chip.getBoundingClientRect().bottom} : null; }""")
        assert box is not None, f"{rel} at {width} px: no verdict block"
        assert box["chip"] == "FAIL" and box["chipBottom"] <= height
        assert box["bottom"] <= height, f"{rel} at {width} px: the failing slices end at {box['bottom']} px"
        assert all(s in box["text"] for s in failing), box["text"]
        # The worst failure is listed first, leading with the clause that failed.
        first = page.locator(".sh-verdict li").first.inner_text()
        assert first.startswith("FAIL typos · accuracy") and "student − teacher" in first, first
        _shot(page, f"{label}_failing_report_first_screen_{rel.split('/')[0]}")
        page.close()


def test_every_nav_page_renders(browser_page, server: str) -> None:
    page = browser_page
    page.goto(server, wait_until="networkidle")
    hrefs = page.eval_on_selector_all("nav.md-nav--primary a.md-nav__link[href]", "els => els.map(e => e.href)")
    urls = sorted({h.split("#")[0] for h in hrefs if h.startswith(server)})
    # The nav's sections, as mkdocs.yml declares them; benchmark logs only under Internals.
    for expected in ("getting-started/", "standards/evaluation/", "checklist/", "example/worked_example/",
                     "fleet/", "harness/commands/", "playbook/", "office-hours/", "reference/api/",
                     "internals/", "internals/performance/"):
        assert server + expected in urls, f"{expected} missing from the navigation: {urls}"
    assert not any(u.endswith(("harness/performance/", "fleet/performance/")) for u in urls)
    tabs = page.locator(".md-tabs__link").all_inner_texts()
    assert [t.strip() for t in tabs][:3] == ["Home", "Getting started", "Standards"] and "Internals" in [
        t.strip() for t in tabs]
    for url in urls:
        response = page.goto(url, wait_until="networkidle")
        assert response is not None and response.status == 200, url
        assert page.locator("article h1").count() >= 1, f"{url}: no heading rendered"


def test_home_page_next_step_is_above_the_fold_and_there_is_a_scheme_toggle(browser, server: str) -> None:
    for label, (width, height) in WIDTHS.items():
        page = _page(browser, width, height)
        page.goto(server, wait_until="networkidle")
        first_card = page.locator(".grid.cards li").first
        assert first_card.count() == 1
        link = first_card.locator("a", has_text="Getting started")
        assert link.bounding_box()["y"] + link.bounding_box()["height"] <= height, f"{label}: below the fold"
        page.close()
    page = _page(browser, 1400, 900)
    page.goto(server + "fleet/", wait_until="networkidle")
    toggle = page.locator("form[data-md-component=palette] label:visible").first
    before = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    toggle.click()
    toggle = page.locator("form[data-md-component=palette] label:visible").first
    toggle.click()
    after = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    assert {before, after} == {"default", "slate"}, (before, after)
    # A report published with the site follows the choice.
    link = page.locator("article table a[href^='reports/']").first
    link.click()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.dataset.scheme") == after
    assert page.locator("a", has_text="Fleet").first.get_attribute("href") == "../"
    assert page.stillhouse_errors == []
    page.close()


def test_the_manifest_page_shows_every_field_description_on_a_phone(browser, server: str) -> None:
    """The field tables scrolled inside their boxes at 390 px, the description column off the
    screen; their rows stack there instead, each description across the screen's width."""
    width, height = WIDTHS["phone"]
    page = _page(browser, width, height)
    page.goto(server + "standards/manifest/", wait_until="networkidle")
    boxes = page.locator(".sh-fields td:nth-child(4)").evaluate_all(
        "cells => cells.map(c => { const r = c.getBoundingClientRect(); return [r.left, r.right]; })")
    assert len(boxes) > 100
    off = [(left, right) for left, right in boxes if left < 0 or right > width or right - left < width / 2]
    assert off == [], off[:3]
    assert page.stillhouse_errors == []
    page.close()


def test_fleet_table_renders_and_hostile_entries_stay_text(browser_page, server: str, built_site: BuiltSite) -> None:
    import json

    page = browser_page
    page.stillhouse_errors.clear()
    page.goto(server + "fleet/", wait_until="networkidle")
    fleet = json.loads(built_site.fleet_file.read_text())
    # What needs action comes first, before the table of every model.
    headings = page.locator("article h2").all_inner_texts()
    assert headings[0].startswith("Needs action") and headings[1].startswith("Models"), headings
    table = page.locator("article table", has=page.locator("th", has_text="evaluation current"))
    assert table.count() == 1
    assert table.locator("tbody tr").count() == len(fleet["models"])
    # The <script> name is shown as text, and neither it nor the <img onerror> owner ran.
    assert table.get_by_text(SCRIPT_NAME, exact=True).count() == 1
    assert page.evaluate("window.__stillhouse_pwned") is None
    assert page.locator("article script").count() == 0
    assert page.locator("article img").count() == 0
    # Verdicts as coloured chips: FAIL red.
    chip = page.locator("article .sh-chip.fail").first
    assert chip.inner_text() == "FAIL"
    assert chip.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(209, 36, 47)"
    # Charts: the report-age chart and one per-slice chart per model with a report; text legible.
    with_reports = sum(1 for m in fleet["models"] if m["report_path"])
    assert page.locator("article figure.sh-model-chart svg").count() == with_reports
    assert page.locator("article .sh-charts svg").count() == 1
    sizes = page.eval_on_selector_all("article svg text", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert sizes and min(sizes) >= 11, min(sizes)
    page.locator("article table").nth(0).scroll_into_view_if_needed()
    _shot(page, "check_fleet_table")
    # Each model with a report links to its rendered report, which opens and leads back.
    link = table.locator("a", has_text=SCRIPT_NAME)
    link.click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__stillhouse_pwned") is None
    assert SCRIPT_NAME in page.locator("h1").inner_text()
    page.locator("a", has_text="Fleet").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url == server + "fleet/"
    assert page.stillhouse_errors == []


def test_worked_example_shows_its_outputs_its_report_and_a_download(browser_page, server: str) -> None:
    page = browser_page
    page.goto(server + "example/worked_example/", wait_until="networkidle")
    outputs = page.locator(".jp-OutputArea-output")
    assert outputs.count() >= 1
    texts = outputs.all_inner_texts()
    assert any("EVAL-001" in t for t in texts)
    # Command output as tables, with no path of the machine that built the site.
    assert page.locator(".jp-OutputArea-output table").count() >= 2
    assert not any(str(ROOT) in t or "/tmp/" in t for t in texts), [t for t in texts if "/tmp/" in t or str(ROOT) in t]
    report = page.locator("a", has_text="Open the HTML report")
    assert report.count() == 1
    download = page.locator("a[download]")
    assert download.count() == 1
    assert page.request.get(download.evaluate("e => e.href")).ok
    report.click()
    page.wait_for_load_state("networkidle")
    from harness.render import load_report

    verdict = load_report(ROOT / "examples" / "worked-example" / "report" / "report.json").gate.verdict
    assert page.locator(".sh-verdict .sh-chip").first.inner_text() == verdict.upper()
    _shot(page, "check_worked_example_report")


def test_a_standards_page_renders_each_requirement(browser_page, server: str) -> None:
    import standards

    page = browser_page
    page.goto(server + "standards/evaluation/", wait_until="networkidle")
    for req in standards.load_catalogue().in_area("evaluation"):
        heading = page.locator(f"h2#{req.id.lower()}")
        assert heading.count() == 1, req.id
    assert page.get_by_text("How it is checked.").count() >= 1


def _search(page, server: str, query: str) -> list[str]:
    page.goto(server, wait_until="networkidle")
    search = page.locator("input.md-search__input")
    if not search.is_visible():  # behind the search icon on a narrow screen
        page.locator("label.md-header__button[for=__search]").click()
    search.click()
    search.fill("")
    search.press_sequentially(query, delay=30)  # key by key, as a person types
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15_000)
    # The search runs in a worker as keys arrive: wait until the results shown are those of
    # the whole query (their links carry it as `?h=...`), not of a prefix.
    last = re.split(r"[^a-z0-9]+", query.lower())[-1]   # the search splits "EVAL-001" into "eval", "001"
    page.wait_for_function(
        "(last) => { const a = document.querySelector('.md-search-result__item a');"
        " return a !== null && (new URL(a.href).searchParams.get('h') || '').toLowerCase().includes(last); }",
        arg=last, timeout=15_000)
    return results.evaluate_all("els => els.map(e => e.href)")


def test_site_search_ranks_the_standards_first(browser_page, server: str) -> None:
    page = browser_page
    page.stillhouse_errors.clear()
    hrefs = _search(page, server, "EVAL-001")
    # The best match is the requirement's own section on the evaluation standards page.
    assert "standards/evaluation/" in hrefs[0] and "#eval-001" in "".join(hrefs[:3]), hrefs[:5]
    hrefs = _search(page, server, "teacher pin")
    assert "standards/teacher/" in hrefs[0], hrefs[:5]
    _shot(page, "check_search")
    assert page.stillhouse_errors == []
