"""A git revision of this repository checked out beside it, for benchmarks that time an
older revision's code against this checkout's (`--against REV`)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def worktree(rev: str, folder: Path) -> Iterator[Path]:
    """REV's files in ``folder`` (a detached worktree), removed again on leaving."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), rev], check=True,
                   capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], capture_output=True)
