"""Slice rules evaluated over eval-set rows: plain data in, booleans out; never code."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .v1_0 import SliceRule


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


def _same(a: Any, b: Any) -> bool:
    # CSV gives strings: compare numbers as numbers, the rest as text.
    if a == b:
        return True
    na, nb = _as_number(a), _as_number(b)
    if na is not None and nb is not None:
        return na == nb
    return str(a) == str(b) if not isinstance(a, bool) and not isinstance(b, bool) else False


def matches(rule: SliceRule, row: Mapping[str, Any], input_field: str) -> bool:
    """Does ``row`` belong to the slice ``rule`` describes?"""
    if rule.all_of is not None:
        return all(matches(r, row, input_field) for r in rule.all_of)
    col = rule.column or input_field
    value = row.get(col)
    if rule.equals is not None:
        return _same(value, rule.equals)
    if rule.one_of is not None:
        return any(_same(value, v) for v in rule.one_of)
    if rule.range is not None:
        num = _as_number(value)
        if num is None:
            return False
        lo, hi = rule.range.min, rule.range.max
        return (lo is None or num >= lo) and (hi is None or num <= hi)
    text = "" if value is None else str(value)
    if rule.text_length is not None:
        tl = rule.text_length
        words, chars = len(text.split()), len(text)
        return (
            (tl.min_words is None or words >= tl.min_words)
            and (tl.max_words is None or words <= tl.max_words)
            and (tl.min_chars is None or chars >= tl.min_chars)
            and (tl.max_chars is None or chars <= tl.max_chars)
        )
    if rule.matches is not None:
        return re.search(rule.matches, text) is not None
    raise AssertionError("a validated rule always has one test")  # pragma: no cover


def slice_masks(
    slices: Iterable[Any], rows: Sequence[Mapping[str, Any]], input_field: str
) -> dict[str, list[bool]]:
    """`{"all": [...], <slice>: [...]}`: membership of every row in every slice."""
    out = {"all": [True] * len(rows)}
    for s in slices:
        out[s.name] = [matches(s.rule, r, input_field) for r in rows]
    return out
