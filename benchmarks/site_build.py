"""How long the site takes to build, side by side in one run.

    .venv/bin/python benchmarks/site_build.py [--repeat 3] [--models 1000]

Measures, each as the median of --repeat whole `mkdocs build --strict` processes:

  A. a rebuild with the worked example unchanged (its executed copy is reused);
  B. the same rebuild with the fleet page rendered from a generated registry of
     --models models (a `fleet.json` plus one eval report per model that has one);

and prints B - A (what the fleet adds; target <= 10 s for 1,000 models) and A against its
target (<= 30 s on 2 cores). It also times the fleet renderer alone, in process
(`load_site_fleet` + `fleet_markdown` + `fleet_report_files`), to show where the added
time goes. Targets are checked here, never in timed tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import _site  # noqa: E402
from tests.fleet_data import write_fleet  # noqa: E402


def build(site_dir: Path, fleet: Path | None) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if fleet is not None:
        env["STILLHOUSE_SITE_FLEET"] = str(fleet)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"build failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--models", type=int, default=1000)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        fleet_file = write_fleet(tmp_path / "fleet", args.models, hostile=False)
        reports = sum(1 for _ in (tmp_path / "fleet" / "reports").rglob("report.json"))
        print(f"generated registry: {args.models} models, {reports} eval reports")

        warm = build(tmp_path / "warm", None)  # executes the notebook if its inputs changed
        print(f"first build (executes the worked example when its inputs changed): {warm:.2f} s")

        plain, with_fleet = [], []
        for i in range(args.repeat):  # interleaved, so drift on a shared machine hits both
            plain.append(build(tmp_path / f"a{i}", None))
            with_fleet.append(build(tmp_path / f"b{i}", fleet_file))
        a, b = statistics.median(plain), statistics.median(with_fleet)

        t0 = time.perf_counter()
        site = _site.load_site_fleet(fleet_file)
        md = _site.fleet_markdown(site)
        files = _site.fleet_report_files(site)
        render = time.perf_counter() - t0

    print(f"A  rebuild, example unchanged:            median {a:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in plain)})"
          f"  target <= 30 s: {'met' if a <= 30 else 'MISSED'} ({a / 30:.2f}x of target)")
    print(f"B  rebuild + fleet of {args.models} models:      median {b:6.2f} s  (runs: "
          f"{', '.join(f'{x:.2f}' for x in with_fleet)})")
    added = b - a
    print(f"B - A  added by the fleet:               {added:6.2f} s  target <= 10 s: "
          f"{'met' if added <= 10 else 'MISSED'} ({added / 10:.2f}x of target)")
    print(f"fleet renderer alone (in process): {render:.2f} s for {len(md) / 1e6:.1f} MB of Markdown "
          f"and {len(files)} report pages")
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
