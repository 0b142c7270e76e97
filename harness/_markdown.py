"""Escaping for text that comes from manifests and lands in Markdown or HTML."""

from __future__ import annotations

import html

_MD_SPECIAL = "\\`*_{}[]<>()#+!|"
_MD_TABLE = {ord(ch): "\\" + ch for ch in _MD_SPECIAL}  # one pass with str.translate (the fleet escapes 100k strings)


def html_escape(text: object) -> str:
    """Escape for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def md_escape(text: object) -> str:
    """Escape for Markdown that is rendered to HTML: HTML is neutralised, Markdown
    punctuation that could form links, emphasis or tables is backslash-escaped."""
    return html.escape(str(text), quote=False).translate(_MD_TABLE).replace("\n", " ")
