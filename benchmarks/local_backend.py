"""Benchmark of the in-process backend: batched vs serial generation on the real SmolLM2-135M.

    python benchmarks/local_backend.py [--threads 1 2] [--repeats 3] [--quick] [--json out.json]

What is measured, all in one run and on one model object (per torch thread count):
  * serial: concurrent trajectories served one call at a time (`max_batch=1`, what `LocalBackend`
    did before batching). Its tokens/s does not depend on how many trajectories wait, so it is run
    with 2 of them.
  * batched: 1, 4 and 16 concurrent trajectories, calls batched up to 16 rows (the default).
  * prefix cache: a call on a new question with the shared system prompt taken from the prefix KV
    cache vs recomputed (`kv_cache_slots=0`): why batches reuse the cache too.
A trajectory is what the agent sends: the real agent prompt (`--mode`, `--prompt-version`; the v1
few-shot tool prompt is ~1,150 tokens, the plain one ~60) for its own question, a first call
that stops at `</tool_call>` or after `--step-tokens`, a fixed tool-output block appended, and a
second call on the whole sequence. Every run has its own questions, so it reuses only the system
prompt from the cache, never another run's sequences. Decoding is greedy (tests check that batched
and serial greedy tokens agree). tokens/s = generated tokens / wall time of the run; medians over
`--repeats`. The load average is printed: the machine is shared.
Target (issue 9): batched >= 4x serial at 16 trajectories.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# this file is named like a module of the package it measures: keep its own folder off the import path
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import anyio  # noqa: E402
import torch  # noqa: E402

from agent_client import Agent, AgentConfig, LocalBackend  # noqa: E402
from agent_client.agent import tool_output  # noqa: E402
from agent_client.default_model import default_model_dir  # noqa: E402

def questions():
    """An endless supply of distinct questions: no run finds another run's sequences in the prefix cache
    (they share only the system prompt, as different problems of one eval or rollout batch do)."""
    rng = random.Random(0)
    seen = set()
    while True:
        q = f"What is {rng.randint(10, 999)} * {rng.randint(10, 99)} + {rng.randint(1, 50)}?"
        if q not in seen:
            seen.add(q)
            yield q


def agent_prompts(tok, source, n: int, cfg: AgentConfig) -> list[list[int]]:
    class _NoTools:  # the prompt only; the trajectories below append a fixed tool output themselves
        async def run(self, code, session_id, timeout_s=None): ...
        async def reset_session(self, session_id): ...

    agent = Agent(None, _NoTools(), tok, cfg)
    return [agent.prompt_ids(next(source)) for _ in range(n)]


async def trajectories(backend: LocalBackend, prompts: list[list[int]], step_tokens: int) -> tuple[int, float]:
    """Run one two-call trajectory per prompt, all at once; (generated tokens, wall seconds)."""
    tool = tool_output(backend.tokenizer, "42", None)[1]  # as the loop appends a tool result
    kw = dict(max_tokens=step_tokens, temperature=0.0, top_p=1.0, stop=["</tool_call>"])
    outs: list = [None] * len(prompts)

    async def one(i: int) -> None:
        g1 = await backend.generate(prompts[i], **kw)
        g2 = await backend.generate(prompts[i] + g1.token_ids + tool, **kw)
        outs[i] = (g1.token_ids, g2.token_ids)

    t0 = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for i in range(len(prompts)):
            tg.start_soon(one, i)
    wall = time.perf_counter() - t0
    return sum(len(a) + len(b) for a, b in outs), wall


async def measure(backend: LocalBackend, source, args, prefix_check: bool) -> dict:
    res: dict = {}

    async def rate(name: str, n: int, max_batch: int) -> None:
        backend.max_batch = max_batch
        runs = []
        for _ in range(args.repeats):
            toks, wall = await trajectories(backend, agent_prompts(backend.tokenizer, source, n, args.cfg), args.step_tokens)
            runs.append(toks / wall)
        res[name] = statistics.median(runs)
        print(f"    {name:<12} {res[name]:7.1f} tok/s  (runs: {', '.join(f'{r:.1f}' for r in runs)})", flush=True)

    await rate("serial", 2, 1)
    for n in (1, 4, 16):
        await rate(f"batched x{n}", n, 16)
    if prefix_check:  # one new question: system prompt from the prefix cache vs recomputed
        for name, slots in (("cached", backend.kv_cache_slots), ("recomputed", 0)):
            keep, backend.kv_cache_slots = backend.kv_cache_slots, slots
            prompt = agent_prompts(backend.tokenizer, source, 1, args.cfg)[0]
            t0 = time.perf_counter()
            await backend.generate(prompt, max_tokens=4, temperature=0.0, top_p=1.0, stop=[])
            res[f"new question, prefix {name} s"] = time.perf_counter() - t0
            backend.kv_cache_slots = keep
            print(f"    one new question (4 tokens), system prompt {name}: {res[f'new question, prefix {name} s']:.1f} s")
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts to measure")
    ap.add_argument("--repeats", type=int, default=3, help="runs per figure (the median is reported)")
    ap.add_argument("--step-tokens", type=int, default=24, help="max tokens per model call")
    ap.add_argument("--mode", choices=["agent", "plain"], default="agent",
                    help="agent: the few-shot tool prompt (long); plain: the short plain-mode system prompt")
    ap.add_argument("--prompt-version", default=None, help="prompt version (default: the agent's default)")
    ap.add_argument("--quick", action="store_true", help="one repeat, one thread count (a smoke run)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    args.cfg = AgentConfig(mode=args.mode, **({} if args.prompt_version is None else
                                               {"prompt_version": args.prompt_version}))
    if args.quick:
        args.repeats, args.threads = 1, args.threads[:1]
    backend = LocalBackend.from_pretrained(default_model_dir(), kv_cache_slots=32)
    source = questions()
    warm = agent_prompts(backend.tokenizer, source, 1, args.cfg)[0]
    print(f"SmolLM2-135M, {args.mode} prompt {len(warm)} tokens, <= {args.step_tokens} tokens per call, 2 calls per "
          f"trajectory, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    t0 = time.perf_counter()
    anyio.run(lambda: backend.generate(warm, max_tokens=1, temperature=0.0, top_p=1.0, stop=[]))
    print(f"  warm-up (the system prompt into the prefix cache): {time.perf_counter() - t0:.1f} s", flush=True)
    results = {}
    for k, threads in enumerate(args.threads):
        torch.set_num_threads(threads)
        print(f"  torch threads = {threads} (load average {os.getloadavg()[0]:.1f})", flush=True)
        res = anyio.run(measure, backend, source, args, k == 0)
        for n in (1, 4, 16):
            print(f"    batched x{n:<2} / serial: {res[f'batched x{n}'] / res['serial']:5.2f}x")
        results[threads] = res
    print(f"  load average at the end {os.getloadavg()[0]:.1f}; wall {time.perf_counter() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
