"""Wall time of one `stillhouse validate` (the whole process, as a user waits for it).

    .venv/bin/python benchmarks/validate_wall.py [PROJECT] [--runs N]

Runs the real command N times side by side with a bare `python -c pass` (interpreter
start-up alone) and prints both medians and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _median_ms(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("project", nargs="?", default=str(ROOT / "examples" / "minimal"))
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    bare = _median_ms([sys.executable, "-c", "pass"], args.runs)
    validate = _median_ms([sys.executable, "-m", "harness", "validate", args.project], args.runs)
    print(f"python start-up       : {bare:7.1f} ms (median of {args.runs})")
    print(f"stillhouse validate   : {validate:7.1f} ms (median of {args.runs}, whole process)")
    print(f"ratio validate/startup: {validate / bare:7.2f}x")


if __name__ == "__main__":
    main()
