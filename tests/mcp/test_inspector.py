"""An independent client: the MCP Inspector CLI (Node, TypeScript SDK) against both transports.

The Python SDK is on both ends of the other tests, so a shared misreading of the spec would go
unnoticed there. This test needs Node and the Inspector installed; `.ci/mcp-inspector.sh`
installs it (pinned) into the cache and runs this file with MCP_INSPECTOR set.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

VERSION = "0.15.0"


def _inspector() -> str | None:
    explicit = os.environ.get("MCP_INSPECTOR")
    if explicit:
        return explicit
    cache = Path(os.environ.get("DEEPMATH_CACHE", Path.home() / ".cache" / "deepmath"))
    candidate = cache / f"npm-inspector-{VERSION}" / "node_modules" / ".bin" / "mcp-inspector"
    return str(candidate) if candidate.exists() else None


INSPECTOR = _inspector()
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or INSPECTOR is None,
    reason="needs Node and the MCP Inspector CLI: run .ci/mcp-inspector.sh (or set MCP_INSPECTOR)",
)


def inspect(*args: str) -> dict:
    proc = subprocess.run([INSPECTOR, "--cli", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def _check(target: list[str]) -> None:
    tools = inspect(*target, "--method", "tools/list")["tools"]
    run = next(t for t in tools if t["name"] == "run_python")
    assert run["annotations"]["readOnlyHint"] is True and "outputSchema" in run

    ok = inspect(*target, "--method", "tools/call", "--tool-name", "run_python",
                 "--tool-arg", "code=print(6*7)\n2**100")
    assert ok["isError"] is False
    assert ok["structuredContent"]["stdout"] == "42\n"
    assert ok["structuredContent"]["value"] == str(2**100)

    bad = inspect(*target, "--method", "tools/call", "--tool-name", "run_python", "--tool-arg", "code=1/0")
    assert bad["isError"] is True
    assert bad["structuredContent"]["error"]["type"] == "ZeroDivisionError"


def test_inspector_over_stdio(sandbox_prepared):
    _check([sys.executable, "-m", "mcp_server"])  # server flags would be taken by the Inspector


def test_inspector_over_http(http_server):
    _check([http_server.url, "--transport", "http"])


def test_first_call_on_an_empty_cache_is_answered(tmp_path):
    """A fresh machine: no snapshot, and the cache folder given by `--cache-dir` (a client passes the
    server few environment variables). The interim interpreter answers the first call within the
    Inspector's own request timeout (60 s; it reports an error otherwise). The snapshot build the
    server then starts is killed with the process group, so the test's CPU stays bounded."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    repo = str(Path(__file__).resolve().parents[2])  # this tree's server, not an installed one
    cmd = [INSPECTOR, "--cli", "-e", f"PYTHONPATH={repo}", "-e", "OMP_NUM_THREADS=1",
           sys.executable, "-m", "mcp_server", "--cache-dir", str(cache),
           "--method", "tools/call", "--tool-name", "run_python", "--tool-arg", "code=print(6*7)"]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the server and its snapshot build, if still there
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, err[-2000:]
    answer = json.loads(out)
    assert answer["isError"] is False and answer["structuredContent"]["stdout"] == "42\n"
    assert not list(cache.glob("snapshot-*.cwasm")), "answered by the snapshot: the cache was not empty?"
    print(f"first tools/call on an empty cache answered in {elapsed:.1f} s")
