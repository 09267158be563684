"""Benchmark of the agent client: per-step overhead and throughput against a loopback load generator.

    OMP_NUM_THREADS=1 python benchmarks/agent_client.py [--quick] [--json out.json] [--baseline /work/main]

What is measured, all in one run:
  * raw round trip: a minimal keep-alive HTTP client (http.client) replaying the very request bodies the
    agent sent, one at a time — the floor any client pays for the same requests.
  * client overhead per step: (trajectory wall − tool time) / requests, at concurrency 1, minus the raw
    round trip. It includes JSON encoding of the growing token-id prompt (orjson), the HTTP client
    (aiohttp), decoding the new tokens, segmenting, tokenizing the tool output and the pydantic trajectory.
  * trajectories/s at 1, 16, 64 concurrent trajectories (Agent.run_many), as requests/s next to the load
    generator's own limit: the requests/s a minimal asyncio client with 64 keep-alive connections gets
    from the same server with the same bodies.
  * MCP round trip of a trivial snippet through the real deepmath-mcp (streamable HTTP) minus the
    sandbox's own duration: the protocol cost of a tool call, reported separately.
To measure the client and not the sandbox, the throughput runs use `InstantExecutor` (below), which
answers every snippet at once with a fixed output; the MCP figure covers the real tool path.
The load generator is the test double tests/support/scripted_server.py in its own process (a
scripted policy: it plays a fixed tool-using trajectory), so client and server each get one of the
two cores. Targets: overhead <= 2 ms per step; throughput at 64 >= 80% of the generator's limit.

Before/after in one command: `--baseline DIR` first runs this file with another checkout's
interpreter (`--baseline-python`, default DIR/.venv/bin/python), whose installed `agent_client` is
the "before"; then the same measurement with this tree's client, and prints both side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# this file is named like the package it measures: keep its own folder off the import path
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent / "tests"))  # support.tiny_model, support.net

import anyio  # noqa: E402
from support.net import free_port, wait_port  # noqa: E402

from agent_client import Agent, AgentConfig, OpenAIBackend, ToolResult  # noqa: E402

EOS = "<|im_end|>"
SCRIPT = [
    "I will set up the computation.\n<tool_call>\nfrom fractions import Fraction\nx = Fraction(3, 7)\nprint(x)\n</tool_call>",
    "Now square it and add one.\n<tool_call>\ny = x * x + 1\nprint(y)\n</tool_call>",
    "Check the denominator.\n<tool_call>\ny.denominator\n</tool_call>",
    "So the result is \\boxed{\\frac{58}{49}}." + EOS,
]
TOOL_OUTPUT = "58/49"


class InstantExecutor:
    """A ToolExecutor that answers at once (no sandbox): isolates the client's own cost."""

    async def run(self, code: str, session_id: str, timeout_s: float | None = None) -> ToolResult:
        return ToolResult(status="ok", text=TOOL_OUTPUT, latency_ms=0.0)

    async def reset_session(self, session_id: str) -> None:
        return None


class RecordingBackend:
    """Keeps the request bodies the agent sent, so the raw client can replay exactly the same bytes."""

    def __init__(self, inner: OpenAIBackend):
        self.inner, self.prompts, self.calls, self.cpu_s = inner, [], 0, 0.0

    async def generate(self, prompt_ids: list[int], **kw: Any):
        self.calls += 1
        if len(self.prompts) < 400:
            self.prompts.append((list(prompt_ids), kw))
        return await self.inner.generate(prompt_ids, **kw)


def body_for(model: str, prompt: list[int], kw: dict[str, Any]) -> bytes:
    body = {"model": model, "prompt": prompt, "max_tokens": kw["max_tokens"], "temperature": kw["temperature"],
            "top_p": kw["top_p"], "logprobs": 0, "return_token_ids": True, "include_stop_str_in_output": True,
            "skip_special_tokens": False}
    if kw["stop"]:
        body["stop"] = kw["stop"]
    return json.dumps(body).encode()


