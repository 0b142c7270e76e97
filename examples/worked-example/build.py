"""Build and check the worked example and its failing sibling from a fresh clone.

    python examples/worked-example/build.py            # everything; retrains only what is stale
    python examples/worked-example/build.py --no-eval  # stop after the students (what `make` needs)

Each step is the command a user would type; this script only runs them in order, times
them, and stops at the first unexpected exit code:

  1. data      make_data.py into a scratch folder; the files must equal the committed
               (pinned) ones byte for byte, or the build stops: the eval set is frozen.
  2. teacher   build_teacher.py: assemble teacher/ from the pip package + the committed
               fine-tuned weights (fine-tuned again only if their inputs changed: see
               build_teacher.py).
  3. distill   `stillhouse distill` on both projects: skipped when the training record's
               key matches (training data, teacher pin, settings, trainer source, library
               versions), so a rebuild with unchanged inputs never retrains.
  4. eval      `stillhouse eval --gate`: the worked example must pass (exit 0), the
               sibling without typos in its transfer set must fail its gate (exit 1).
  5. validate  `stillhouse validate` on both: exit 0.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SIBLING = HERE.parent / "worked-example-no-typos"


def run(step: str, cmd: list[str], expect: int = 0) -> float:
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True)
    wall = time.perf_counter() - t0
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
    print(f"[{step:<8}] {wall:6.1f} s  exit {proc.returncode}  {' '.join(cmd[2:] if cmd[1] == '-m' else cmd[1:])}")
    for line in tail:
        print(f"             {line}")
    if proc.returncode != expect:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        raise SystemExit(f"{step}: expected exit {expect}, got {proc.returncode}")
    return wall


def check_data() -> float:
    t0 = time.perf_counter()
    sys.path.insert(0, str(HERE))
    import make_data

    with tempfile.TemporaryDirectory() as tmp:
        make_data.main(Path(tmp))
        for name in sorted(os.listdir(tmp)):
            if not filecmp.cmp(Path(tmp) / name, HERE / "data" / name, shallow=False):
                raise SystemExit(f"data: make_data.py no longer reproduces data/{name}; the eval set is frozen, "
                                 "so a change to the generator is a new data set: re-pin it deliberately")
    wall = time.perf_counter() - t0
    print(f"[data    ] {wall:6.1f} s  make_data.py reproduces data/ byte for byte")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description="Build and check the worked example.")
    ap.add_argument("--no-eval", action="store_true", help="stop after distill")
    args = ap.parse_args()
    py = sys.executable
    times = {"data": check_data()}
    times["teacher"] = run("teacher", [py, str(HERE / "build_teacher.py"), "--train"])
    times["teacher sibling"] = run("teacher", [py, str(HERE / "build_teacher.py"), "--out", str(SIBLING / "teacher")])
    for name, proj in (("distill", HERE), ("distill", SIBLING)):
        times[f"{name} {proj.name}"] = run(name, [py, "-m", "harness", "distill", str(proj)])
    if not args.no_eval:
        times["eval"] = run("eval", [py, "-m", "harness", "eval", str(HERE), "--gate", "--quiet"])
        times["eval sibling"] = run("eval", [py, "-m", "harness", "eval", str(SIBLING), "--gate", "--quiet"], expect=1)
        times["validate"] = run("validate", [py, "-m", "harness", "validate", str(HERE)])
        times["validate sibling"] = run("validate", [py, "-m", "harness", "validate", str(SIBLING)])
    print(f"total {sum(times.values()):.1f} s")


if __name__ == "__main__":
    main()
