"""Sandbox benchmark: medians and ratios, all measured in this one run.

    python benchmarks/sandbox.py [--n 30] [--baseline /path/to/other/checkout [--rounds 3]]

Figures: fresh isolated call (trivial; a sympy integrate), warm session call, cold process start to
first result (cache warm; wall and CPU time), RSS per extra live session, deadline overshoot (a loop, an unpatched
sleep, a 100 MiB write), host RSS left after fresh 150 MB calls; baselines: a
`python -c` subprocess doing the same sympy work (what a naive process sandbox costs) and
in-process `exec` (the floor, no isolation at all).

With `--baseline DIR` (another checkout with its own `.venv`, e.g. main before a change) only the
call figures and the cold start are measured, for this checkout and the baseline in alternating child processes
(`--rounds` each), and printed as medians over rounds with their ratio to the baseline (issue 10:
no regression above 10 %). Alternating series share whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

SYMPY = "import sympy as sp\nx = sp.Symbol('x')\nsp.factor(x**4 - 1)"
INTEGRATE = "import sympy as sp\nx = sp.Symbol('x')\nsp.integrate(x**2 * sp.sin(x), x)"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def median_ms(fn, n: int) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e3)
    return statistics.median(samples)


CALL_FIGURES = ("fresh isolated call, trivial", "fresh isolated call, sympy factor", "warm session call, trivial",
                "warm session call, sympy integrate", "cold process start to first result (cache warm)",
                "cold process start, CPU time (user + system)", "snapshot load in a new process (checks + map)")
SNAPSHOT_LOAD = ("import os, time\nfrom wasm_sandbox import runtime, snapshot\nengine = runtime._make_engine()\n"
                 "t = time.perf_counter()\nsnapshot.compiled_snapshot(engine, runtime.ENGINE_DESC)\n"
                 "print((time.perf_counter() - t) * 1e3, flush=True)\nos._exit(0)")


def cold_start_ms(k: int = 5) -> tuple[float, float]:
    """`deepmath-sandbox run` in a new process, to its printed result (the snapshot already compiled):
    median wall time and median CPU time of the child (the latter does not depend on how busy a shared
    machine is)."""
    import resource

    walls, cpus = [], []
    for _ in range(k):
        before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run([sys.executable, "-m", "wasm_sandbox.cli", "run", SYMPY], check=True, capture_output=True)
        walls.append((time.perf_counter() - t) * 1e3)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1e3)
    return statistics.median(walls), statistics.median(cpus)


def snapshot_load_ms(k: int = 9) -> float:
    """`compiled_snapshot` alone (the image's and the snapshot's checks, then the mapping), each time
    in a new process as at a cold start, without the interpreter's own start-up: median."""
    return statistics.median(float(subprocess.run([sys.executable, "-c", SNAPSHOT_LOAD], check=True, capture_output=True,
                                                  text=True).stdout) for _ in range(k))


def call_figures(n: int) -> dict[str, float]:
    """The per-call figures and the cold start, with only the API every version of the sandbox has."""
    from wasm_sandbox import Limits, Sandbox

    sb = Sandbox(Limits(pool_size=2))
    assert sb.run(SYMPY).status == "ok"
    time.sleep(0.5)  # let the pool fill
    sb.run("a = 1", session_id="bench")
    out = dict(zip(CALL_FIGURES, (median_ms(lambda: sb.run("1 + 1"), n), median_ms(lambda: sb.run(SYMPY), n),
                                  median_ms(lambda: sb.run("a + 1", session_id="bench"), n * 10),
                                  median_ms(lambda: sb.run(INTEGRATE, session_id="bench"), n))))
    sb.close()
    out[CALL_FIGURES[-3]], out[CALL_FIGURES[-2]] = cold_start_ms()
    out[CALL_FIGURES[-1]] = snapshot_load_ms()
    return out


