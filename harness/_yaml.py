"""The one safe YAML reader, for manifests, registry files and catalogues.

Safe loading only (no language tags ever construct anything), libyaml's parser where it is
installed, a size cap, a cap on the size of the document once aliases are expanded (alias
bombs), a depth cap, duplicate keys refused, and, for files a person edits, a map from
field path to line so errors can point at the line. Every refusal is a `ManifestError`
naming the file.

Plain documents (what manifests and registry files are) are built straight from libyaml's
events, each plain scalar resolved with PyYAML's own implicit resolvers and constructors,
so the data is exactly what `yaml.safe_load` gives; a fleet reads thousands of manifests,
and a node tree per document costs several times more. A document with an anchor, an
alias, a tag, a merge key or a complex key goes through the full composer instead (which
also measures alias expansion). A test compares the two paths on every YAML file in the
repository and on generated documents.
"""

from __future__ import annotations

from pathlib import Path
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
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from ._errors import ManifestError, Problem, first_line

MAX_BYTES = 1 << 20  # 1 MiB: a manifest is a page of text, not a data file
MAX_NODES = 100_000  # nodes after alias expansion
MAX_DEPTH = 64       # nesting; deeper documents are refused rather than recursed into

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """The safe loader (libyaml's when available) that refuses duplicate mapping keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)  # merge keys (`<<: *base`) first, as the safe constructor does
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def _expanded_size(node: Node) -> int:
    """Node count with every alias expanded, each node counted once per use (linear time),
    capped just above `MAX_NODES`; also refuses nesting deeper than `MAX_DEPTH`."""
    memo: dict[int, int] = {}

    def size(n: Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _TooDeep(n)
        key = id(n)
        if key in memo:
            return memo[key]
        memo[key] = 1  # cycles count once
        if isinstance(n, SequenceNode):
            total = 1 + sum(size(c, depth + 1) for c in n.value)
        elif isinstance(n, MappingNode):
            total = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in n.value)
        else:
            total = 1
        memo[key] = min(total, MAX_NODES + 1)
        return memo[key]

    return size(node, 0)


class _TooDeep(Exception):
    def __init__(self, node: Node):
        self.node = node


def _line_map(node: Node, prefix: str, out: dict[str, int], depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        return
    out.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode):
                path = f"{prefix}.{k.value}" if prefix else str(k.value)
                out.setdefault(path, k.start_mark.line + 1)
                _line_map(v, path, out, depth + 1)
    elif isinstance(node, SequenceNode):
        for i, v in enumerate(node.value):
            _line_map(v, f"{prefix}[{i}]", out, depth + 1)


def _problem(file: str, expected: str, found: str, line: int | None = None, field: str = "",
             hint: str | None = None) -> ManifestError:
    return ManifestError([Problem(file=file, field=field, expected=expected, found=found, line=line, hint=hint)])


def _syntax_problem(file: str, exc: yaml.YAMLError, text: str) -> ManifestError:
    """A YAML syntax error as a problem, on its line when the parser gave one."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        # The problem line reads "expected …; found …" already.
        found = "a syntax error: " + str(exc.problem or exc.context).removeprefix("found ")
        rows = text.splitlines() if mark is not None else []
        if mark is not None and mark.line < len(rows) and rows[mark.line][mark.column:mark.column + 1] == "\t":
            found, hint = "a tab", "YAML indents with spaces; tabs are not allowed there"
        else:
            hint = None
        return _problem(file, "valid YAML", found, line=mark.line + 1 if mark else None, hint=hint)
    return _problem(file, "valid YAML", first_line(exc))


_CParser: Any
try:
    import yaml.cyaml

    _CParser = yaml.cyaml.CParser  # type: ignore[attr-defined]
except (ImportError, AttributeError):  # pragma: no cover - PyYAML without libyaml: the composer reads everything
    _CParser = None
# Resolver.resolve's candidates for a plain scalar, by its first character ("" for the
# empty scalar), the wildcard list appended; a character not here resolves to str.
_WILDCARD = Resolver.yaml_implicit_resolvers.get(None, [])  # type: ignore[call-overload]
_CANDIDATES = {ch: tuple(rs + _WILDCARD) for ch, rs in Resolver.yaml_implicit_resolvers.items() if ch is not None}
_PLAIN = tuple(_WILDCARD)
# With no wildcard resolvers (PyYAML's safe loader has none), a plain scalar whose first
# character has no candidates is a string.
_FIRST_CHAR_DECIDES = not _PLAIN


