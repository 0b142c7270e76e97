"""Rendering what Stillhouse reports: the standard eval report as JSON (the record), Markdown
and a self-contained HTML page, the fleet report as Markdown, the charts, and the escaping
every string from a manifest goes through (HTML and Markdown alike).

HTML and SVG come from the Jinja2 templates in `templates/` (autoescaped); Jinja2 is
imported only when HTML is rendered.
"""

from __future__ import annotations

from ._escape import html_escape, md_escape, md_text, visible
from ._fleet import FleetPage, fleet_markdown, ordered
from ._report import REPORT_FILES, load_report, report_html, report_markdown, verdict_markdown, write_report

__all__ = ["REPORT_FILES", "FleetPage", "fleet_markdown", "html_escape", "load_report", "md_escape", "md_text",
           "ordered", "report_html", "report_markdown", "verdict_markdown", "visible", "write_report"]