def compare(baseline: str, n: int, rounds: int) -> None:
    import json
    from pathlib import Path

    base = Path(baseline).resolve()
    python = base / ".venv" / "bin" / "python"
    if not python.exists():
        sys.exit(f"--baseline {baseline}: no .venv/bin/python there")
    sides = {"this checkout": ([sys.executable], Path(__file__).resolve().parent.parent), "baseline": ([str(python)], base)}
    got: dict[str, list[dict[str, float]]] = {k: [] for k in sides}
    for r in range(rounds):
        for side, (exe, cwd) in (sides.items() if r % 2 == 0 else reversed(sides.items())):
            out = subprocess.run([*exe, __file__, "--core", "--n", str(n)], cwd=cwd, check=True, capture_output=True,
                                 text=True, env={**os.environ, "PYTHONPATH": str(cwd)})
            got[side].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1}/{rounds} {side}: " + ", ".join(f"{v:.2f}" for v in got[side][-1].values()), flush=True)
    print(f"\nmedians over {rounds} rounds of {n} samples; load average {os.getloadavg()[0]:.1f}; baseline {base}")
    width = max(map(len, CALL_FIGURES))
    print(f"  {'figure':<{width}}  {'this ms':>9} {'baseline ms':>11} {'ratio':>6}")
    for name in CALL_FIGURES:
        mine = statistics.median(g[name] for g in got["this checkout"])
        theirs = statistics.median(g[name] for g in got["baseline"])
        print(f"  {name:<{width}}  {mine:9.2f} {theirs:11.2f} {mine / theirs:6.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30, help="samples per figure")
    ap.add_argument("--baseline", metavar="DIR", help="another checkout (with .venv) to compare the call figures with")
    ap.add_argument("--rounds", type=int, default=3, help="with --baseline: alternating series per side")
    ap.add_argument("--core", action="store_true", help=argparse.SUPPRESS)  # one series, as JSON (for --baseline)
    args = ap.parse_args()
    n = args.n
    if args.core:
        import json

        print(json.dumps(call_figures(n)))
        return
    if args.baseline:
        compare(args.baseline, n, args.rounds)
        return
    from wasm_sandbox import Limits, Sandbox

    t = time.perf_counter()
    sb = Sandbox(Limits(pool_size=2))
    print(f"sandbox ready (cache warm) in {(time.perf_counter() - t) * 1e3:.0f} ms")
    assert sb.run(SYMPY).status == "ok"
    time.sleep(0.5)  # let the pool fill
    rows = []
    fresh_trivial = median_ms(lambda: sb.run("1 + 1"), n)
    fresh_sympy = median_ms(lambda: sb.run(SYMPY), n)
    fresh_integrate = median_ms(lambda: sb.run(INTEGRATE), n)
    sb.run("a = 1", session_id="bench")
    warm = median_ms(lambda: sb.run("a + 1", session_id="bench"), n * 10)
    warm_sympy = median_ms(lambda: sb.run(INTEGRATE, session_id="bench"), n)

    import sympy  # noqa: F401  (the floor: same work, same process, no isolation)
    code = compile(SYMPY, "<bench>", "exec")
    floor = median_ms(lambda: exec(code, {}), n)
    sub = median_ms(lambda: subprocess.run([sys.executable, "-c", SYMPY], check=True), max(5, n // 5))
    cold, cold_cpu = cold_start_ms()

    overshoot = []
    for _ in range(max(5, n // 3)):
        r = sb.run("while True: pass", timeout_s=0.5)
        assert r.status == "timeout"
        overshoot.append(r.duration_ms - 500)

    def overshoot_ms(code: str, deadline: float, setup: str = "pass", k: int = 3) -> float:
        samples = []
        for i in range(k):
            sb.run(setup, session_id=f"over-{i}")  # e.g. build a buffer, outside the timed call
            t = time.perf_counter()
            sb.run(code, session_id=f"over-{i}", timeout_s=deadline)
            samples.append((time.perf_counter() - t - deadline) * 1e3)
        return statistics.median(samples)

    sleep_over = overshoot_ms("__import__.__globals__['_real_sleep'](3)", 0.5)
    write_over = overshoot_ms("while True: os.write(1, b)", 0.3,
                              setup="import random\nos = random._os\nb = b'x' * (100 << 20)")
    import gc

    gc.collect()
    gc.disable()  # memory must come back without the cyclic collector
    base = rss_mb()
    for _ in range(5):
        sb.run("b = b'x' * (150 * 10**6)")
    if hasattr(sb, "wait_released"):  # the reaper thread closes dropped instances (newer sandbox)
        sb.wait_released()
    rss_left = rss_mb() - base
    gc.enable()

    before = rss_mb()
    for i in range(20):
        sb.run("v = list(range(1000))", session_id=f"rss-{i}")
    per_session = (rss_mb() - before) / 20

    rows += [
        ("fresh isolated call, trivial", fresh_trivial, "ms"),
        ("fresh isolated call, sympy factor", fresh_sympy, "ms"),
        ("fresh isolated call, sympy integrate", fresh_integrate, "ms"),
        ("warm session call, trivial", warm, "ms"),
        ("warm session call, sympy integrate", warm_sympy, "ms"),
        ("baseline: in-process exec, sympy factor (floor)", floor, "ms"),
        ("baseline: python -c subprocess, sympy factor", sub, "ms"),
        ("cold process start to first result (cache warm)", cold, "ms"),
        ("cold process start, CPU time (user + system)", cold_cpu, "ms"),
        ("deadline overshoot (0.5 s deadline)", statistics.median(overshoot), "ms"),
        ("overshoot: unpatched sleep(3), 0.5 s deadline", sleep_over, "ms"),
        ("overshoot: 100 MiB writes, 0.3 s deadline", write_over, "ms"),
        ("RSS left after 5 fresh 150 MB calls (no gc)", rss_left, "MB"),
        ("RSS per extra live session", per_session, "MB"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\nmedians over {n} samples (pid {os.getpid()}, {os.cpu_count()} cpus)")
    for name, value, unit in rows:
        print(f"  {name:<{width}}  {value:9.2f} {unit}")
    print(f"\n  subprocess / fresh sandbox (sympy factor): {sub / fresh_sympy:6.1f}x faster in the sandbox")
    print(f"  fresh sandbox / in-process exec (sympy factor): {fresh_sympy / floor:6.2f}x the floor")
    print(f"  max deadline overshoot: {max(overshoot):.1f} ms")
    sb.close()


if __name__ == "__main__":
    main()
