"""Under stdio, stdout carries protocol frames and nothing else: checked byte for byte.

This test speaks newline-delimited JSON-RPC to the server by hand (no SDK on the client side), so it
also shows that a plain 2025-06-18 `initialize` handshake works and that a garbage line does not
take the server down.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wasm_sandbox import ExecResult


def test_stdout_is_only_json_rpc_frames(sandbox_prepared):
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcp_server", "--log-level", "DEBUG"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
    )
    frames: list[dict] = []

    def send(msg) -> None:
        proc.stdin.write((msg if isinstance(msg, str) else json.dumps(msg)) + "\n")
        proc.stdin.flush()

    def receive() -> dict:
        """The next response; notifications before it (e.g. "the sandbox is being prepared") are
        checked as frames and skipped."""
        while True:
            line = proc.stdout.readline()
            assert line, f"server closed stdout; stderr: {proc.stderr.read()[-2000:]}"
            frame = json.loads(line)  # anything that is not a JSON frame fails here
            assert frame["jsonrpc"] == "2.0"
            frames.append(frame)
            if "id" in frame:
                return frame
            assert frame["method"].startswith("notifications/"), frame

    try:
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
        init = receive()
        assert init["id"] == 1 and init["result"]["serverInfo"]["name"] == "deepmath-sandbox"
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})

        # The guest prints plenty; it must arrive inside the result, never as raw stdout.
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "run_python", "arguments": {
            "code": "for i in range(200):\n    print('guest line', i)"}}})
        call = receive()
        assert call["id"] == 2 and call["result"]["isError"] is False
        res = ExecResult.model_validate(call["result"]["structuredContent"])
        assert res.stdout.splitlines() == [f"guest line {i}" for i in range(200)]

        send("this is not json")
        send({"jsonrpc": "2.0", "id": 3, "method": "tools/list"})
        listed = receive()
        assert listed["id"] == 3 and len(listed["result"]["tools"]) == 3
    finally:
        proc.stdin.close()  # EOF on stdin is how a stdio client says goodbye
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("the server did not exit after stdin closed")
        rest, err = proc.stdout.read(), proc.stderr.read()
    assert rest == "", f"unexpected stdout after the last response: {rest[:300]!r}"
    assert proc.returncode == 0, err[-2000:]
    assert "serving on stdio" in err  # logs go to stderr
