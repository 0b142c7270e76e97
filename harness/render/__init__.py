"""Rendering what Stillhouse reports: the standard eval report as JSON (the record), Markdown
and a self-contained HTML page, the site's charts, and the escaping every string from a
manifest goes through (HTML and Markdown tables alike)."""

from __future__ import annotations

from ._escape import html_escape, md_escape
from ._report import REPORT_FILES, load_report, report_html, report_markdown, write_report

__all__ = ["REPORT_FILES", "html_escape", "load_report", "md_escape", "report_html", "report_markdown", "write_report"]
