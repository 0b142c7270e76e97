"""Escaping for text that comes from manifests and lands in Markdown or HTML.

Two Markdown escapers, both safe when the Markdown is rendered to HTML (no tag, link,
image, attribute list or table cell can be formed from the text):

- `md_escape` backslash-escapes every Markdown punctuation character: for pages only ever
  read rendered (the fleet page, the docs site);
- `md_text` escapes only what could change the rendering here, so that Markdown that is
  also read as plain text (`report.md`, in a terminal or a review) keeps `latency_p95_ms`
  and `(1.1)` as they were typed.

Both fold line breaks into spaces and guard a value's first character, so a value that
starts a line cannot start a heading, list, quote, code block or admonition there. `md_code`
makes a code span of any text. `visible` shows control characters (a terminal's escape
sequences among them) and bidirectional overrides as symbols, in Markdown and on a terminal
alike, so a string from a manifest cannot clear a screen, recolour it, plant a link or
reverse the rest of a line.
"""

from __future__ import annotations

import html
import re

_MD_SPECIAL = "\\`*_{}[]<>()#+!|"
_MD_SPECIAL_RE = re.compile("[" + re.escape(_MD_SPECIAL) + "]")
# Control characters but tab and newline, and the bidirectional embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069).
_UNSEEN = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_UNSEEN_RE = re.compile(f"[{_UNSEEN}]")
# Most strings (names, handles, statuses) hold none of these nor `&`, `~`, a line break or
# a character that `_guard_start` changes, so one search decides: the fleet page escapes
# every string of every model.
_MD_ESCAPE_NEEDED_RE = re.compile("[" + re.escape(_MD_SPECIAL + "&~\r\n") + _UNSEEN + r"]|^[ \t\-=:?0-9]")
# Markdown's line endings: a carriage return alone ends a line too (and so a table row).
_LINE_END_RE = re.compile(r"\r\n?|\n")
# What a value's first characters could start when the value begins a line, and each one's
# neutral spelling: a blank (4 make code), `-` `+` (a list, a rule, a setext heading), `#`
# (a heading), `>` (a quote), `=` (a setext heading), `:` (a definition), `!` `?` (an
# admonition, a collapsible block), digits then `.` or `)` and a blank (a numbered list);
# `~` (a code fence) is a character reference wherever it is.
_START_RE = re.compile(r"^(?:[ \t>:!?]|[-+=#](?=[ \t\-+=#]|$)|\d{1,9}[.)](?=[ \t]|$))")
_START = {" ": "&#32;", "\t": "&#9;", "=": "&#61;", ":": "&#58;", "?": "&#63;"}


def _guard_start(text: str) -> str:
    """``text`` with a first character that could start a Markdown block written so that it
    cannot (characters Python-Markdown and CommonMark both unescape, or a character
    reference): the text renders the same, mid-line or at a line's start."""
    m = _START_RE.match(text)
    if m is None:
        return text
    lead = m.group()
    if lead[0].isdigit():
        return f"{lead[:-1]}\\{lead[-1]}{text[len(lead):]}"
    return _START.get(lead, "\\" + lead) + text[1:]


def _picture(m: re.Match[str]) -> str:
    code = ord(m.group())
    # Unicode's control pictures show C0 controls (␛ for escape, ␡ for delete); the rest as �.
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"


def visible(text: str) -> str:
    """``text`` with each control character but tab and newline shown as its symbol (␛, ␍,
    ␀ …) and each bidirectional override or isolate as �: safe to print to a terminal and
    to read in a file."""
    return _UNSEEN_RE.sub(_picture, text) if _UNSEEN_RE.search(text) else text

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


def md_escape(text: object, *, mid_line: bool = False) -> str:
    """Escape for Markdown that is rendered to HTML: HTML is neutralised, Markdown
    punctuation that could form links, emphasis or tables is backslash-escaped, and line
    breaks (`\\n`, `\\r`, `\\r\\n`) fold into spaces; see the module's docstring for the rest.
    ``mid_line``: the text follows other text on its line, so its first character needs no guard."""
    out = str(text)
    if not _MD_ESCAPE_NEEDED_RE.search(out):
        return out
    out = html.escape(visible(_LINE_END_RE.sub(" ", out)), quote=False)
    if _MD_SPECIAL_RE.search(out):
        out = _MD_SPECIAL_RE.sub(_backslash, out)
    # `~` strikes through on GitHub, and `~~~` at a line's start opens a code block
    out = out.replace("~", "&#126;")
    return out if mid_line else _guard_start(out)


def md_code(text: object) -> str:
    """A code span showing ``text`` as it is, wherever inline Markdown goes: line breaks fold
    into spaces (a blank line would end the paragraph before the span closed), and the fence
    is one backtick longer than the longest run of backticks inside. Not for a table cell,
    where a `|` would still end the cell."""
    out = visible(" ".join(str(text).splitlines()))
    fence = "`" * (max(map(len, re.findall("`+", out)), default=0) + 1)
    pad = " " if out[:1] == "`" or out[-1:] == "`" else ""
    return f"{fence}{pad}{out}{pad}{fence}"


def md_text(text: object) -> str:
    """Escape for Markdown that people also read as plain text: as safe as `md_escape`
    once rendered, with far fewer backslashes (only the characters listed above; line
    breaks fold into spaces, and the first character is guarded, so a value can never start
    a heading or a list)."""
    out = visible(" ".join(str(text).splitlines())).replace("&", "&amp;").replace("<", "&lt;")
    return _guard_start(_MD_TEXT_RE.sub(_backslash, out).replace("~", "&#126;"))
