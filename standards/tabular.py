"""The one reader of eval sets, training sets and production samples.

`stillhouse validate` and `stillhouse eval` read a file with this same function, so a slice
rule or a required field means the same thing to both. JSONL lines are parsed by
pydantic-core (which pydantic brings), CSV by the standard library (a byte-order mark is
skipped in both; CSV values stay text); Parquet needs pyarrow and is read only if it is
installed. Limits, so a broken or hostile file fails in bounded time and memory with a
message that names the line:

- a file of at most `MAX_FILE_BYTES`;
- a row (a JSONL line, a CSV record, a Parquet row's text) of at most `MAX_ROW_BYTES`;
- nesting in a JSON row of at most `MAX_DEPTH` levels.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from pydantic_core import from_json

#: Largest data file read: an eval set is thousands to a few million short rows.
MAX_FILE_BYTES = 2 << 30
#: Largest single row: a message, a document or a prompt, not a data dump.
MAX_ROW_BYTES = 1 << 20
MAX_DEPTH = 32
SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet")


class TableError(ValueError):
    """A data file that cannot be read; the message names the line."""


def _depth(obj: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, stopping past ``limit``."""
    stack = [(obj, 1)]
    deepest = 0
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if d > limit:
            return d
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


#: pydantic-core's parser places an error at "line 1 column N" of the one line it was given.
_AT_LINE_1 = re.compile(r" at line 1 column (\d+)$")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, "rb") as f:
        for i, raw in enumerate(f, 1):
            if len(raw) > MAX_ROW_BYTES:
                raise TableError(f"line {i}: a row of at most {MAX_ROW_BYTES:,} bytes, found "
                                 f"{len(raw):,} or more")
            if i == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise TableError(f"line {i}: not UTF-8 text (invalid byte at offset {exc.start})") from None
            if not line.strip():
                continue
            try:
                obj = from_json(line.rstrip("\r\n"))
            except ValueError as exc:
                if "recursion limit" in str(exc):
                    raise TableError(f"line {i}: JSON nested more than {MAX_DEPTH} levels") from None
                why = _AT_LINE_1.sub(r", column \1", str(exc))
                raise TableError(f"line {i}: not valid JSON ({why})") from None
            if not isinstance(obj, dict):
                raise TableError(f"line {i}: expected a JSON object, found {type(obj).__name__}")
            # A row nests at most one level deeper than its count of brackets (a scalar is a
            # level): only a row with that many is walked.
            if raw.count(b"{") + raw.count(b"[") >= MAX_DEPTH and _depth(obj, MAX_DEPTH) > MAX_DEPTH:
                raise TableError(f"line {i}: JSON nested more than {MAX_DEPTH} levels")
            rows.append(obj)
    return rows


def _csv(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(f"not UTF-8 text (invalid byte at offset {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_ROW_BYTES)
    try:
        rows = []
        for r in reader:
            if None in r:  # more fields than the header names
                raise TableError(f"line {reader.line_num}: more values than the header has columns")
            rows.append(dict(r))
        return rows
    except csv.Error as exc:
        raise TableError(f"line {reader.line_num}: {exc}") from None
    finally:
        csv.field_size_limit(limit)


def _parquet(path: Path) -> list[dict[str, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow comes with the models extra
        raise TableError("reading Parquet needs pyarrow (pip install 'stillhouse[models]')") from None
    try:
        return pq.read_table(path).to_pylist()  # type: ignore[no-any-return]
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a broken file
        raise TableError(f"not a readable Parquet file ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None


def read_rows(path: Path) -> list[dict[str, Any]]:
    """All rows of a JSONL, CSV or Parquet file as dicts; `TableError` names what is wrong."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TableError(f"unsupported file type {suffix or '(none)'}: use .jsonl, .csv or .parquet")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TableError(f"cannot read the file ({exc.strerror or exc})") from None
    if not path.is_file():
        raise TableError("a file, found a folder or device")
    if size > MAX_FILE_BYTES:
        raise TableError(f"a file of at most {MAX_FILE_BYTES:,} bytes, found {size:,}")
    try:
        if suffix in (".jsonl", ".ndjson"):
            return _jsonl(path)
        if suffix == ".csv":
            return _csv(path)
        return _parquet(path)
    except OSError as exc:
        raise TableError(f"cannot read the file ({exc.strerror or exc})") from None


def missing_value(value: Any) -> bool:
    """A required field with no usable value: absent, null, or empty text."""
    return value is None or (isinstance(value, str) and not value.strip())
