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


# ------------------------------------------------------------------- the built site
SITE_ARTIFACTS = Path(os.environ.get("STILLHOUSE_ARTIFACTS", ROOT / "tmp" / "artifacts")) / "site"


@dataclass
class BuiltSite:
    dir: Path
    fleet_file: Path
    output: str


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The whole site, built once per session with `mkdocs build --strict`, its fleet page
    rendered from a generated fleet that includes hostile (`<script>`) entries."""
    from .fleet_data import write_fleet

    base = tmp_path_factory.mktemp("site")
    fleet_file = write_fleet(base / "fleet", 12)
    out = base / "site"
    env = {**os.environ, "STILLHOUSE_SITE_FLEET": str(fleet_file), "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=1800)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return BuiltSite(out, fleet_file, proc.stdout + proc.stderr)
