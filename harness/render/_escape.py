"""Escaping for text that comes from manifests and lands in Markdown or HTML.

Two Markdown escapers, both safe when the Markdown is rendered to HTML (no tag, link,
image, attribute list or table cell can be formed from the text):

- `md_escape` backslash-escapes every Markdown punctuation character: for pages only ever
  read rendered (the fleet page, the docs site);
- `md_text` escapes only what could change the rendering here, so that Markdown that is
  also read as plain text (`report.md`, in a terminal or a review) keeps `latency_p95_ms`
  and `(1.1)` as they were typed.
"""

from __future__ import annotations

import html
import re

_MD_SPECIAL = "\\`*_{}[]<>()#+!|"
_MD_SPECIAL_RE = re.compile("[" + re.escape(_MD_SPECIAL) + "]")
# Most strings (names, handles, statuses) hold none of these nor `&` or a line break, so
# one search decides: the fleet page escapes every string of every model.
_MD_ESCAPE_NEEDED_RE = re.compile("[" + re.escape(_MD_SPECIAL + "&\r\n") + "]")
# Markdown's line endings: a carriage return alone ends a line too (and so a table row).
_LINE_END_RE = re.compile(r"\r\n?|\n")

# What md_text escapes, and why each one:
#   \ ` *      escapes, code spans, emphasis
#   [ ] ](     links and images (`![x](y)` needs the brackets; a `(` right after `]` too)
#   { }        attribute lists (`{: onclick=...}`) on the docs site
#   |          table cells
#   _          emphasis, but only at a word's edge (`latency_p95_ms` cannot emphasise)
#   < &        HTML, as character references (a lone `>` starts nothing mid-line)
_MD_TEXT_RE = re.compile(r"[\\`*\[\]{}|]|(?<=\])\(|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def _backslash(m: re.Match[str]) -> str:
    return "\\" + m.group()


def html_escape(text: object) -> str:
    """Escape for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def md_escape(text: object) -> str:
    """Escape for Markdown that is rendered to HTML: HTML is neutralised, Markdown
    punctuation that could form links, emphasis or tables is backslash-escaped, and line
    breaks (`\\n`, `\\r`, `\\r\\n`) fold into spaces."""
    out = str(text)
    if not _MD_ESCAPE_NEEDED_RE.search(out):
        return out
    out = html.escape(out, quote=False)
    if _MD_SPECIAL_RE.search(out):
        out = _MD_SPECIAL_RE.sub(_backslash, out)
    return _LINE_END_RE.sub(" ", out)


def md_text(text: object) -> str:
    """Escape for Markdown that people also read as plain text: as safe as `md_escape`
    once rendered, with far fewer backslashes (only the characters listed above; line
    breaks fold into spaces, so a value can never start a heading or a list)."""
    out = " ".join(str(text).splitlines()).replace("&", "&amp;").replace("<", "&lt;")
    return _MD_TEXT_RE.sub(_backslash, out)
