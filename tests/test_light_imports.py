"""The light commands never import torch, transformers, datasets or ray."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import EXAMPLES, ROOT, run_cli

HEAVY = ("torch", "transformers", "datasets", "ray")

PROBE = """
import json, sys
from harness.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps([m for m in {heavy!r} if m in sys.modules]), file=sys.stderr)
"""


def _heavy_modules_after(*args: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_validate_is_light():
    assert _heavy_modules_after("validate", str(EXAMPLES / "minimal")) == []


def test_checklist_is_light():
    assert _heavy_modules_after("checklist", str(EXAMPLES / "minimal")) == []


def test_importing_the_packages_is_light():
    proc = subprocess.run([sys.executable, "-c", "import json, sys, harness, standards; "
                           f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert json.loads(proc.stdout) == []


def test_fleet_is_light():
    assert _heavy_modules_after("fleet", str(EXAMPLES / "demo-fleet"), "--out", "/tmp/stillhouse-light-fleet",
                                "--no-cache") == []


def test_publish_is_light(minimal_project, tmp_path):
    assert run_cli("eval", minimal_project, "--quiet").code == 0  # the report to publish (eval is heavy)
    registry = tmp_path / "registry"
    assert _heavy_modules_after("publish", str(minimal_project), "--registry", str(registry)) == []
    assert (registry / "models" / "minimal-ticket-router" / "published.json").is_file()  # it did publish


def test_drift_is_light():
    project = EXAMPLES / "demo-fleet" / "models" / "ticket-router"
    assert _heavy_modules_after("drift", str(project), "--now", "2026-11-28", "--registry", "/nonexistent") == []


def test_ray_is_imported_only_for_a_run_with_ray():
    """The `ray` extra is optional: `stillhouse eval` without --ray never imports it, and
    neither does importing the sharded-run module (its workers import ray when they start)."""
    assert "ray" not in _heavy_modules_after("eval", str(EXAMPLES / "minimal"), "--quiet", "--out",
                                             "/tmp/stillhouse-light-eval")
    proc = subprocess.run([sys.executable, "-c", "import json, sys, harness.eval._ray, harness.cli.eval, "
                           "harness.cli.record; print(json.dumps([m for m in ('ray', 'torch') if m in sys.modules]))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert json.loads(proc.stdout) == [], proc.stderr