_SCALARS = {t: SafeConstructor.yaml_constructors[t] for t in (
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")}
_CONSTRUCTOR = SafeConstructor()


def _line(ev: Any) -> int:
    """The 1-based line an event starts on."""
    mark = getattr(ev, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else 0


class _Unsupported(Exception):
    """A document the event path leaves to the full composer."""


class _Events:
    """Data from a stream of libyaml events, with the line of every field path."""

    def __init__(self, text: str, lines: dict[str, int] | None, resolved: dict[str, Any] | None = None):
        self.parser: Any = _CParser(text)
        self.get: Any = self.parser.get_event
        self.lines = lines
        self.resolved = resolved

    def scalar(self, ev: Any) -> Any:
        if ev.anchor is not None or ev.tag is not None:
            raise _Unsupported("anchor or tag")
        value = ev.value
        if not ev.implicit[0]:  # quoted or block scalar: always a string
            return value
        resolved = self.resolved
        if resolved is not None and value in resolved:
            return resolved[value]
        out = value
        for tag, regexp in _CANDIDATES.get(value[:1], _PLAIN):  # Resolver.resolve, inlined
            if regexp.match(value):
                make = _SCALARS.get(tag)
                if make is None:
                    raise _Unsupported(tag)  # merge `<<`, value `=`: the full loader decides
                out = make(_CONSTRUCTOR, ScalarNode(tag, value))
                break
        if resolved is not None:
            resolved[value] = out
        return out

    def value(self, ev: Any, path: str, depth: int) -> Any:
        """The data of the node that ``ev`` starts, at field path ``path``, ``depth`` levels down.

        A plain or quoted scalar with nothing to resolve, the bulk of a manifest, is taken
        from its event inline rather than through `scalar`."""
        if depth > MAX_DEPTH:
            raise _TooDeepEvent(_line(ev))
        cls = ev.__class__
        if cls is ScalarEvent:
            return self.scalar(ev)
        if cls is AliasEvent or ev.anchor is not None or ev.tag is not None:
            raise _Unsupported("anchor, alias or tag")
        get, lines, candidates, deeper = self.get, self.lines, _CANDIDATES, depth + 1
        # a child scalar is read inline unless resolvers may claim it or it is already too deep
        inline = _FIRST_CHAR_DECIDES and deeper <= MAX_DEPTH
        if cls is MappingStartEvent:
            out: dict[Any, Any] = {}
            while True:
                kev: Any = get()
                if kev.__class__ is not ScalarEvent:
                    if kev.__class__ is MappingEndEvent:
                        return out
                    raise _Unsupported("complex key")
                if inline and kev.anchor is None and kev.tag is None and (
                        not kev.implicit[0] or kev.value[:1] not in candidates):
                    key = kev.value
                else:
                    key = self.scalar(kev)
                try:
                    duplicate = key in out
                except TypeError:
                    raise _Unsupported("unhashable key") from None
                if duplicate:
                    raise _Duplicate(key, _line(kev))
                sub = ""
                if lines is not None:
                    sub = f"{path}.{key}" if path else str(key)
                    lines.setdefault(sub, _line(kev))
                vev = get()
                if (vev.__class__ is ScalarEvent and inline and vev.anchor is None and vev.tag is None
                        and (not vev.implicit[0] or vev.value[:1] not in candidates)):
                    out[key] = vev.value
                else:
                    out[key] = self.value(vev, sub, deeper)
        if cls is SequenceStartEvent:
            items: list[Any] = []
            while True:
                iev = get()
                if iev.__class__ is SequenceEndEvent:
                    return items
                sub = ""
                if lines is not None:
                    sub = f"{path}[{len(items)}]"
                    lines.setdefault(sub, _line(iev))
                if (iev.__class__ is ScalarEvent and inline and iev.anchor is None and iev.tag is None
                        and (not iev.implicit[0] or iev.value[:1] not in candidates)):
                    items.append(iev.value)
                else:
                    items.append(self.value(iev, sub, deeper))
        raise _Unsupported(f"unexpected event {cls.__name__}")  # pragma: no cover - libyaml keeps order

    def document(self) -> Any:
        get = self.get
        try:
            if get().__class__ is not StreamStartEvent:  # pragma: no cover
                raise _Unsupported("no stream start")
            ev = get()
            if ev.__class__ is StreamEndEvent:
                return _EMPTY
            if ev.__class__ is not DocumentStartEvent:  # pragma: no cover
                raise _Unsupported("no document start")
            first = get()
            if self.lines is not None:
                self.lines.setdefault("", _line(first))
            data = self.value(first, "", 0)
            if get().__class__ is not DocumentEndEvent:  # pragma: no cover
                raise _Unsupported("no document end")
            if get().__class__ is not StreamEndEvent:
                raise _Unsupported("more than one document")  # the composer names the error
            return data
        finally:
            self.parser.dispose()


_EMPTY = object()


class _Duplicate(Exception):
    def __init__(self, key: Any, line: int):
        self.key, self.line = key, line


class _TooDeepEvent(Exception):
    def __init__(self, line: int):
        self.line = line


def parse_yaml(raw: bytes, name: str, *, lines: bool = False, max_bytes: int = MAX_BYTES,
               resolved: dict[str, Any] | None = None) -> tuple[Any, dict[str, int]]:
    """Parse YAML bytes safely: (data, field path -> line when ``lines``, else empty).

    ``resolved``, when given, maps plain scalars to what they resolved to; the caller passes
    the same dict to the documents it reads together (a fleet's manifests repeat most of
    their keys and values, and resolving one takes regular expressions and a constructor)
    and drops it after them. The values are immutable, so documents may share them.

    Raises `ManifestError` naming ``name`` for oversized, binary or non-UTF-8 bytes, a YAML
    syntax error, a language tag, an alias bomb, too deep a nesting, an empty document or
    a duplicate key."""
    if len(raw) > max_bytes:
        raise _problem(name, f"a file of at most {max_bytes:,} bytes", f"{len(raw):,} bytes")
    if b"\x00" in raw:
        raise _problem(name, "UTF-8 text", "binary data (a NUL byte)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _problem(name, "UTF-8 text", f"an invalid byte at offset {exc.start}") from None
    if _CParser is not None:
        line_map: dict[str, int] = {}
        try:
            data = _Events(text, line_map if lines else None, resolved).document()
        except _Unsupported:
            pass  # the full composer below
        except _Duplicate as exc:
            raise _problem(name, "valid YAML", f"key {exc.key!r} appears twice in one mapping", line=exc.line) from None
        except _TooDeepEvent as exc:
            raise _problem(name, f"at most {MAX_DEPTH} levels of nesting", "deeper nesting", line=exc.line) from None
        except RecursionError:
            raise _problem(name, "valid YAML", "nesting too deep") from None
        except yaml.YAMLError as exc:
            raise _syntax_problem(name, exc, text) from None
        else:
            if data is _EMPTY:
                raise _problem(name, "a YAML document", "an empty document")
            return data, line_map
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the pure-Python reader refuses control characters up front
        raise _problem(name, "printable YAML text", first_line(exc)) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise _problem(name, "a YAML document", "an empty document")
        if _expanded_size(node) > MAX_NODES:
            raise _problem(name, f"at most {MAX_NODES:,} values once aliases are expanded",
                           "more (an alias bomb?)", line=node.start_mark.line + 1)
        data = loader.construct_document(node)
    except _TooDeep as exc:
        raise _problem(name, f"at most {MAX_DEPTH} levels of nesting", "deeper nesting",
                       line=exc.node.start_mark.line + 1) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = exc.problem or ""
        if "could not determine a constructor" in msg or "python/" in msg:
            tag = msg.split("tag", 1)[-1].strip(" '!") if "tag" in msg else "?"
            raise _problem(name, "plain YAML (safe loading: no language-specific tags)",
                           f"the tag {tag}", line=mark.line + 1 if mark else None) from None
        raise _problem(name, "valid YAML", msg, line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise _syntax_problem(name, exc, text) from None
    except RecursionError:
        raise _problem(name, "valid YAML", "nesting too deep") from None
    finally:
        loader.dispose()
    composed_lines: dict[str, int] = {}
    if lines:
        _line_map(node, "", composed_lines)
    return data, composed_lines


def read_yaml_file(path: Path, display: str | None = None, max_bytes: int = MAX_BYTES,
                   lines: bool = True) -> tuple[Any, dict[str, int], bytes]:
    """Read and safely parse one YAML file: (data, field path -> line, raw bytes).

    Raises `ManifestError` (exit 2) for a missing or unreadable file and for everything
    `parse_yaml` refuses."""
    path = Path(path)
    name = display or str(path)
    if not path.exists():
        raise _problem(name, "a YAML file", "no such file")
    if not path.is_file():
        raise _problem(name, "a YAML file", "a folder" if path.is_dir() else "not a regular file")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _problem(name, f"a file of at most {max_bytes:,} bytes", f"{size:,} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise _problem(name, "a readable file", exc.strerror or str(exc)) from None
    data, line_map = parse_yaml(raw, name, lines=lines, max_bytes=max_bytes)
    return data, line_map, raw
