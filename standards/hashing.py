"""Content hashes that pin eval sets and model artifacts."""

from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK = 1 << 20
#: Files in a model folder that do not change what the model computes.
_IGNORED_NAMES = {"README.md", ".gitattributes", ".DS_Store"}


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, as 64 lower-case hex digits."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def artifact_files(path: Path) -> list[Path]:
    """The files an artifact hash covers: every regular file under a folder, sorted by
    relative path, except hidden files, `__pycache__` and a few that never change outputs."""
    path = Path(path)
    if path.is_file():
        return [path]
    files = []
    for p in path.rglob("*"):
        rel = p.relative_to(path)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if p.name in _IGNORED_NAMES or not p.is_file():
            continue
        files.append(p)
    return sorted(files, key=lambda p: p.relative_to(path).as_posix())


def artifact_sha256(path: Path) -> str:
    """Hash of a model artifact. A file: its sha256. A folder: sha256 over
    `relative/path\\0<file sha256>\\n` for each file `artifact_files` lists."""
    path = Path(path)
    if path.is_file():
        return file_sha256(path)
    h = hashlib.sha256()
    for p in artifact_files(path):
        h.update(f"{p.relative_to(path).as_posix()}\0{file_sha256(p)}\n".encode())
    return h.hexdigest()


def is_sha256(value: object) -> bool:
    """True for 64 lower- or upper-case hex digits."""
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value)
