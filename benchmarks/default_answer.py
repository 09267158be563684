"""Benchmark of the offline default: how long `deepmath-agent "<question>"` takes, as a user runs it.

    python benchmarks/default_answer.py [--rounds 3] [--questions 4] [--baseline DIR] [--json out.json]

Each measurement is a fresh `deepmath-agent --json --seed N "<question>"` process, exactly the README's
run command: Python start-up, model and LoRA load, the sandbox server's start, the agent's run. Two
figures per run:
  * wall: the process's wall time, from spawn to exit (what the user waits for; model load included);
  * run: the trajectory's own `timings.wall_s` (the agent loop once everything is loaded).
Rows, alternated within every round so all see the same machine: the default (DeepMath-nano, the
shipped LoRA), `--bare` (the same base model without the LoRA, so the ratio says what the adapter
costs) and, with `--baseline DIR`, the default as another checkout (an older commit) runs it, with this
environment's Python (`python -m agent_client.cli` in DIR): the before/after of a start-up change. Questions: the README's, then nano-val problems (never nano-test), one per family.
Medians over rounds x questions; the load average is printed because the machine may be shared.
Targets (issue 9): wall <= 15 s on 2 cores, run <= 5 s once loaded. The CLI runs torch on 1 thread
(`OMP_NUM_THREADS=1`), its default.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

# keep the benchmarks folder off the import path (its files are named like the package's modules)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

README_QUESTION = "What is the sum of the first 100 positive integers?"


def questions(n: int) -> list[str]:
    from eval.families import generate

    picked, families = [README_QUESTION], set()
    for item in generate("val"):
        if item.family not in families and len(picked) < n:
            families.add(item.family)
            picked.append(item.problem)
    return picked


def run_once(exe: list[str], question: str, seed: int, bare: bool,
             cwd: Path | None = None) -> dict[str, float | str | None]:
    argv = [*exe, "--json", "--seed", str(seed), *(["--bare"] if bare else []), question]
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    traj = json.loads(done.stdout)
    return {"wall_s": wall, "run_s": traj["timings"]["wall_s"], "answer": traj.get("answer"),
            "tool_calls": traj.get("tool_calls")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="rounds; each runs every question in both rows")
    ap.add_argument("--questions", type=int, default=4, help="the README question plus this many minus one nano-val ones")
    ap.add_argument("--baseline", metavar="DIR", type=Path,
                    help="also run the default as this checkout (e.g. a git worktree of an older commit) runs it")
    ap.add_argument("--no-bare", action="store_true", help="leave out the --bare row (each of its runs takes ~40 s)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    exe = shutil.which("deepmath-agent")
    if exe is None:
        raise SystemExit("deepmath-agent is not on PATH: activate the environment it is installed in")
    if args.baseline is not None and not (args.baseline / "agent_client" / "cli.py").is_file():
        raise SystemExit(f"--baseline {args.baseline}: not a DeepMath checkout (no agent_client/cli.py)")
    qs = questions(args.questions)
    how = {"default": ([exe], False, None), "bare": ([exe], True, None),
           "baseline": ([sys.executable, "-m", "agent_client.cli"], False, args.baseline)}
    names = ["default", *([] if args.no_bare else ["bare"]), *(["baseline"] if args.baseline else [])]
    rows: dict[str, list[dict]] = {name: [] for name in names}
    print(f"load average before: {os.getloadavg()[0]:.2f}; {len(qs)} questions x {args.rounds} rounds", flush=True)
    for r in range(args.rounds):
        for i, q in enumerate(qs):
            shift = (r + i) % len(names)
            for name in names[shift:] + names[:shift]:  # rotated: no row always goes first
                cmd, bare, cwd = how[name]
                m = run_once(cmd, q, seed=r + 1, bare=bare, cwd=cwd)
                rows[name].append(m)
                print(f"  round {r + 1} q{i} {name:8s} wall {m['wall_s']:5.1f} s  run {m['run_s']:5.1f} s  "
                      f"tool calls {m['tool_calls']}  answer {m['answer']!r}", flush=True)
    summary = {}
    for name, ms in rows.items():
        summary[name] = {"wall_s": statistics.median(m["wall_s"] for m in ms),
                         "run_s": statistics.median(m["run_s"] for m in ms), "n": len(ms)}
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"{'row':8s} {'median wall s':>14s} {'median run s':>13s}")
    for name, s in summary.items():
        print(f"{name:8s} {s['wall_s']:14.1f} {s['run_s']:13.1f}")
    for other in names[1:]:
        print(f"ratio default/{other}: wall {summary['default']['wall_s'] / summary[other]['wall_s']:.2f}, "
              f"run {summary['default']['run_s'] / summary[other]['run_s']:.2f}")
    first = [rows["default"][k] for k in range(0, len(rows["default"]), len(qs))]
    print(f"README question, default: median wall {statistics.median(m['wall_s'] for m in first):.1f} s, "
          f"run {statistics.median(m['run_s'] for m in first):.1f} s, answers {[m['answer'] for m in first]}")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "runs": rows, "questions": qs}, indent=2))


if __name__ == "__main__":
    main()
