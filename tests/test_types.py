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


def test_pyflakes_finds_nothing_left_behind():
    """No unused import, variable or placeholder-less f-string in the packages. A package's
    `__init__` imports names to re-export them (its `__all__`), which pyflakes cannot see
    when `__all__` is computed."""
    proc = subprocess.run([sys.executable, "-m", "pyflakes", "harness", "standards", "stillhouse_site"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    found = [line for line in proc.stdout.splitlines()
             if not (line.split(":", 1)[0].endswith("__init__.py") and line.endswith("imported but unused"))]
    assert found == [], "\n".join(found)
    assert proc.stderr == "", proc.stderr
