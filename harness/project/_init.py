"""`stillhouse init NAME`: a new project from the starter template that ships in this package
(`harness/project/starter/`; `examples/starter` in the repository links to it)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from pathlib import Path

import standards

from .._errors import InputError
from .._io import STATE_DIR

TEMPLATE_DIR = Path(__file__).resolve().parent / "starter"
_TEXT_SUFFIXES = {".yaml", ".yml", ".md", ".txt", ".json"}


def init_project(name: str, parent: Path | str = ".", today: dt.date | None = None) -> Path:
    """Create ``parent/name`` from the starter template and return its path.

    The folder is assembled in a temporary sibling and renamed into place, so a failure
    leaves nothing half-written."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,79}", name):
        raise InputError(f"NAME: expected a lower-case name (letters, digits, '.', '_', '-'); found {name!r}")
    parent = Path(parent)
    target = parent / name
    if target.exists():
        raise InputError(f"{target}: expected a new folder; found one that already exists (nothing was changed)")
    if not TEMPLATE_DIR.is_dir():  # pragma: no cover - only in a broken install
        raise InputError(f"{TEMPLATE_DIR}: the starter template is missing from this installation")
    today = today or dt.date.today()
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{name}."))
    try:
        staging = tmp / name
        shutil.copytree(TEMPLATE_DIR, staging)
        for p in staging.rglob("*"):
            if p.is_file() and p.suffix in _TEXT_SUFFIXES:
                text = p.read_text(encoding="utf-8")
                p.write_text(text.replace("{{name}}", name).replace("{{today}}", today.isoformat()), encoding="utf-8")
        schema = standards.schema_documents()[f"manifest-{standards.CURRENT_VERSION}.schema.json"]
        (staging / STATE_DIR).mkdir()
        (staging / STATE_DIR / "manifest.schema.json").write_text(schema, encoding="utf-8")
        # shipped without its dot, so it does not act on this package's own files
        (staging / "gitignore").rename(staging / ".gitignore")
        os.replace(staging, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
