"""Shared test helpers: run the real CLI in a subprocess, copy example projects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 600) -> CliResult:
    """Run `stillhouse ARGS` as a user would: a separate process, this checkout's code."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    proc = subprocess.run([sys.executable, "-m", "harness", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, env=full_env, timeout=timeout)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def minimal_project(tmp_path: Path) -> Path:
    """A private copy of examples/minimal (without any report) to mutate."""
    dst = tmp_path / "minimal"
    shutil.copytree(EXAMPLES / "minimal", dst, ignore=shutil.ignore_patterns("report", ".stillhouse", "__pycache__"))
    return dst
