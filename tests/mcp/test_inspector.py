"""An independent client: the MCP Inspector CLI (Node, TypeScript SDK) against both transports.

The Python SDK is on both ends of the other tests, so a shared misreading of the spec would go
unnoticed there. This test needs Node and the Inspector installed; `.ci/mcp-inspector.sh`
installs it (pinned) into the cache and runs this file with MCP_INSPECTOR set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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
