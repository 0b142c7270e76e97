"""Escaping for text that comes from manifests and lands in Markdown or HTML."""

from __future__ import annotations

import html

_MD_SPECIAL = "\\`*_{}[]<>()#+!|"


def html_escape(text: object) -> str:
    """Escape for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def md_escape(text: object) -> str:
    """Escape for Markdown that is rendered to HTML: HTML is neutralised, Markdown
    punctuation that could form links, emphasis or tables is backslash-escaped."""
    s = html.escape(str(text), quote=False)
    out = []
    for ch in s:
        out.append("\\" + ch if ch in _MD_SPECIAL else ch)
    return "".join(out).replace("\n", " ")
