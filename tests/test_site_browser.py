"""The built site in a real browser: headless Chromium (Debian's `chromium`, installed by
`make chromium`) driven by Playwright, over a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import SITE_ARTIFACTS, BuiltSite
from .fleet_data import SCRIPT_NAME

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

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
def browser_page(server: str, tmp_path_factory: pytest.TempPathFactory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data-dir every run
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(profile), executable_path=str(CHROMIUM), headless=True,
                                                   args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
        page.stillhouse_errors = errors  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            ctx.close()


def _shot(page, name: str) -> None:
    SITE_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SITE_ARTIFACTS / f"{name}.png"), full_page=False)


def test_every_nav_page_renders_without_console_errors(browser_page, server: str) -> None:
    page = browser_page
    page.goto(server, wait_until="networkidle")
    hrefs = page.eval_on_selector_all("nav.md-nav--primary a.md-nav__link[href]", "els => els.map(e => e.href)")
    urls = sorted({h.split("#")[0] for h in hrefs if h.startswith(server)})
    # The nav's sections, as mkdocs.yml declares them.
    for expected in ("getting-started/", "standards/evaluation/", "checklist/", "example/worked_example/",
                     "fleet/", "harness/commands/", "playbook/", "office-hours/", "reference/api/"):
        assert server + expected in urls, f"{expected} missing from the navigation: {urls}"
    if SITE_ARTIFACTS.exists():
        shutil.rmtree(SITE_ARTIFACTS)
    for url in urls:
        page.stillhouse_errors.clear()
        response = page.goto(url, wait_until="networkidle")
        assert response is not None and response.status == 200, url
        assert page.locator("article h1").count() >= 1, f"{url}: no heading rendered"
        _shot(page, url[len(server):].strip("/").replace("/", "_") or "home")
        assert page.stillhouse_errors == [], f"{url}: {page.stillhouse_errors}"


def test_fleet_table_renders_and_hostile_entries_stay_text(browser_page, server: str, built_site: BuiltSite) -> None:
    import json

    page = browser_page
    page.stillhouse_errors.clear()
    page.goto(server + "fleet/", wait_until="networkidle")
    fleet = json.loads(built_site.fleet_file.read_text())
    table = page.locator("article table", has=page.locator("th", has_text="evaluation current"))
    assert table.count() == 1
    assert table.locator("tbody tr").count() == len(fleet["models"])
    # The <script> name is shown as text, and neither it nor the <img onerror> owner ran.
    assert table.get_by_text(SCRIPT_NAME, exact=True).count() == 1
    assert page.evaluate("window.__stillhouse_pwned") is None
    assert page.locator("article script").count() == 0
    assert page.locator("article img").count() == 0
    # Charts: the report-age chart and one per-slice chart per model with a report.
    with_reports = sum(1 for m in fleet["models"] if m["report_path"])
    assert page.locator("article figure.sh-model-chart svg").count() == with_reports
    assert page.locator("article .sh-charts svg").count() == 1
    page.locator("article table").nth(1).scroll_into_view_if_needed()
    _shot(page, "check_fleet_table")
    # Each model with a report links to its rendered report, which opens.
    link = table.locator("a", has_text=SCRIPT_NAME)
    link.click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__stillhouse_pwned") is None
    assert SCRIPT_NAME in page.locator("h1").inner_text()
    assert page.stillhouse_errors == []


def test_worked_example_shows_its_outputs(browser_page, server: str) -> None:
    page = browser_page
    page.goto(server + "example/worked_example/", wait_until="networkidle")
    outputs = page.locator(".jp-OutputArea-output")
    assert outputs.count() >= 1
    assert "EVAL-001" in outputs.all_inner_texts()[0] or any("EVAL-001" in t for t in outputs.all_inner_texts())
    _shot(page, "check_worked_example")


def test_a_standards_page_renders_each_requirement(browser_page, server: str) -> None:
    import standards

    page = browser_page
    page.goto(server + "standards/evaluation/", wait_until="networkidle")
    for req in standards.load_catalogue().in_area("evaluation"):
        heading = page.locator(f"h2#{req.id.lower()}")
        assert heading.count() == 1, req.id
    assert page.get_by_text("How it is checked.").count() >= 1


def test_site_search_finds_a_requirement(browser_page, server: str) -> None:
    page = browser_page
    page.stillhouse_errors.clear()
    page.goto(server, wait_until="networkidle")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("EVAL-001", delay=30)  # key by key, as a person types
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15_000)
    # The search runs in a worker as keys arrive: wait until the results shown are those of
    # the whole query (their links carry it as `?h=...`), not of a prefix such as "eval".
    page.wait_for_function(
        "() => { const a = document.querySelector('.md-search-result__item a');"
        " return a !== null && (new URL(a.href).searchParams.get('h') || '').includes('001'); }",
        timeout=15_000)
    hrefs = results.evaluate_all("els => els.map(e => e.href)")
    # The best match is the requirement's own section on the evaluation standards page.
    assert "standards/evaluation/" in hrefs[0] and "#eval-001" in "".join(hrefs[:3]), hrefs[:5]
    _shot(page, "check_search")
    assert page.stillhouse_errors == []
