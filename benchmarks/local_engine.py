"""Benchmark of the local engine on a fixed mixed set at concurrency 1, 4 and 16 (issue 20: no stall).

    python benchmarks/local_engine.py [--baseline DIR] [--repeats 1] [--step-tokens 32] [--json out.json]

The set (16 trajectories, greedy, DeepMath-nano = SmolLM2-135M + the shipped LoRA, its own prompt):
  * in-distribution: nano-val questions, one per family, cycled (8);
  * off-distribution: DeepMind-Mathematics-style questions written here (5);
  * long tool output: in-distribution questions whose tool output is `--long-chars` characters of
    printed numbers, a context of a few thousand tokens (3).
A trajectory is what the agent sends: a first call that stops at `</tool_call>` or after
`--step-tokens`, the tool output appended as the agent appends it, a second call on the whole
sequence. At concurrency N, N trajectories run at a time (a semaphore), as `Agent.run_many` does.
Each engine runs in its own subprocess (so the peak resident memory, VmHWM, is its own): this
checkout's LocalBackend, and with `--baseline DIR` the LocalBackend of another checkout (e.g. the
main branch before a change), both with `from_pretrained` defaults, in the same run. Figures: wall
and CPU time (user + system of the engine's process: what the work costs whatever else loads the
machine) of the whole set (medians over `--repeats`), median trajectory latency, speed-up over concurrency 1,
peak RSS, and how many trajectories' tokens equal the engine's own concurrency-1 run and the first
engine's. The load average is printed: the machine may be shared.
Targets (issue 20): concurrency 16 never slower than 1, >= 3x faster; peak RSS < 3 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")
# keep the benchmarks folder off the import path (its files are named like the package's modules)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

OFF_DISTRIBUTION = [
    "Let f(x) = 3*x**2 - 2*x + 7. What is f(-4)?",
    "Solve 5*t + 3 = 2*t - 18 for t.",
    "What is the third derivative of -2*w**5 + 4*w**3 - w wrt w?",
    "Calculate the greatest common divisor of 1386 and 4620.",
    "Let a = 0.31 - 0.21. Which is the biggest value? (a) 2/7 (b) a (c) -3",
]
CONCURRENCY = (1, 4, 16)


def build_set(long_chars: int) -> dict:
    """Token ids of every trajectory's prompt and tool output (built once, here, for every engine)."""
    from agent_client import Agent, AgentConfig
    from agent_client.agent import OUTPUT_TEMPLATE
    from agent_client.default_model import adapter_meta, default_model_dir, nano_adapter, nano_model_dir
    from eval.families import generate
    from transformers import AutoTokenizer

    adapter = nano_adapter()
    model = nano_model_dir(adapter, default_model_dir())
    tok = AutoTokenizer.from_pretrained(str(model))
    version = adapter_meta(adapter).get("prompt_version")
    cfg = AgentConfig(**({"prompt_version": version} if version else {}))

    class _NoTools:  # the prompt only; the trajectories append their tool outputs themselves
        async def run(self, code, session_id, timeout_s=None): ...
        async def reset_session(self, session_id): ...

    agent = Agent(None, _NoTools(), tok, cfg)
    picked, families = [], {}
    for item in generate("val"):
        if families.get(item.family, 0) < 2:
            families[item.family] = families.get(item.family, 0) + 1
            picked.append(item.problem)
    in_dist = picked[:11]
    numbers = " ".join(str(i) for i in range(10_000))[:long_chars]
    rows = ([(q, "in", "42") for q in in_dist[:8]] + [(q, "off", "42") for q in OFF_DISTRIBUTION]
            + [(q, "long", numbers) for q in in_dist[8:11]])
    return {"model": str(model), "rows": [
        {"kind": kind, "prompt": agent.prompt_ids(q),
         "tool": tok.encode(OUTPUT_TEMPLATE.format(text=out), add_special_tokens=False)} for q, kind, out in rows]}


