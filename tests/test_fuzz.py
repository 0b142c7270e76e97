"""Property-based fuzzing of the manifest loader: whatever the bytes, it either loads or
raises `ManifestError` (exit 2) — never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st

from harness import ManifestError, load_project

from .conftest import EXAMPLES

BASE = yaml.safe_load((EXAMPLES / "minimal" / "stillhouse.yaml").read_text())

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=20), st.dates())
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)


def _load(text: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "stillhouse.yaml"
        p.write_bytes(text)
        try:
            load_project(p)
        except ManifestError as err:
            assert err.problems and all(pr.file for pr in err.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes):
    _load(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list("ab:- \n\t[]{}&*!|>'\"#%@`,?0123.") + ["standards_version: ", '"1.1"\n']),
                max_size=80))
def test_yaml_like_text(tokens: list[str]):
    _load("".join(tokens).encode())


def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(BASE) if p != ("standards_version",)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=4))
def test_manifest_with_fields_replaced(edits):
    import copy

    data = copy.deepcopy(BASE)
    for path, value in edits:
        cur = data
        try:
            for k in path[:-1]:
                cur = cur[k]
            cur[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    _load(yaml.safe_dump(data, allow_unicode=True).encode())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | st.text(st.sampled_from("ab \r\n&<_|~-=:?#1.\t\x1b\u202e"), max_size=12))
@example("a\rb | c\r\n- d\n")
@example("- item")
@example("1. first")
def test_md_escape_backslashes_every_markdown_special_once(text: str):
    """md_escape against its definition: line endings (a carriage return alone too) folded,
    control characters and bidirectional overrides shown as symbols, HTML escaped, each of
    \\`*_{}[]<>()#+!| preceded by a backslash, `~` as a character reference, and a first
    character that could start a block (a blank, `-`, `:`, `?`, `=` …) neutralised."""
    import html
    import re

    from harness.render._escape import _MD_SPECIAL, md_escape

    def shown(ch: str) -> str:
        code = ord(ch)
        if code < 0x20 and ch not in "\t\n":
            return chr(0x2400 + code)
        if code == 0x7F:
            return "\u2421"
        if 0x80 <= code <= 0x9F or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
            return "\ufffd"
        return ch

    table = {ord(ch): "\\" + ch for ch in _MD_SPECIAL}
    folded = "".join(map(shown, re.sub(r"\r\n?|\n", " ", text)))
    body = html.escape(folded, quote=False).translate(table).replace("~", "&#126;")
    lead = {" ": "&#32;", "\t": "&#9;", ":": "&#58;", "?": "&#63;"}
    if body[:1] in lead:
        body = lead[body[0]] + body[1:]
    elif body[:1] in "-=" and body and (len(body) == 1 or body[1] in " \t-+=#"):
        body = ("\\-" if body[0] == "-" else "&#61;") + body[1:]
    elif m := re.match(r"\d{1,9}\.(?=[ \t]|$)", body):
        body = body[:m.end() - 1] + "\\." + body[m.end():]
    assert md_escape(text) == body
    assert "\r" not in md_escape(text) and "\n" not in md_escape(text)
