"""Atomic writes: a temporary file in the target's folder, then a rename."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


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


def atomic_write_text(path: Path, text: str) -> Path:
    """`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def in_background(work: Callable[[], object]) -> Callable[[], None]:
    """Run ``work`` in a forked child process and return a function that waits for it.

    For a command line with independent outputs to write on a multi-core machine (the
    fleet saves its summary cache while it assesses the models, then writes fleet.json
    and fleet.md while it prints its table). The
    waiter raises `OSError` with the child's error message if ``work`` failed. Off Linux
    (no fork on Windows; fork is unsafe with macOS system frameworks) or on one core,
    ``work`` runs at once, in this process."""
    if not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2:
        work()
        return lambda: None
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: do the work, report a failure through the pipe, never return
        code = 0
        try:
            os.close(read_end)
            work()
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            os.write(write_end, (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).encode()[:4000])
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)

    def wait() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            message = pipe.read().decode("utf-8", "replace")
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise OSError(message or f"the background writer exited with status {status}")

    return wait
