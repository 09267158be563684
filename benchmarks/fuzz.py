"""The fuzz tests at a long budget: random (not derandomized) examples, `--scale` times the CI count.

    python benchmarks/fuzz.py [--scale 20] [--seed N] [--only run|stdio|http]

Runs tests/sandbox/test_fuzz_run.py and tests/mcp/test_fuzz_frames.py under pytest with
DEEPMATH_FUZZ_SCALE set (see tests/support/fuzz.py) and prints, per test, how many examples
passed, failed and were rejected, the outcome counts each test labels (statuses, HTTP codes,
frame kinds), and the wall time. A failure prints Hypothesis' minimal failing example and the seed
to reproduce it (`--seed`). The exit status is pytest's.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMES = "tests/mcp/test_fuzz_frames.py::"
TESTS = {
    "run": ["tests/sandbox/test_fuzz_run.py"],
    "stdio": [FRAMES + "test_random_frames_over_stdio"],
    "http": [FRAMES + "test_random_requests_over_http"],
}
COUNTS = re.compile(r"(\d+) passing, (\d+) failing, and (\d+) invalid")


def summarise(output: str) -> None:
    """Print the per-test counts from pytest's `--hypothesis-show-statistics` section."""
    stats = output.split("Hypothesis Statistics", 1)[-1]
    for block in re.split(r"\n(?=tests/)", stats):
        if not block.startswith("tests/"):
            continue
        name = block.splitlines()[0].strip().rstrip(":")
        counts = [tuple(map(int, m)) for m in COUNTS.findall(block)]
        passing, failing, invalid = (sum(c[i] for c in counts) for i in range(3))
        print(f"{name.split('::')[-1]}: {passing} passing, {failing} failing, {invalid} rejected examples")
        for line in block.splitlines():
            event = re.match(r"\s*\* ([\d.]+)%, (.+)", line)
            if event and not event.group(2).startswith(("Retried draw", "Draw for")):
                print(f"    {event.group(1):>6}%  {event.group(2)}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=int, default=20, help="examples = scale x the CI count (default %(default)s)")
    p.add_argument("--seed", type=int, default=None, help="Hypothesis seed (default: a random one)")
    p.add_argument("--only", choices=sorted(TESTS), action="append", help="run only these parts")
    args = p.parse_args()
    targets = [node for part in (args.only or sorted(TESTS)) for node in TESTS[part]]
    env = {**os.environ, "DEEPMATH_FUZZ_SCALE": str(args.scale), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics", *targets]
    if args.seed is not None:
        cmd.append(f"--hypothesis-seed={args.seed}")
    print(f"scale {args.scale}: {' '.join(cmd[3:])}", flush=True)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    summarise(proc.stdout)
    if proc.returncode != 0:
        print(proc.stdout[-20000:], proc.stderr[-5000:], sep="\n")
    print(f"pytest exit status {proc.returncode}; wall time {wall:.0f} s")
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
