"""Atomic writes (a temporary file in the target's folder, then a rename), and where
Stillhouse keeps its own state in a project or registry."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: Stillhouse's own folder in a project or a registry (git-ignored): conveniences, never evidence.
STATE_DIR = Path(".stillhouse")
#: Caches of model outputs and checkpoints, under a project's folder.
CACHE_DIR = STATE_DIR / "cache"


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one, never half.

    ``durable=False`` skips the fsync, for caches: after a crash they may be lost, never torn
    into something that reads as valid."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o644)  # mkstemp makes 0600; written files are shared artefacts
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def share_tree(folder: Path) -> None:
    """Make a folder written for others readable as `atomic_write_bytes` makes a file (folders
    0755, files 0644): libraries that write through a temporary file leave 0600 behind
    (safetensors does), and a student only its trainer can read is no use to a team."""
    folder = Path(folder)
    folder.chmod(0o755)
    for p in folder.rglob("*"):
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)


def atomic_write_text(path: Path, text: str) -> Path:
    """`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))
