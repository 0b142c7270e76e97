"""The packages type-check (one typing style, `X | None`, checked by mypy)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_mypy_passes_on_standards_and_harness():
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_module_switches_off_a_mypy_error_code():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    overrides = config.get("overrides", [])
    assert not [o for o in overrides if o.get("disable_error_code") or o.get("ignore_errors")], overrides