def raw_round_trips(port: int, bodies: list[bytes], repeat: int = 3) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    out = []
    for _ in range(repeat):
        for b in bodies:
            t = time.perf_counter()
            conn.request("POST", "/v1/completions", body=b, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            out.append(time.perf_counter() - t)
            assert r.status == 200, r.status
    conn.close()
    return out


async def raw_limit(port: int, bodies: list[bytes], connections: int = 64, total: int = 3000) -> float:
    """Requests/s from `connections` minimal keep-alive clients (asyncio streams) replaying `bodies`."""
    heads = [b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
             % len(b) + b for b in bodies]
    counter = iter(range(total))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in counter:
            writer.write(heads[i % len(heads)])
            head = await reader.readuntil(b"\r\n\r\n")
            n = int(next(ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")))
            await reader.readexactly(n)
        writer.close()

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return total / (time.perf_counter() - t)


async def agent_runs(base_url: str, tok: Any, concurrency: int, n: int, record: bool = False):
    backend = OpenAIBackend(base_url, model="scripted", max_connections=max(64, concurrency))
    be = RecordingBackend(backend) if record else backend
    agent = Agent(be, InstantExecutor(), tok, AgentConfig(max_tokens=4000, temperature=1.0))
    await agent.run_many(["warm-up"] * min(concurrency, 8), concurrency=concurrency)
    if record:
        be.prompts.clear()
        be.calls = 0
    t, cpu = time.perf_counter(), time.process_time()
    trajs = await agent.run_many([f"problem {i}" for i in range(n)], concurrency=concurrency)
    wall = time.perf_counter() - t
    be.cpu_s = time.process_time() - cpu  # this process only: the load generator runs in its own
    await backend.aclose()
    return trajs, wall, be


async def mcp_overhead(n: int = 60) -> tuple[float, float] | None:
    """(median MCP round trip, median sandbox duration) in ms for a trivial snippet, or None."""
    exe = shutil.which("deepmath-mcp")
    if exe is None:
        return None
    from agent_client import McpExecutor

    port = free_port()
    proc = subprocess.Popen([exe, "--transport", "http", "--port", str(port), "--log-level", "WARNING"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc, timeout=600)
        lat, dur = [], []
        async with McpExecutor.http(f"http://127.0.0.1:{port}/mcp") as ex:
            for i in range(n + 5):
                r = await ex.run("x = 1\nx + 1", "bench-session")
                if i >= 5:
                    lat.append(r.latency_ms)
                    dur.append(float((r.result or {}).get("duration_ms", 0.0)))
        return statistics.median(lat), statistics.median(dur)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer trajectories (a smoke run)")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--no-mcp", action="store_true", help="skip the real deepmath-mcp measurement")
    ap.add_argument("--baseline", metavar="DIR", help="first run this benchmark against the agent client installed "
                                                      "in another checkout DIR, then compare")
    ap.add_argument("--baseline-python", metavar="PY", help="interpreter for --baseline (default DIR/.venv/bin/python)")
    args = ap.parse_args()
    baseline = run_baseline(args) if args.baseline else None
    results = measure(args)
    report(results)
    if baseline is not None:
        compare(baseline, results, args.baseline)
    if args.json:
        Path(args.json).write_text(json.dumps({"this": results, "baseline": baseline} if baseline else results,
                                              indent=2))


def run_baseline(args: argparse.Namespace) -> dict[str, Any]:
    """This same file (same measurement, same load generator) under the baseline checkout's interpreter,
    so only the agent client it imports differs."""
    root = Path(args.baseline).resolve()
    py = args.baseline_python or str(root / ".venv" / "bin" / "python")
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "baseline.json"
        cmd = [py, str(Path(__file__).resolve()), "--no-mcp", "--json", str(out)] + (["--quick"] if args.quick else [])
        print(f"baseline: {' '.join(cmd)}  (cwd {root})", flush=True)
        subprocess.run(cmd, cwd=root, check=True)
        print(flush=True)
        return json.loads(out.read_text())


def compare(base: dict[str, Any], this: dict[str, Any], label: str) -> None:
    print(f"\nbefore ({label}) -> after (this tree), same machine, one command:")
    rows = [("client overhead per step (ms)", base["client_overhead_ms_per_step"], this["client_overhead_ms_per_step"]),
            ("client CPU per request (ms)", base["client_cpu_ms_per_request"], this["client_cpu_ms_per_request"]),
            ("agent time per request (ms)", base["agent_request_ms"], this["agent_request_ms"]),
            ("raw HTTP round trip (ms)", base["raw_rtt_ms"], this["raw_rtt_ms"])]
    for c in ("1", "16", "64"):
        b, t = base["levels"][c], this["levels"][int(c)]
        rows.append((f"traj/s at concurrency {c}", b["traj_per_s"], t["traj_per_s"]))
        rows.append((f"share of generator limit at {c}", b["ratio_to_limit"], t["ratio_to_limit"]))
    for name, b, t in rows:
        print(f"  {name:<34} {b:9.3f} -> {t:9.3f}")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    scale = 0.25 if args.quick else 1.0

    from support.tiny_model import build_tiny_model
    from transformers import AutoTokenizer

    tmp = Path(tempfile.mkdtemp(prefix="bench-agent-"))
    model_dir = build_tiny_model(tmp / "tiny")
    tok = AutoTokenizer.from_pretrained(model_dir)
    (tmp / "script.json").write_text(json.dumps(SCRIPT))
    port = free_port()
    server = subprocess.Popen([sys.executable, str(_HERE.parent / "tests" / "support" / "scripted_server.py"),
                               "--tokenizer", str(model_dir),
                               "--script", str(tmp / "script.json"), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("listening"), line
        base_url = f"http://127.0.0.1:{port}/v1"
        results: dict[str, Any] = {"agent_client": str(Path(sys.modules["agent_client"].__file__).parent),
                                   "load_average_1min": os.getloadavg()[0]}

        # 1. concurrency 1, recording the bodies; each round is paired with a raw replay of its bodies
        n1 = max(10, int(60 * scale))
        rounds1 = 5
        per_round = max(4, n1 // rounds1)
        overheads, agent_ms, raw_ms_all, cpu_ms, calls = [], [], [], [], 0
        for _ in range(rounds1):
            trajs, _, rec = anyio.run(agent_runs, base_url, tok, 1, per_round, True)
            assert all(t.answer == "\\frac{58}{49}" and t.tool_calls == 3 for t in trajs), trajs[0]
            calls = rec.calls / per_round
            cpu_ms.append(rec.cpu_s / rec.calls * 1000)
            step = statistics.median((t.timings["wall_s"] - t.timings["tool_s"]) / calls for t in trajs) * 1000
            raw = statistics.median(raw_round_trips(port, [body_for("scripted", p, kw) for p, kw in rec.prompts],
                                                    repeat=2)) * 1000
            agent_ms.append(step)
            raw_ms_all.append(raw)
            overheads.append(step - raw)
        results.update(requests_per_trajectory=calls, raw_rtt_ms=statistics.median(raw_ms_all),
                       client_cpu_ms_per_request=statistics.median(cpu_ms),
                       agent_request_ms=statistics.median(agent_ms),
                       client_overhead_ms_per_step=statistics.median(overheads),
                       client_overhead_ms_rounds=overheads)

        # 2./3. throughput at 1, 16, 64, each paired with a fresh measurement of the generator's limit
        # (the machine is shared: interleaving keeps both sides of a ratio under the same load)
        all_bodies = [body_for("scripted", p, kw) for p, kw in rec.prompts]
        levels, limits = {}, []
        rounds = 3
        for c, n in ((1, n1), (16, max(32, int(160 * scale))), (64, max(128, int(384 * scale)))):
            tps, rpss, ratios, ok = [], [], [], 0
            for _ in range(rounds):
                limit = asyncio.run(raw_limit(port, all_bodies, total=max(400, int(1600 * scale))))
                trajs, wall, _ = anyio.run(agent_runs, base_url, tok, c, n)
                ok += sum(1 for t in trajs if getattr(t, "answer", None) == "\\frac{58}{49}")
                rps = n * results["requests_per_trajectory"] / wall
                limits.append(limit)
                tps.append(n / wall)
                rpss.append(rps)
                ratios.append(rps / limit)
            levels[c] = {"trajectories": n * rounds, "ok": ok, "traj_per_s": statistics.median(tps),
                         "requests_per_s": statistics.median(rpss), "ratio_to_limit": statistics.median(ratios)}
        results["generator_limit_rps"] = statistics.median(limits)
        results["levels"] = levels
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)

    if not args.no_mcp:
        m = anyio.run(mcp_overhead)
        if m is not None:
            results.update(mcp_rtt_ms=m[0], sandbox_ms=m[1], mcp_protocol_ms=m[0] - m[1])
    return results


def report(r: dict[str, Any]) -> None:
    print(f"agent client under test      {r['agent_client']}  (machine load average {r['load_average_1min']:.1f} "
          f"on {os.cpu_count()} cores at the start)")
    print(f"requests per trajectory      {r['requests_per_trajectory']:.0f} (3 tool calls + answer)")
    print(f"raw HTTP round trip (median) {r['raw_rtt_ms']:.3f} ms   (minimal http.client, same bodies)")
    print(f"agent time per request       {r['agent_request_ms']:.3f} ms   (median, concurrency 1, tool time excluded)")
    print(f"client overhead per step     {r['client_overhead_ms_per_step']:.3f} ms   (median of {len(r['client_overhead_ms_rounds'])} "
          f"paired rounds: {', '.join(f'{x:.2f}' for x in r['client_overhead_ms_rounds'])}; "
          f"target <= 2 ms: {'MET' if r['client_overhead_ms_per_step'] <= 2 else 'MISSED'})")
    print(f"client CPU per request       {r['client_cpu_ms_per_request']:.3f} ms   (the agent process's own CPU time "
          f"per model step at concurrency 1, tool time excluded; robust to other load on the machine)")
    print(f"load generator limit         {r['generator_limit_rps']:.0f} req/s (64 raw keep-alive clients; median of "
          f"the runs paired with each agent run below)")
    for c, lv in r["levels"].items():
        print(f"concurrency {c:>3}: {lv['traj_per_s']:7.1f} traj/s  {lv['requests_per_s']:7.0f} req/s  "
              f"= {lv['ratio_to_limit']:.0%} of the generator limit (median of paired runs)  "
              f"({lv['ok']}/{lv['trajectories']} correct)")
    lv64 = r["levels"][64]["ratio_to_limit"]
    print(f"throughput target at 64 (>= 80% of limit): {'MET' if lv64 >= 0.8 else 'MISSED'} ({lv64:.0%})")
    if "mcp_rtt_ms" in r:
        print(f"MCP tool call (real deepmath-mcp, HTTP): round trip {r['mcp_rtt_ms']:.2f} ms, sandbox "
              f"{r['sandbox_ms']:.2f} ms, protocol+transport {r['mcp_protocol_ms']:.2f} ms (median)")


if __name__ == "__main__":
    main()
