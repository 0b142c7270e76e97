"""A faster safe YAML reader for the fleet: libyaml's events turned straight into data.

`yaml.load(..., CSafeLoader)` spends most of its time in Python: a node object per value,
a resolver method call per scalar, then a generic constructor walking the nodes. A
registry of 10,000 manifests is 1.6 million values, so the fleet reads libyaml's event
stream itself and builds dicts, lists and scalars directly, with PyYAML's own implicit
resolvers and scalar constructors, so the result is exactly what `yaml.safe_load` gives.

It handles the plain documents manifests are made of. Anything rarer — an anchor, an
alias, an explicit tag, a merge key, a complex key — raises `Unsupported`, and the caller
reads the file with the full loader instead (which also applies the alias-bomb limit). A
duplicate key raises `ValueError`, as the full loader refuses it too. A test compares the
two on every YAML file in the repository and on generated documents.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

__all__ = ["Unsupported", "load"]

_Parser: Any
try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _Parser = None
# Resolver.resolve's candidates for a plain scalar, by its first character ("" for the
# empty scalar), with the wildcard list appended; a character not here resolves to str.
_WILDCARD = Resolver.yaml_implicit_resolvers.get(None, [])  # type: ignore[call-overload]
_CANDIDATES = {ch: tuple(rs + _WILDCARD) for ch, rs in Resolver.yaml_implicit_resolvers.items() if ch is not None}
_PLAIN = tuple(_WILDCARD)
# With no wildcard resolvers (PyYAML's safe loader has none), a plain scalar whose first
# character has no candidates is a string: the mapping loop takes that case inline.
_FIRST_CHAR_DECIDES = not _PLAIN
_SCALARS = {t: SafeConstructor.yaml_constructors[t] for t in (
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")}
_CONSTRUCTOR = SafeConstructor()


class Unsupported(Exception):
    """The document uses something the fast path leaves to the full loader."""


def available() -> bool:
    return _Parser is not None


def _scalar(ev: Any) -> Any:
    if ev.anchor is not None or ev.tag is not None:
        raise Unsupported("anchor or tag")
    value = ev.value
    if not ev.implicit[0]:  # quoted or block scalar: always a string
        return value
    try:
        return _RESOLVED[value]
    except KeyError:
        pass
    out = _resolve(value)
    if len(_RESOLVED) >= _RESOLVED_MAX:
        _RESOLVED.clear()
    _RESOLVED[value] = out
    return out


#: Plain scalars already resolved, and what they resolved to. Manifests repeat most of
#: their keys and many values (`metric: accuracy`, `0.80`, `true`): a dict lookup instead
#: of the resolver's regexes takes a quarter off a manifest's read. The values are
#: immutable (str, int, float, bool, None, date, datetime), so sharing them is safe; the
#: dict is emptied when full, so unique values (names, hashes) cannot grow it without bound.
_RESOLVED: dict[str, Any] = {}
_RESOLVED_MAX = 8192


def _resolve(value: str) -> Any:
    # Resolver.resolve, inlined: candidates by first character, then the wildcard list.
    for tag, regexp in _CANDIDATES.get(value[:1], _PLAIN):
        if regexp.match(value):
            make = _SCALARS.get(tag)
            if make is None:
                raise Unsupported(tag)  # merge `<<`, value `=`: the full loader decides
            return make(_CONSTRUCTOR, ScalarNode(tag, value))
    return value


def _value(ev: Any, get: Any) -> Any:
    cls = ev.__class__
    if cls is ScalarEvent:
        return _scalar(ev)
    if cls is MappingStartEvent:
        if ev.anchor is not None or ev.tag is not None:
            raise Unsupported("anchor or tag")
        out: dict[Any, Any] = {}
        while True:
            kev = get()
            kcls = kev.__class__
            if kcls is MappingEndEvent:
                return out
            if kcls is not ScalarEvent:
                raise Unsupported("complex key")
            key = _scalar(kev)
            if key in out:
                raise ValueError(f"key {key!r} appears twice in one mapping "
                                 f"(line {getattr(kev.start_mark, 'line', -1) + 1})")
            vev = get()
            # the common case inline: a plain or quoted string value with no anchor or tag
            if (_FIRST_CHAR_DECIDES and vev.__class__ is ScalarEvent and vev.anchor is None and vev.tag is None
                    and (not vev.implicit[0] or vev.value[:1] not in _CANDIDATES)):
                out[key] = vev.value
            else:
                out[key] = _value(vev, get)
    if cls is SequenceStartEvent:
        if ev.anchor is not None or ev.tag is not None:
            raise Unsupported("anchor or tag")
        items: list[Any] = []
        while True:
            iev = get()
            if iev.__class__ is SequenceEndEvent:
                return items
            items.append(_value(iev, get))
    if cls is AliasEvent:
        raise Unsupported("alias")
    raise Unsupported(f"unexpected event {cls.__name__}")  # pragma: no cover - libyaml guarantees order


def load(text: str) -> Any:
    """The data of a single-document YAML text, as `yaml.safe_load` would give it.

    Raises `Unsupported` (use the full loader), `ValueError` for an empty document or a
    duplicate key, and `yaml.YAMLError` for a syntax error."""
    if _Parser is None:
        raise Unsupported("libyaml is not available")
    parser = _Parser(text)
    get = parser.get_event
    try:
        if get().__class__ is not StreamStartEvent:  # pragma: no cover
            raise Unsupported("no stream start")
        ev = get()
        if ev.__class__ is StreamEndEvent:
            raise ValueError("empty document")
        if ev.__class__ is not DocumentStartEvent:  # pragma: no cover
            raise Unsupported("no document start")
        data = _value(get(), get)
        if get().__class__ is not DocumentEndEvent:  # pragma: no cover
            raise Unsupported("no document end")
        if get().__class__ is not StreamEndEvent:
            raise Unsupported("more than one document")  # the full loader names the error
        return data
    except RecursionError:
        raise Unsupported("nesting too deep") from None
    finally:
        parser.dispose()
