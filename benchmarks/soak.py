"""A soak: a mixed load on `deepmath-mcp --transport http` for a long time; do memory, descriptors
and threads stay flat?

    python benchmarks/soak.py [--minutes 30] [--interval 10] [--warmup 60] [--server-flag=--timeout=5 ...]

Starts the server on loopback and runs four clients until the time is up (each waits a little
between calls, so two shared cores are not saturated):
  normal      an SDK client: fresh calls and calls in its own session, results checked
  hostile     an SDK client: an infinite loop stopped by its timeout, memory bombs, a huge output,
              a deep recursion; each must end in its declared status
  churn       a new MCP session (SDK client) every few calls, each with new session ids, a
              reset_session and a goodbye (DELETE)
  disconnect  clients that leave mid-call: an SDK call cancelled after 0.2 s, a raw request whose
              connection is closed while the snippet runs, a connect-and-close without a request,
              a request cut off inside its headers
Every `--interval` seconds after `--warmup` (between two hostile calls, so a memory bomb's transient
memory is not mistaken for growth) it samples the server process's resident memory
(VmRSS), open descriptors (/proc/PID/fd) and threads, and at the end prints each series'
least-squares slope per hour with a 95 % confidence interval (Student t, n - 2 degrees of freedom)
and whether that interval includes 0. Samples are autocorrelated, so the interval is optimistic;
read a slope together with the first/last/min/max values printed next to it.
Exit status 1 if the server died or any call ended unexpectedly (each is printed).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from pathlib import Path

# benchmarks/ holds files named like the project's packages: keep it off the import path
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent / "tests"))  # support.net

import anyio  # noqa: E402
import httpx  # noqa: E402
import numpy as np  # noqa: E402
from mcp.client import Client  # noqa: E402
from scipy import stats  # noqa: E402
from support.net import free_port, wait_port  # noqa: E402

HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "soak", "version": "0"}}}
# (snippet, timeout_s, the statuses it may end in, whether in a session). A session keeps the memory
# its instance grew to (wasm memory never shrinks) until it ends, so the bombs run in fresh instances.
HOSTILE = [
    ("while True: pass", 0.5, {"timeout"}, True),
    ("x = bytearray(1 << 40)", None, {"memory", "error"}, False),
    ("a = []\nwhile True:\n    a.append(bytearray(1 << 20))", None, {"memory"}, False),
    ("print('x' * 10**7)", None, {"ok"}, False),
    ("def f(n): return f(n + 1)\nf(0)", None, {"error", "crashed"}, True),
]


@dataclass
class Tally:
    calls: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)

    def check(self, what: str, ok: bool, detail: object) -> None:
        self.calls[what] += 1
        if not ok:
            self.unexpected.append(f"{what}: {str(detail)[:300]}")


def sample(pid: int) -> tuple[float, int, int]:
    """(RSS in MB, open descriptors, threads) of process `pid`."""
    status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    return int(status["VmRSS"].split()[0]) / 1024, len(os.listdir(f"/proc/{pid}/fd")), int(status["Threads"])


async def normal(url: str, stop: float, tally: Tally) -> None:
    rng = random.Random(1)
    async with Client(url) as c:
        while time.monotonic() < stop:
            n = rng.randint(1, 10_000)
            args = {"code": f"sum(range({n}))"} | ({"session_id": "normal"} if rng.random() < 0.5 else {})
            r = await c.call_tool("run_python", args)
            tally.check("normal", not r.is_error and r.structured_content["value"] == str(n * (n - 1) // 2),
                        r.structured_content)
            await anyio.sleep(0.05)


async def hostile(url: str, stop: float, tally: Tally, running: anyio.Lock) -> None:
    k = 0
    async with Client(url) as c:
        while time.monotonic() < stop:
            code, timeout, allowed, in_session = HOSTILE[k % len(HOSTILE)]
            k += 1
            args = ({"code": code} | ({"session_id": f"h{k % 3}"} if in_session else {})
                    | ({"timeout_s": timeout} if timeout else {}))
            async with running:  # no sample while a bomb holds its memory
                r = await c.call_tool("run_python", args)
            status = r.structured_content["status"]
            tally.check(f"hostile {status}", status in allowed, (code, r.structured_content))
            await anyio.sleep(0.5)


async def churn(url: str, stop: float, tally: Tally) -> None:
    while time.monotonic() < stop:
        async with Client(url) as c:  # a new MCP session; leaving sends DELETE
            sid = uuid.uuid4().hex
            r = await c.call_tool("run_python", {"code": "v = 7", "session_id": sid})
            tally.check("churn call", not r.is_error, r.structured_content)
            r = await c.call_tool("run_python", {"code": "v * 6", "session_id": sid})
            tally.check("churn call", r.structured_content.get("value") == "42", r.structured_content)
            r = await c.call_tool("reset_session", {"session_id": sid})
            tally.check("churn reset", not r.is_error and r.structured_content["existed"], r.structured_content)
        await anyio.sleep(0.2)


async def disconnect(url: str, port: int, stop: float, tally: Tally) -> None:
    k = 0
    while time.monotonic() < stop:
        k += 1
        kind = k % 4
        if kind == 0:  # an SDK call cancelled mid-run, then the client leaves
            async with Client(url) as c:
                with anyio.move_on_after(0.2) as scope:
                    await c.call_tool("run_python", {"code": "while True: pass", "timeout_s": 3})
                tally.check("disconnect sdk-cancel", scope.cancelled_caught, "the loop returned")
        elif kind == 1:  # a raw request whose connection closes while the snippet runs
            async with httpx.AsyncClient(timeout=10) as http:
                r = await http.post(url, headers=HEADERS, json=INIT)
                headers = HEADERS | {"mcp-session-id": r.headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18"}
                await http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
                call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                    "name": "run_python", "arguments": {"code": "while True: pass", "timeout_s": 3}}}
                try:
                    await http.post(url, headers=headers, json=call, timeout=0.2)
                    tally.check("disconnect raw-close", False, "the loop returned")
                except httpx.ReadTimeout:
                    tally.check("disconnect raw-close", True, None)
        elif kind == 2:  # connect and close without a request
            sock = await anyio.connect_tcp("127.0.0.1", port)
            await sock.aclose()
            tally.check("disconnect bare", True, None)
        else:  # a request cut off inside its headers
            sock = await anyio.connect_tcp("127.0.0.1", port)
            await sock.send(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Len")
            await sock.aclose()
            tally.check("disconnect half-request", True, None)
        await anyio.sleep(0.3)


async def sampler(pid: int, start: float, stop: float, interval: float, series: list, hostile: anyio.Lock) -> None:
    while time.monotonic() < stop:
        async with hostile:
            series.append((time.monotonic() - start, *sample(pid)))
        await anyio.sleep(interval)


def slope_report(series: list[tuple[float, float, int, int]]) -> None:
    t_h = np.array([s[0] for s in series]) / 3600
    print(f"{len(series)} samples over {t_h[-1] * 60:.1f} min (after warm-up); slope per hour, 95 % CI:")
    for i, (name, unit) in enumerate([("RSS", "MB"), ("open fds", "fds"), ("threads", "threads")], start=1):
        y = np.array([s[i] for s in series], dtype=float)
        if np.ptp(y) == 0:
            print(f"  {name:9} constant at {y[0]:g} {unit}: slope 0 (no variation)")
            continue
        fit = stats.linregress(t_h, y)
        half = stats.t.ppf(0.975, len(y) - 2) * fit.stderr
        lo, hi = fit.slope - half, fit.slope + half
        print(f"  {name:9} {fit.slope:+9.2f} {unit}/h  [{lo:+.2f}, {hi:+.2f}]  CI includes 0: "
              f"{'yes' if lo <= 0 <= hi else 'NO'}   first {y[0]:g}, last {y[-1]:g}, min {y.min():g}, max {y.max():g}")


async def soak(args) -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    log = tempfile.NamedTemporaryFile(prefix="deepmath-soak-", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-m", "mcp_server", "--transport", "http", "--host", "127.0.0.1",
                             "--port", str(port), *args.server_flag], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=log)
    tally, series, running = Tally(), [], anyio.Lock()
    try:
        wait_port(port, proc, timeout=120)
        start = time.monotonic()
        stop = start + args.minutes * 60
        print(f"server pid {proc.pid} at {url}; load for {args.minutes:g} min, sampling every {args.interval:g} s "
              f"after {args.warmup:g} s", flush=True)
        async with anyio.create_task_group() as tg:
            tg.start_soon(normal, url, stop, tally)
            tg.start_soon(hostile, url, stop, tally, running)
            tg.start_soon(churn, url, stop, tally)
            tg.start_soon(disconnect, url, port, stop, tally)
            await anyio.sleep(args.warmup)
            tg.start_soon(sampler, proc.pid, start + args.warmup, stop, args.interval, series, running)
        alive = proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    print("calls: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.calls.items())))
    slope_report(series)
    for line in tally.unexpected:
        print("UNEXPECTED", line)
    errors = Counter(re.sub(r"^[\d-]+ [\d:,]+ ", "", line.strip()) for line in open(log.name, errors="replace")
                     if " ERROR " in line or re.match(r"[A-Za-z_.]+(Error|Exception): ", line))
    print(f"server log: {sum(errors.values())} error lines" + "".join(f"\n  {n:5d}  {e[:160]}" for e, n in errors.most_common(8)))
    print(f"server alive at the end: {alive}; exit status {proc.returncode}; its log: {log.name}")
    return 0 if alive and not tally.unexpected else 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--interval", type=float, default=10, help="seconds between samples")
    p.add_argument("--warmup", type=float, default=60, help="seconds of load before the first sample")
    p.add_argument("--server-flag", action="append", default=None,
                   help="a deepmath-mcp flag (repeat; default: --timeout=5 --memory-mb=256 "
                   "--max-concurrency=4 --log-level=WARNING)")
    args = p.parse_args()
    args.server_flag = args.server_flag or ["--timeout=5", "--memory-mb=256", "--max-concurrency=4",
                                            "--log-level=WARNING"]
    # the SDK client logs a traceback when a reply arrives for a call it has cancelled (the sdk-cancel client)
    logging.getLogger("mcp.client.streamable_http").setLevel(logging.CRITICAL)
    if args.warmup + 3 * args.interval > args.minutes * 60:
        p.error("--minutes must leave room for at least 3 samples after --warmup")
    sys.exit(anyio.run(soak, args))


if __name__ == "__main__":
    main()