# -- the worker: one engine, every concurrency ------------------------------------------------------------
def worker(spec_path: Path) -> None:
    import anyio

    from agent_client import LocalBackend

    spec = json.loads(spec_path.read_text())
    backend = LocalBackend.from_pretrained(spec["model"])
    rows, step = spec["rows"], spec["step_tokens"]
    kw = dict(max_tokens=step, temperature=0.0, top_p=1.0, stop=["</tool_call>"])

    async def run_set(concurrency: int) -> tuple[float, float, list[float], list[list[int]]]:
        limit = anyio.Semaphore(concurrency)
        lat: list[float] = [0.0] * len(rows)
        toks: list[list[int]] = [[] for _ in rows]

        async def one(i: int) -> None:
            async with limit:
                t = time.perf_counter()
                g1 = await backend.generate(rows[i]["prompt"], **kw)
                g2 = await backend.generate(rows[i]["prompt"] + g1.token_ids + rows[i]["tool"], **kw)
                lat[i], toks[i] = time.perf_counter() - t, g1.token_ids + [-1] + g2.token_ids

        t0, c0 = time.perf_counter(), time.process_time()
        async with anyio.create_task_group() as tg:
            for i in range(len(rows)):
                tg.start_soon(one, i)
        return time.perf_counter() - t0, time.process_time() - c0, lat, toks

    out: dict = {}
    for c in CONCURRENCY:
        walls, cpus, lats = [], [], []
        for _ in range(spec["repeats"]):
            backend.clear_cache()  # every run starts cold: no run reuses another's sequences
            wall, cpu, lat, toks = anyio.run(run_set, c)
            walls.append(wall)
            cpus.append(cpu)
            lats.append(statistics.median(lat))
            print(f"    concurrency {c:>2}: wall {wall:6.1f} s, CPU {cpu:6.1f} s, median trajectory {lats[-1]:6.1f} s "
                  f"(load average {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
        out[c] = {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus),
                  "median_traj_s": statistics.median(lats), "tokens": toks}
    status = Path("/proc/self/status").read_text()
    out["peak_rss_gb"] = int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1]) / 1e6
    print(json.dumps(out), flush=True)
    sys.stderr.flush()
    os._exit(0)  # skip interpreter teardown: torch's threads can abort it once the figures are out


def run_engine(name: str, checkout: Path, spec: Path) -> dict:
    print(f"  {name} ({checkout}):", flush=True)
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, __file__, "--worker", str(spec)], env=env, stdout=subprocess.PIPE,
                          text=True, check=True)
    res = json.loads(done.stdout.strip().splitlines()[-1])
    return {int(k) if k.isdigit() else k: v for k, v in res.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", metavar="DIR", type=Path, help="also run the LocalBackend of this checkout")
    ap.add_argument("--repeats", type=int, default=1, help="runs per concurrency (the median is reported)")
    ap.add_argument("--step-tokens", type=int, default=32, help="max tokens per model call")
    ap.add_argument("--long-chars", type=int, default=2000, help="characters of the long tool outputs (~1 token each)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker)
    here = _HERE.parent
    engines = {"this checkout": here}
    if args.baseline is not None:
        if not (args.baseline / "agent_client" / "local_backend.py").is_file():
            raise SystemExit(f"--baseline {args.baseline}: not a DeepMath checkout")
        engines["baseline"] = args.baseline.resolve()
    spec = build_set(args.long_chars)
    spec.update(step_tokens=args.step_tokens, repeats=args.repeats)
    kinds = [r["kind"] for r in spec["rows"]]
    lens = {k: [len(r["prompt"]) + len(r["tool"]) for r in spec["rows"] if r["kind"] == k] for k in set(kinds)}
    print(f"DeepMath-nano, {len(kinds)} trajectories ({', '.join(f'{kinds.count(k)} {k}' for k in ('in', 'off', 'long'))}; "
          f"prompt + tool tokens: {', '.join(f'{k} {min(v)}-{max(v)}' for k, v in sorted(lens.items()))}), "
          f"<= {args.step_tokens} tokens per call, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
          flush=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.json"
        path.write_text(json.dumps(spec))
        results = {name: run_engine(name, checkout, path) for name, checkout in engines.items()}
    first = results["this checkout"][1]["tokens"]
    print(f"{'engine':<14} {'conc':>4} {'wall s':>7} {'CPU s':>7} {'median traj s':>14} {'speed-up wall':>14} "
          f"{'speed-up CPU':>13} {'same as c=1':>12} {'same as first':>14}")
    for name, res in results.items():
        for c in CONCURRENCY:
            r = res[c]
            same_own = sum(a == b for a, b in zip(r["tokens"], res[1]["tokens"], strict=True))
            same_first = sum(a == b for a, b in zip(r["tokens"], first, strict=True))
            print(f"{name:<14} {c:>4} {r['wall_s']:7.1f} {r['cpu_s']:7.1f} {r['median_traj_s']:14.1f} "
                  f"{res[1]['wall_s'] / r['wall_s']:13.2f}x {res[1]['cpu_s'] / r['cpu_s']:12.2f}x "
                  f"{same_own:>6}/{len(first):<5} {same_first:>7}/{len(first):<6}")
        print(f"{name:<14} peak RSS {res['peak_rss_gb']:.2f} GB")
    if "baseline" in results:
        for c in CONCURRENCY:
            new, old = results["this checkout"][c], results["baseline"][c]
            print(f"concurrency {c:>2}: this checkout vs baseline: {old['wall_s'] / new['wall_s']:.2f}x less wall, "
                  f"{old['cpu_s'] / new['cpu_s']:.2f}x less CPU")
    print(f"load average at the end {os.getloadavg()[0]:.1f}; wall {time.perf_counter() - t0:.0f} s")
    if args.json:
        for res in results.values():
            for c in CONCURRENCY:
                res[c].pop("tokens")
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
