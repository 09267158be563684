"""How much MCP costs on top of the sandbox, and how the server behaves under load.

    python benchmarks/mcp_server.py [--calls 300] [--seconds 4] [--server-concurrency 8]
                                    [--baseline /path/to/other/checkout [--rounds 2]] [--round-trips-only]
                                    [--parts 2,3,4]

Everything is measured in the same run, against a baseline taken in the same run:
1. Round trip of a trivial `run_python` (warm session, and fresh instance) over stdio and over
   streamable HTTP, next to a direct in-process `Sandbox.run` of the same code: p50/p99 and the
   overhead (MCP p50 - direct p50, and the ratio). Two clients per transport: the official SDK
   `Client`, and a minimal hand-written JSON-RPC client (blocking pipes / one httpx POST per call)
   whose own cost is near zero, so its overhead is the server's.
2. Throughput (calls/s) of trivial calls over HTTP with 1, 4, 16 and 64 concurrent clients, each
   client its own MCP connection and session.
3. Mixed load over HTTP: 16 clients, a quarter of the calls are infinite loops stopped by a 0.5 s
   deadline. For the normal calls: latency p50/p99/max, server-side queue wait, and how many waited
   longer than their own run time plus the queue the cap promises (ceil(clients / slots) deadlines).

With `--baseline DIR` (another checkout with its own `.venv`, e.g. the main branch) the round
trips of part 1 are measured for that checkout's server too, in `--rounds` alternating rounds in
the same run, and each series is printed as the median of its rounds' p50 with its ratio to the
baseline (issue 10: no regression above 10 %). One round of each is not enough on a shared 2-core
machine: single-round ratios of identical code swing by +-30 %.

4. Server RSS while 16 clients open 1,008 distinct sessions between them (8 MB each), and after
   they leave (issue 10's target: back within 100 MB of the idle size).

Targets from issue 3: overhead <= 3 ms p50; >= 200 calls/s with 16 HTTP clients on 2 cores; no
normal call beyond its promise under the mixed load. The server and this client share the machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid

import anyio
import httpx
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

TRIVIAL = "1 + 1"
LOOP = "while True: pass"


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]


def summary(xs: list[float]) -> str:
    return f"p50 {pct(xs, 50):7.2f} ms   p99 {pct(xs, 99):7.2f} ms   (n={len(xs)})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Checkout:
    """Where a server comes from: this interpreter and working directory, or another checkout's."""

    def __init__(self, root: str | None = None):
        self.root = os.path.abspath(root) if root else None
        self.python = os.path.join(self.root, ".venv", "bin", "python") if root else sys.executable
        self.name = f"baseline ({self.root})" if root else "this checkout"
        # Another checkout runs in its own environment: not on this one's PYTHONPATH (extra packages).
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} if root else None

    def argv(self, *flags: str) -> list[str]:
        return [self.python, "-m", "mcp_server", *flags]


HERE = Checkout()


class HttpServer:
    def __init__(self, flags: list[str], checkout: Checkout = HERE):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.proc = subprocess.Popen(
            checkout.argv("--transport", "http", "--port", str(self.port), *flags),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=checkout.root, env=checkout.env,
        )
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the HTTP server did not start")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def direct_baseline(n: int) -> dict[str, list[float]]:
    """Round trips of `Sandbox.run` called directly, in this process."""
    from wasm_sandbox import Sandbox

    out: dict[str, list[float]] = {"session": [], "fresh": []}
    with Sandbox() as sb:
        sb.run(TRIVIAL, session_id="warm")
        for mode in ("session", "fresh"):
            for _ in range(n):
                t = time.perf_counter()
                r = sb.run(TRIVIAL, session_id="warm" if mode == "session" else None)
                out[mode].append((time.perf_counter() - t) * 1000)
                assert r.status == "ok", r
    return out


async def mcp_round_trips(target, n: int, mode: str = "auto") -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"session": [], "fresh": []}
    async with Client(target, mode=mode) as client:
        await client.call_tool("run_python", {"code": TRIVIAL, "session_id": "warm"})
        for mode in ("session", "fresh"):
            args = {"code": TRIVIAL, **({"session_id": "warm"} if mode == "session" else {})}
            for _ in range(n):
                t = time.perf_counter()
                r = await client.call_tool("run_python", args)
                out[mode].append((time.perf_counter() - t) * 1000)
                assert not r.is_error, r
    return out


_INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}}
_INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def _call(i: int, mode: str) -> dict:
    args = {"code": TRIVIAL, **({"session_id": "warm"} if mode == "session" else {})}
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "run_python", "arguments": args}}


def raw_stdio_round_trips(flags: list[str], n: int, checkout: Checkout = HERE) -> dict[str, list[float]]:
    """Newline-delimited JSON-RPC over the server's pipes, one request in flight."""
    proc = subprocess.Popen(checkout.argv(*flags), stdin=subprocess.PIPE, cwd=checkout.root, env=checkout.env,
                            stdout=subprocess.PIPE, text=True, bufsize=1)
    out: dict[str, list[float]] = {"session": [], "fresh": []}

    def rpc(msg: dict, reply: bool = True) -> str | None:
        proc.stdin.write(json.dumps(msg) + "\n")
        proc.stdin.flush()
        while reply:
            line = proc.stdout.readline()
            if '"method":"notifications/' not in line:  # e.g. "the sandbox is being prepared"
                return line
        return None

    try:
        rpc(_INIT)
        rpc(_INITIALIZED, reply=False)
        rpc(_call(1, "session"))
        for mode in ("session", "fresh"):
            for i in range(n):
                t = time.perf_counter()
                line = rpc(_call(i + 2, mode))
                out[mode].append((time.perf_counter() - t) * 1000)
                assert '"isError":false' in line, line[:300]
    finally:
        proc.stdin.close()
        proc.wait(30)
    return out


