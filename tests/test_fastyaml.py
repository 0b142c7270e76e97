"""The fleet's fast YAML reader gives exactly what PyYAML's safe loader gives, or steps aside.

`harness._fastyaml.load` builds data straight from libyaml's events (twice as fast as
`yaml.load(..., CSafeLoader)`), so it must agree with it value for value and type for type
on every document it accepts; for anything rarer (anchors, tags, merge keys) it raises
`Unsupported` and the fleet uses the full loader."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import _fastyaml
from harness._registry import fast_yaml

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
    try:
        expected = yaml.load(text, Loader=SAFE)
    except yaml.YAMLError:
        with pytest.raises((yaml.YAMLError, _fastyaml.Unsupported, ValueError)):
            _fastyaml.load(text)
        return
    try:
        got = _fastyaml.load(text)
    except _fastyaml.Unsupported:
        return  # the full loader takes it
    except ValueError as exc:  # empty documents and duplicate keys, which the fleet refuses too
        assert expected is None or "twice" in str(exc), (text, exc)
        return
    assert typed(got) == typed(expected), text


def test_pyyaml_has_libyaml():
    assert _fastyaml.available(), "PyYAML without libyaml: the fleet falls back to the slow loader"


@pytest.mark.parametrize("path", sorted(p for ext in ("*.yaml", "*.yml") for p in ROOT.glob(f"**/{ext}")
                                        if ".venv" not in p.parts and "node_modules" not in p.parts),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_in_the_repository(path: Path):
    text = path.read_bytes().decode("utf-8", "replace")
    agree(text)


TRICKY = ["yes", "No", "on", "OFF", "y", "n", "~", "null", "Null", "", "true", "False", "0", "-0", "+12", "012",
          "0o17", "0x1F", "0b101", "1_000", "1:30", "190:20:30", "-1:30", "1.5", ".5", "1e3", "1.0e+3", "-.inf",
          ".NaN", "6.8523015e+5", "2026-11-28", "2026-11-28T10:00:00Z", "2026-11-28 10:00:00.5 +02:00",
          "2026-1-2", "=", "<<", "a b", "sha256:abc", "'quoted'", '"1.0"', "|\n  block\n", "[1, x, yes]",
          "{a: 1}", "!!str 12", "!!python/object:os.system x", "&a 1", "*a", "- 1\n- 2", "key: 1\nkey: 2"]


@pytest.mark.parametrize("scalar", TRICKY)
def test_tricky_values_resolve_like_the_safe_loader(scalar: str):
    for text in (f"k: {scalar}\n", f"- {scalar}\n", f"{{a: [{scalar}]}}\n" if "\n" not in scalar else "x: 1\n"):
        agree(text)


def test_unsupported_constructs_step_aside():
    for text in ("a: &x 1\nb: *x\n", "a: !!str 1\n", "<<: {a: 1}\n", "? [1, 2]\n: x\n", "---\na: 1\n---\nb: 2\n"):
        with pytest.raises(_fastyaml.Unsupported):
            _fastyaml.load(text)
    # ... and the fleet's reader still answers through the full loader
    assert fast_yaml(b"a: &x 1\nb: *x\n") == {"a": 1, "b": 1}
    with pytest.raises(ValueError):
        fast_yaml(b"a: !!python/object/apply:os.system [echo hi]\n")


def test_duplicate_keys_and_empty_documents_are_refused():
    with pytest.raises(ValueError, match="twice"):
        _fastyaml.load("a: 1\nb: 2\na: 3\n")
    with pytest.raises(ValueError, match="empty"):
        _fastyaml.load("# only a comment\n")



def test_remembered_scalars_resolve_as_before_and_the_memory_stays_bounded(monkeypatch):
    """Plain scalars are resolved once and remembered: the same text must give the same value
    in any position and in any later document, quoted text must stay a string, and the memory
    must empty itself when full rather than grow with every unique name or hash."""
    monkeypatch.setattr(_fastyaml, "_RESOLVED_MAX", 8)
    monkeypatch.setattr(_fastyaml, "_RESOLVED", {})
    docs = ["012: 012\nyes: [yes, '012', \"yes\"]\n", "a: 2026-11-28\nb: '2026-11-28'\n012: x\n",
            *(f"n{i}: v{i}\nm: 0x1F\n" for i in range(20)), "012: 012\nyes: [yes, '012', \"yes\"]\n"]
    for text in docs:
        assert typed(_fastyaml.load(text)) == typed(yaml.load(text, Loader=SAFE)), text
        assert len(_fastyaml._RESOLVED) <= 8


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
