"""Safe YAML reading for manifests and registry files.

Safe loading only (no Python tags ever construct anything), a size cap, a cap on the
size of the document once aliases are expanded (alias bombs), duplicate keys refused,
and a map from field path to line so errors can point at the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._errors import ManifestError, Problem

MAX_BYTES = 1 << 20  # 1 MiB: a manifest is a page of text, not a data file
MAX_NODES = 100_000  # nodes after alias expansion


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:  # type: ignore[override]
        seen: dict[Any, Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark) from None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    """Node count with every alias expanded, computed once per node (linear time)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # cycles count once
    if isinstance(node, SequenceNode):
        total = 1 + sum(_expanded_size(n, memo) for n in node.value)
    elif isinstance(node, MappingNode):
        total = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        total = 1
    memo[key] = min(total, MAX_NODES + 1)
    return memo[key]


def _line_map(node: Node, prefix: str, out: dict[str, int], depth: int = 0) -> None:
    if depth > 50:
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


def read_yaml_file(path: Path, display: str | None = None, max_bytes: int = MAX_BYTES) -> tuple[Any, dict[str, int], bytes]:
    """Read and safely parse one YAML file. Returns (data, field path -> line, raw bytes).

    Raises `ManifestError` (exit 2) for a missing, oversized, binary or non-UTF-8 file,
    a YAML syntax error, a Python tag, an alias bomb or a duplicate key."""
    path = Path(path)
    name = display or str(path)
    if not path.exists():
        raise _problem(name, "a YAML file", "no such file")
    if not path.is_file():
        raise _problem(name, "a YAML file", "a folder" if path.is_dir() else "not a regular file")
    size = path.stat().st_size
    if size > max_bytes:
        raise _problem(name, f"a file of at most {max_bytes:,} bytes", f"{size:,} bytes")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _problem(name, "a readable file", exc.strerror or str(exc)) from None
    if b"\x00" in raw:
        raise _problem(name, "UTF-8 text", "binary data (a NUL byte)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _problem(name, "UTF-8 text", f"an invalid byte at offset {exc.start}") from None
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters up front
        raise _problem(name, "printable YAML text", str(exc).splitlines()[0]) from None
    try:
        node = loader.get_single_node()  # type: ignore[no-untyped-call]
        if node is None:
            raise _problem(name, "a YAML mapping of manifest fields", "an empty document")
        if _expanded_size(node, {}) > MAX_NODES:
            raise _problem(name, f"at most {MAX_NODES:,} values once aliases are expanded",
                           "more (an alias bomb?)", line=node.start_mark.line + 1)
        data = loader.construct_document(node)  # type: ignore[no-untyped-call]
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
        loader.dispose()  # type: ignore[no-untyped-call]
    lines: dict[str, int] = {}
    _line_map(node, "", lines)
    return data, lines, raw
