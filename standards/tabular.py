"""Reading eval-set rows without heavy libraries (the light path: `validate`).

JSONL and CSV use the standard library; Parquet needs pyarrow and is read only if it is
installed. The harness reads the same files with `datasets` when it runs models.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any


class TableError(ValueError):
    """A data file that cannot be read; the message names the line."""


def read_rows(path: Path) -> list[dict[str, Any]]:
    """All rows of a JSONL, CSV or Parquet file as dicts."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        rows = []
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise TableError(f"line {i}: not valid JSON ({exc.msg})") from None
                if not isinstance(obj, dict):
                    raise TableError(f"line {i}: expected a JSON object, found {type(obj).__name__}")
                rows.append(obj)
        return rows
    if suffix == ".csv":
        text = path.read_text(encoding="utf-8")
        return [dict(r) for r in csv.DictReader(io.StringIO(text))]
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - pyarrow comes with the models extra
            raise TableError("reading Parquet needs pyarrow (pip install 'stillhouse[models]')") from None
        return pq.read_table(path).to_pylist()
    raise TableError(f"unsupported file type {suffix or '(none)'}: use .jsonl, .csv or .parquet")
