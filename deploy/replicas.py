"""Start N `deepmath-mcp` replicas and HAProxy in front of them, all on loopback.

    python deploy/replicas.py [--replicas 2] [--port 8765] [--logs DIR] [-- deepmath-mcp flags...]

Each replica is `python -m mcp_server --transport http` (the `deepmath-mcp` console script) on a
free port, with its stderr in `DIR/<name>.log`; HAProxy runs `deploy/haproxy.cfg` with its `bind`
and `server` lines rewritten for these ports (the file written to `DIR/haproxy.cfg`). Clients use
`http://127.0.0.1:PORT/mcp`; every response names the replica that served it in
`X-Deepmath-Replica`. Ctrl-C (or SIGTERM) stops everything.

`Deployment` is the same thing as a context manager, for the tests and the benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = Path(__file__).with_name("haproxy.cfg")
REPLICA_HEADER = "x-deepmath-replica"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, what: str, log: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout_s} s")


def haproxy_config(port: int, replicas: dict[str, int]) -> str:
    """`deploy/haproxy.cfg` listening on `port`, with one `server` line per replica."""
    text = CONFIG.read_text()
    text = re.sub(r"(?m)^(\s*)bind .*$", rf"\g<1>bind 127.0.0.1:{port}", text, count=1)
    text = re.sub(r"(?m)^\s*server .*\n", "", text)
    servers = "".join(f"    server {name} 127.0.0.1:{p}\n" for name, p in replicas.items())
    return text.rstrip("\n") + "\n" + servers


class Deployment:
    """N replicas behind HAProxy; `url` is the balanced endpoint, `replicas` name -> process."""

    def __init__(self, replicas: int = 2, port: int = 0, flags: tuple[str, ...] = (),
                 python: str = sys.executable, cwd: str | None = None, logs: str | None = None):
        self.haproxy = shutil.which("haproxy")
        if self.haproxy is None:
            raise FileNotFoundError("haproxy is not installed (apt-get install haproxy)")
        self.n, self.flags, self.python, self.cwd = replicas, flags, python, cwd
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self._own_logs = logs is None
        self.logs = Path(logs or tempfile.mkdtemp(prefix="deepmath-lb-"))
        self.logs.mkdir(parents=True, exist_ok=True)
        self.replicas: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.lb: subprocess.Popen | None = None

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "wb") as log:
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                    cwd=self.cwd, start_new_session=True)

    def start(self) -> Deployment:
        try:
            for i in range(1, self.n + 1):
                name, port = f"r{i}", free_port()
                self.ports[name] = port
                self.replicas[name] = self._spawn(name, [self.python, "-m", "mcp_server", "--transport", "http",
                                                         "--port", str(port), *self.flags])
            for name, proc in self.replicas.items():
                wait_listening(self.ports[name], proc, f"replica {name}", self.logs / f"{name}.log")
            cfg = self.logs / "haproxy.cfg"
            cfg.write_text(haproxy_config(self.port, self.ports))
            self.lb = self._spawn("haproxy", [self.haproxy, "-db", "-f", str(cfg)])
            wait_listening(self.port, self.lb, "haproxy", self.logs / "haproxy.log", timeout_s=20)
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self, name: str) -> None:
        """SIGKILL one replica (a crash: no goodbye to its clients)."""
        proc = self.replicas[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        procs = [p for p in (self.lb, *self.replicas.values()) if p is not None]
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._own_logs:
            shutil.rmtree(self.logs, ignore_errors=True)

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--replicas", type=int, default=2, help="deepmath-mcp processes (default %(default)s)")
    p.add_argument("--port", type=int, default=8765, help="the load balancer's port (default %(default)s)")
    p.add_argument("--logs", default="deepmath-lb-logs", help="replica logs and the generated haproxy.cfg")
    p.add_argument("flags", nargs="*", help="passed to every deepmath-mcp (after --)")
    args = p.parse_args()
    with Deployment(args.replicas, args.port, tuple(args.flags), logs=args.logs) as d:
        print(f"{args.replicas} replicas behind HAProxy at {d.url} (logs in {d.logs})", flush=True)
        stop = signal.SIGINT, signal.SIGTERM
        for sig in stop:
            signal.signal(sig, lambda *_: sys.exit(0))
        while all(proc.poll() is None for proc in d.replicas.values()) and d.lb.poll() is None:
            time.sleep(1)
        print("a process of the deployment exited; stopping", file=sys.stderr)


if __name__ == "__main__":
    main()
