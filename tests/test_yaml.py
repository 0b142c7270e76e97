"""The one YAML reader gives exactly what PyYAML's safe loader gives, or refuses alike.

`harness._yaml.parse_yaml` builds plain documents straight from libyaml's events and hands
rarer ones (anchors, aliases, tags, merge keys, complex keys) to the full composer; either
way it must agree with `yaml.safe_load` value for value and type for type, and refuse
what the safe loader refuses (plus duplicate keys, empty documents and deep nesting)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import ManifestError
from harness._yaml import MAX_DEPTH, _CParser, parse_yaml

from .conftest import ROOT

SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def typed(x: Any) -> Any:
    """A comparable form that keeps types apart (True != 1 != 1.0, date != datetime)."""
    if isinstance(x, dict):
        return ("dict", sorted(((typed(k), typed(v)) for k, v in x.items()), key=repr))
    if isinstance(x, list):
        return ("list", [typed(v) for v in x])
    if isinstance(x, float) and x != x:
        return ("float", "nan")
    return (type(x).__name__, x)


def agree(text: str) -> None:
    raw = text.encode("utf-8")
    try:
        expected = yaml.load(text, Loader=SAFE)
    except (yaml.YAMLError, RecursionError):
        with pytest.raises(ManifestError):
            parse_yaml(raw, "doc.yaml")
        return
    try:
        got, _ = parse_yaml(raw, "doc.yaml")
    except ManifestError as exc:  # refused: empty documents, duplicate keys, deep nesting
        msg = str(exc)
        assert expected is None or "twice" in msg or "nesting" in msg, (text, msg)
        return
    assert typed(got) == typed(expected), text


def test_pyyaml_has_libyaml():
    assert _CParser is not None, "PyYAML without libyaml: every document takes the slow composer"


@pytest.mark.parametrize("path", sorted(p for ext in ("*.yaml", "*.yml") for p in ROOT.glob(f"**/{ext}")
                                        if not {".venv", "node_modules", "site", "build"} & set(p.parts)),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_in_the_repository(path: Path):
    agree(path.read_bytes().decode("utf-8", "replace"))


TRICKY = ["yes", "No", "on", "OFF", "y", "n", "~", "null", "Null", "", "true", "False", "0", "-0", "+12", "012",
          "0o17", "0x1F", "0b101", "1_000", "1:30", "190:20:30", "-1:30", "1.5", ".5", "1e3", "1.0e+3", "-.inf",
          ".NaN", "6.8523015e+5", "2026-11-28", "2026-11-28T10:00:00Z", "2026-11-28 10:00:00.5 +02:00",
          "2026-1-2", "=", "<<", "a b", "sha256:abc", "'quoted'", '"1.0"', "|\n  block\n", "[1, x, yes]",
          "{a: 1}", "!!str 12", "!!python/object:os.system x", "&a 1", "*a", "- 1\n- 2", "key: 1\nkey: 2"]


@pytest.mark.parametrize("scalar", TRICKY)
def test_tricky_values_resolve_like_the_safe_loader(scalar: str):
    for text in (f"k: {scalar}\n", f"- {scalar}\n", f"{{a: [{scalar}]}}\n" if "\n" not in scalar else "x: 1\n"):
        agree(text)


def test_anchors_tags_and_merges_go_through_the_composer():
    assert parse_yaml(b"a: &x 1\nb: *x\n", "d")[0] == {"a": 1, "b": 1}
    assert parse_yaml(b"base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n", "d")[0]["c"] == {"x": 1, "y": 2}
    with pytest.raises(ManifestError, match="safe loading"):
        parse_yaml(b"a: !!python/object/apply:os.system [echo hi]\n", "d")


def test_duplicate_keys_empty_documents_and_deep_nesting_are_refused_with_the_line():
    with pytest.raises(ManifestError, match="appears twice") as exc:
        parse_yaml(b"a: 1\nb: 2\na: 3\n", "d")
    assert exc.value.problems[0].line == 3
    with pytest.raises(ManifestError, match="empty"):
        parse_yaml(b"# only a comment\n", "d")
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(ManifestError, match="nesting"):
        parse_yaml(deep.encode(), "d")


def test_line_numbers_point_at_each_field():
    text = b"standards_version: '1.2'\nowner:\n  handle: ada\n  team: ml\nslices:\n  - name: a\n  - name: b\n"
    _, lines = parse_yaml(text, "d", lines=True)
    assert lines["owner.team"] == 4 and lines["slices[1]"] == 7 and lines["slices[1].name"] == 7


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=False, width=64), st.dates(),
                    st.datetimes(timezones=st.just(dt.timezone.utc)),
                    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
                    st.sampled_from(TRICKY))
documents = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(min_size=1, max_size=6), kids, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([None, True, False]))
def test_generated_documents_agree(doc: Any, flow: bool | None):
    agree(yaml.safe_dump({"doc": doc}, default_flow_style=flow, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("ab1:-[]{}, '\"#&*!|>?\n.~yesno0x")), max_size=40))
def test_arbitrary_text_agrees_or_fails_alike(text: str):
    agree(text)


def test_documents_read_together_share_resolved_scalars_and_agree():
    """A fleet passes one `resolved` dict to the manifests it reads together: every document
    read that way must equal the same document read alone."""
    texts = [f"k: {s}\n" for s in TRICKY if "\n" not in s] + [f"- {s}\n" for s in TRICKY if "\n" not in s]
    texts += [p.read_text("utf-8", "replace") for p in sorted(ROOT.glob("examples/**/stillhouse.yaml"))]
    resolved: dict[str, Any] = {}
    for text in texts + texts:  # the second round reads every scalar from `resolved`
        try:
            alone = parse_yaml(text.encode(), "d")[0]
        except ManifestError:
            with pytest.raises(ManifestError):
                parse_yaml(text.encode(), "d", resolved=resolved)
            continue
        assert typed(parse_yaml(text.encode(), "d", resolved=resolved)[0]) == typed(alone), text
    assert resolved  # it was used


@pytest.mark.parametrize("lines", [False, True])
@pytest.mark.parametrize("flow", ["[{}]", "{{x: {}}}"])
def test_the_depth_limit_counts_a_scalar_like_the_composer_does(flow: str, lines: bool):
    """A scalar inside MAX_DEPTH containers sits one level deeper than the innermost one;
    the event path (plain documents) and the composer (here reached through an anchor)
    draw the line at the same depth."""
    for n, ok in ((MAX_DEPTH, True), (MAX_DEPTH + 1, False)):
        doc = "1"
        for _ in range(n):
            doc = flow.format(doc)
        for text in (doc, "&a " + doc):
            if ok:
                assert parse_yaml(text.encode(), "d", lines=lines)[0] is not None
            else:
                with pytest.raises(ManifestError, match="nesting"):
                    parse_yaml(text.encode(), "d", lines=lines)
