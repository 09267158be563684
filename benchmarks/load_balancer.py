"""Throughput of one `deepmath-mcp` process against replicas behind HAProxy (`deploy/`).

    python benchmarks/load_balancer.py [--clients 16,64] [--seconds 4] [--rounds 3] [--client raw|sdk]

Setups, measured round by round in turn so machine load drifts over all of them:
- "1 process":                a single server, clients connect to it directly;
- "1 replica + HAProxy":      the same behind the load balancer (what the extra hop costs);
- "N replicas + HAProxy":     `--replicas` servers (default 2) behind it, sessions routed by
                              `Mcp-Session-Id` (deploy/haproxy.cfg).
Each client is its own MCP session on its own connection and calls a trivial `run_python` in a
warm sandbox session as fast as it can. Printed per setup and client count: calls/s and the CPU the
server side spent per call (replicas plus HAProxy, from /proc), medians over the rounds. CPU per call
is the figure that survives a loaded machine; calls/s is what clients get. `--client raw` (default)
is a minimal async JSON-RPC client (one httpx POST per call), so the servers and not the client are
what saturates; `--client sdk` uses the official SDK `Client`. The clients run in this one process
on the same cores as the servers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import anyio
import httpx
from mcp.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "deploy"))
from replicas import Deployment  # noqa: E402

TRIVIAL = "1 + 1"
FLAGS = ("--max-concurrency", "8", "--log-level", "WARNING")
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}}


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class RawSession:
    """One MCP session over plain httpx: initialize, then one POST per tools/call."""

    def __init__(self, url: str):
        self.url, self.http, self.headers, self.n = url, httpx.AsyncClient(timeout=60), dict(HEADERS), 0

    async def __aenter__(self) -> RawSession:
        r = await self.http.post(self.url, headers=self.headers, json=INIT)
        r.raise_for_status()
        self.headers |= {"mcp-session-id": r.headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18"}
        await self.http.post(self.url, headers=self.headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            await self.http.delete(self.url, headers=self.headers)  # ends the session (and its sandbox state)
        finally:
            await self.http.aclose()

    async def call(self, sid: str) -> None:
        self.n += 1
        msg = {"jsonrpc": "2.0", "id": self.n, "method": "tools/call",
               "params": {"name": "run_python", "arguments": {"code": TRIVIAL, "session_id": sid}}}
        r = await self.http.post(self.url, headers=self.headers, json=msg)
        if '"isError":false' not in r.text:
            raise RuntimeError(f"call failed: {r.status_code} {r.text[:300]}")


class SdkSession:
    def __init__(self, url: str):
        self.client = Client(url)

    async def __aenter__(self) -> SdkSession:
        await self.client.__aenter__()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.__aexit__(*exc)

    async def call(self, sid: str) -> None:
        r = await self.client.call_tool("run_python", {"code": TRIVIAL, "session_id": sid})
        if r.is_error:
            raise RuntimeError(f"call failed: {r}")


async def load(url: str, clients: int, seconds: float, kind: type, pids: list[int]) -> tuple[float, float]:
    """(calls/s, server CPU ms per call) with `clients` concurrent sessions for `seconds`."""
    done, connected, ready = 0, 0, anyio.Event()
    window: dict[str, float] = {}

    async def client_loop() -> None:
        nonlocal done, connected
        sid = uuid.uuid4().hex
        async with kind(url) as s:
            await s.call(sid)
            connected += 1
            if connected == clients:
                window["cpu0"], window["t0"] = cpu_s(pids), time.perf_counter()
                window["stop"] = window["t0"] + seconds
                ready.set()
            await ready.wait()
            while time.perf_counter() < window["stop"]:
                await s.call(sid)
                done += 1
        if "t1" not in window:  # the first client to finish closes the window
            window["cpu1"], window["t1"] = cpu_s(pids), time.perf_counter()

    async with anyio.create_task_group() as tg:
        for _ in range(clients):
            tg.start_soon(client_loop)
    elapsed = time.perf_counter() - window["t0"]
    return done / elapsed, (window["cpu1"] - window["cpu0"]) * 1000 / max(done, 1)


def setups(replicas: int) -> dict[str, tuple[int, bool]]:
    return {"1 process": (1, False), "1 replica + HAProxy": (1, True), f"{replicas} replicas + HAProxy": (replicas, True)}


def measure(name: str, n: int, balanced: bool, args, kind: type) -> dict[int, tuple[float, float]]:
    with Deployment(n, flags=FLAGS) as d:
        url = d.url if balanced else f"http://127.0.0.1:{d.ports['r1']}/mcp"
        pids = [p.pid for p in d.replicas.values()] + ([d.lb.pid] if balanced else [])
        anyio.run(load, url, n * 2, 1.0, kind, pids)  # warm every replica's sandbox
        out = {}
        for k in args.clients:
            out[k] = anyio.run(load, url, k, args.seconds, kind, pids)
            print(f"  {name:<24} {k:>3} clients: {out[k][0]:7.1f} calls/s   {out[k][1]:5.2f} ms CPU/call", flush=True)
        return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", default="16,64", help="concurrent clients, comma-separated")
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--client", choices=["raw", "sdk"], default="raw")
    args = p.parse_args()
    args.clients = [int(x) for x in args.clients.split(",")]
    kind = RawSession if args.client == "raw" else SdkSession
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {args.client} clients; "
          f"server flags: {' '.join(FLAGS)}")
    results: dict[str, list[dict[int, tuple[float, float]]]] = {}
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}")
        for name, (n, balanced) in setups(args.replicas).items():
            results.setdefault(name, []).append(measure(name, n, balanced, args, kind))
    print(f"\nmedians over {args.rounds} rounds (load average now {os.getloadavg()[0]:.1f})")
    base = results["1 process"]
    for name, rounds in results.items():
        for k in args.clients:
            rate = statistics.median(x[k][0] for x in rounds)
            cpu = statistics.median(x[k][1] for x in rounds)
            ratio = rate / statistics.median(x[k][0] for x in base)
            print(f"  {name:<24} {k:>3} clients: {rate:7.1f} calls/s ({ratio:4.2f}x 1 process)   {cpu:5.2f} ms CPU/call")


if __name__ == "__main__":
    main()
