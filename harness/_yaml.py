"""The one safe YAML reader, for manifests, registry files and catalogues.

Safe loading only (no language tags ever construct anything), libyaml's parser where it is
installed, a size cap, a cap on the size of the document once aliases are expanded (alias
bombs), duplicate keys refused, and, for files a person edits, a map from field path to
line so errors can point at the line. Every refusal is a `ManifestError` naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._errors import ManifestError, Problem

MAX_BYTES = 1 << 20  # 1 MiB: a manifest is a page of text, not a data file
MAX_NODES = 100_000  # nodes after alias expansion
MAX_DEPTH = 64       # nesting; deeper documents are refused rather than recursed into

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """The safe loader (libyaml's when available) that refuses duplicate mapping keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
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


def _problem(file: str, expected: str, found: str, line: int | None = None, field: str = "") -> ManifestError:
    return ManifestError([Problem(file=file, field=field, expected=expected, found=found, line=line)])


def parse_yaml(raw: bytes, name: str, *, lines: bool = False,
               max_bytes: int = MAX_BYTES) -> tuple[Any, dict[str, int]]:
    """Parse YAML bytes safely: (data, field path -> line when ``lines``, else empty).

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
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the pure-Python reader refuses control characters up front
        raise _problem(name, "printable YAML text", str(exc).splitlines()[0]) from None
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
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _problem(name, "valid YAML", f"{exc.problem or exc.context}",
                       line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise _problem(name, "valid YAML", str(exc).splitlines()[0]) from None
    except RecursionError:
        raise _problem(name, "valid YAML", "nesting too deep") from None
    finally:
        loader.dispose()
    line_map: dict[str, int] = {}
    if lines:
        _line_map(node, "", line_map)
    return data, line_map


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