def raw_http_round_trips(url: str, n: int) -> dict[str, list[float]]:
    """One plain httpx POST per call on a kept-alive connection."""
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    out: dict[str, list[float]] = {"session": [], "fresh": []}
    with httpx.Client(timeout=30) as http:
        r = http.post(url, headers=headers, json=_INIT)
        headers |= {"mcp-session-id": r.headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18"}
        http.post(url, headers=headers, json=_INITIALIZED)
        http.post(url, headers=headers, json=_call(1, "session"))
        for mode in ("session", "fresh"):
            for i in range(n):
                t = time.perf_counter()
                r = http.post(url, headers=headers, json=_call(i + 2, mode))
                out[mode].append((time.perf_counter() - t) * 1000)
                assert '"isError":false' in r.text, r.text[:300]
    return out


async def throughput(url: str, clients: int, seconds: float) -> float:
    """Trivial calls/s with `clients` concurrent MCP connections, each in its own session."""
    done = 0
    ready = anyio.Event()
    stop_at = 0.0
    connected = 0

    async def client_loop():
        nonlocal done, connected
        sid = uuid.uuid4().hex
        async with Client(url) as c:
            await c.call_tool("run_python", {"code": TRIVIAL, "session_id": sid})
            connected += 1
            if connected == clients:
                ready.set()
            await ready.wait()
            while time.perf_counter() < stop_at:
                r = await c.call_tool("run_python", {"code": TRIVIAL, "session_id": sid})
                assert not r.is_error, r
                done += 1

    async with anyio.create_task_group() as tg:
        for _ in range(clients):
            tg.start_soon(client_loop)
        await ready.wait()
        start = time.perf_counter()
        stop_at = start + seconds
    return done / (time.perf_counter() - start)


async def mixed_load(url: str, clients: int, seconds: float, slots: int, loop_timeout: float) -> None:
    rng = random.Random(0)
    normal: list[tuple[float, float, float]] = []  # (latency ms, server run ms, server queue ms)
    loops = 0
    stop_at = time.perf_counter() + seconds

    async def client_loop():
        nonlocal loops
        async with Client(url) as c:
            while time.perf_counter() < stop_at:
                if rng.random() < 0.25:
                    r = await c.call_tool("run_python", {"code": LOOP, "timeout_s": loop_timeout})
                    assert r.structured_content["status"] == "timeout", r
                    loops += 1
                else:
                    t = time.perf_counter()
                    r = await c.call_tool("run_python", {"code": f"sum(range({rng.randint(1, 10_000)}))"})
                    lat = (time.perf_counter() - t) * 1000
                    assert not r.is_error, r
                    normal.append((lat, r.structured_content["duration_ms"], r.structured_content["queue_ms"]))

    async with anyio.create_task_group() as tg:
        for _ in range(clients):
            tg.start_soon(client_loop)

    promised_queue_ms = math.ceil(clients / slots) * loop_timeout * 1000
    slack_ms = 50.0  # transport and scheduling on a shared 2-core machine
    late = [x for x in normal if x[0] > x[1] + promised_queue_ms + slack_ms]
    print(f"  {len(normal)} normal calls, {loops} loops stopped at {loop_timeout} s; "
          f"{clients} clients, {slots} slots")
    print(f"  normal latency   {summary([x[0] for x in normal])}   max {max(x[0] for x in normal):.1f} ms")
    print(f"  server queue     {summary([x[2] for x in normal])}   max {max(x[2] for x in normal):.1f} ms")
    print(f"  promise: run time + {promised_queue_ms:.0f} ms queue (+{slack_ms:.0f} ms slack); "
          f"calls beyond it: {len(late)}")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def many_sessions(server: HttpServer, clients: int, sessions_each: int, alloc_mb: int) -> None:
    """Server RSS while `clients` clients each open `sessions_each` distinct sessions (each holding
    `alloc_mb` MB), and after they leave. Target (issue 10): back within 100 MB of idle."""
    pid = server.proc.pid
    async with Client(server.url) as c:
        await c.call_tool("run_python", {"code": TRIVIAL})
    idle = rss_mb(pid)
    peak = idle
    refused = 0

    async def client_loop(k: int) -> None:
        nonlocal peak, refused
        async with Client(server.url) as c:
            for i in range(sessions_each):
                r = await c.call_tool("run_python", {"code": f"keep = bytearray({alloc_mb} << 20)",
                                                     "session_id": f"c{k}-s{i}"})
                refused += bool(r.is_error)
                peak = max(peak, rss_mb(pid))

    async with anyio.create_task_group() as tg:
        for k in range(clients):
            tg.start_soon(client_loop, k)
    after = rss_mb(pid)
    await anyio.sleep(5)
    later = rss_mb(pid)
    print(f"  {clients} clients x {sessions_each} distinct sessions ({clients * sessions_each} in all), "
          f"{alloc_mb} MB each; {refused} new sessions refused (server total reached)")
    print(f"  server RSS: idle {idle:.0f} MB, peak {peak:.0f} MB (+{peak - idle:.0f}), after the clients "
          f"left {after:.0f} MB (+{after - idle:.0f}), 5 s later {later:.0f} MB (+{later - idle:.0f}); "
          f"target: within 100 MB of idle")


def overhead_table(direct, series: dict[str, dict[str, list[float]]]) -> None:
    for mode in ("session", "fresh"):
        d50 = pct(direct[mode], 50)
        print(f"\n[{mode}] {'warm session instance' if mode == 'session' else 'fresh instance per call'}")
        print(f"  direct Sandbox.run  {summary(direct[mode])}")
        for name, by_mode in series.items():
            xs = by_mode[mode]
            p50 = pct(xs, 50)
            print(f"  {name:<18}  {summary(xs)}   overhead p50 {p50 - d50:+6.2f} ms  ratio {p50 / d50:5.1f}x")


async def round_trip_series(flags: list[str], n: int, checkout: Checkout) -> dict[str, dict[str, list[float]]]:
    """Part 1's four series for one checkout's server."""
    stdio_target = StdioServerParameters(command=checkout.python, args=["-m", "mcp_server", *flags], cwd=checkout.root,
                                         env=checkout.env)
    series = {"stdio, SDK client": await mcp_round_trips(stdio_target, n),
              "stdio, raw client": await anyio.to_thread.run_sync(raw_stdio_round_trips, flags, n, checkout)}
    server = HttpServer(flags, checkout)
    try:
        # "legacy" is what the agent's executor uses; "auto" is what a default SDK Client picks.
        series["HTTP, SDK legacy"] = await mcp_round_trips(server.url, n, mode="legacy")
        series["HTTP, SDK auto"] = await mcp_round_trips(server.url, n)
        series["HTTP, raw client"] = await anyio.to_thread.run_sync(raw_http_round_trips, server.url, n)
    finally:
        server.stop()
    return series


def baseline_table(ours: list[dict], base: list[dict]) -> None:
    """Medians over rounds of each round's p50 (rounds alternate the checkouts, so drift hits both)."""
    for mode in ("session", "fresh"):
        print(f"\n[{mode}] p50 this checkout vs baseline (median of {len(ours)} alternating rounds)")
        for name in ours[0]:
            a = statistics.median(pct(r[name][mode], 50) for r in ours)
            b = statistics.median(pct(r[name][mode], 50) for r in base)
            print(f"  {name:<18}  {a:6.2f} ms vs {b:6.2f} ms   ratio {a / b:5.3f}   ({(a / b - 1) * 100:+5.1f} %)")


async def amain(args) -> None:
    flags = ["--max-concurrency", str(args.server_concurrency), "--log-level", "WARNING"]
    print(f"machine: {os.cpu_count()} cores; server flags: {' '.join(flags)}")
    direct = await anyio.to_thread.run_sync(direct_baseline, args.calls)
    if args.baseline:
        # Alternate the two checkouts (ours, baseline, ours, baseline, ...) so machine load drifts evenly.
        base_co = Checkout(args.baseline)
        per_round = max(20, args.calls // args.rounds)
        runs = [await round_trip_series(flags, per_round, co) for _ in range(args.rounds) for co in (HERE, base_co)]
        ours_runs, base_runs = runs[0::2], runs[1::2]
        series = {k: {m: [x for r in ours_runs for x in r[k][m]] for m in v} for k, v in ours_runs[0].items()}
    else:
        series = await round_trip_series(flags, args.calls, HERE)
    print("\n== 1. round trip of a trivial run_python ==")
    overhead_table(direct, series)
    if args.baseline:
        print(f"\n== 1b. against the {base_co.name} ==")
        baseline_table(ours_runs, base_runs)
    if args.round_trips_only:
        return
    await load_parts(args, flags)


async def load_parts(args, flags: list[str]) -> None:
    """Parts 2-4 (each on a fresh server), or those named by --parts."""
    parts = {int(x) for x in args.parts.split(",")} if args.parts else {2, 3, 4}
    if 2 in parts:
        await throughput_part(args, flags)
    if 3 in parts:
        await mixed_part(args, flags)
    if 4 in parts:
        print("\n== 4. server memory under 1,000 distinct sessions ==")
        server = HttpServer(flags)
        try:
            await many_sessions(server, clients=16, sessions_each=63, alloc_mb=8)
        finally:
            server.stop()


async def throughput_part(args, flags: list[str]) -> None:
    server = HttpServer(flags)
    try:
        print("\n== 2. throughput over HTTP (trivial calls, warm sessions) ==")
        rates = {}
        for k in (1, 4, 16, 64):
            rates[k] = await throughput(server.url, k, args.seconds)
            print(f"  {k:>3} clients: {rates[k]:7.1f} calls/s   ({rates[k] / rates[1]:4.2f}x one client)")
    finally:
        server.stop()


async def mixed_part(args, flags: list[str]) -> None:
    print("\n== 3. mixed load over HTTP: a quarter of calls are infinite loops ==")
    server = HttpServer(flags)
    try:
        await mixed_load(server.url, clients=16, seconds=args.seconds * 2, slots=args.server_concurrency,
                         loop_timeout=0.5)
    finally:
        server.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=300, help="sequential calls per round-trip series")
    p.add_argument("--seconds", type=float, default=4.0, help="duration of each throughput run")
    p.add_argument("--server-concurrency", type=int, default=8, help="the server's --max-concurrency")
    p.add_argument("--baseline", metavar="DIR", help="another checkout (with .venv) to compare part 1 against")
    p.add_argument("--rounds", type=int, default=2, help="alternating rounds per checkout with --baseline")
    p.add_argument("--round-trips-only", action="store_true", help="part 1 only")
    p.add_argument("--parts", metavar="2,3,4", help="run only these of parts 2-4 (no part 1)")
    args = p.parse_args()
    if args.parts:
        flags = ["--max-concurrency", str(args.server_concurrency), "--log-level", "WARNING"]
        anyio.run(load_parts, args, flags)
    else:
        anyio.run(amain, args)


if __name__ == "__main__":
    main()
