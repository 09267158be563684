"""Bad requests get a clear error, and the server keeps serving afterwards."""

from __future__ import annotations

import uuid

import httpx
import pytest

pytestmark = pytest.mark.anyio

TRANSPORTS = ["stdio", "http"]


async def _still_serving(client) -> None:
    r = await client.call_tool("run_python", {"code": "sum(range(10))"})
    assert r.is_error is False and r.structured_content["value"] == "45"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_invalid_arguments_and_unknown_tools(connect, transport):
    cases = [
        # (tool, arguments, text the error must contain)
        ("run_python", {"code": "x" * (256 * 1024 + 1)}, "the limit is 262144 bytes"),
        ("run_python", {"code": "é" * (128 * 1024 + 1)}, "the limit is 262144 bytes"),  # bytes, not chars
        ("run_python", {"code": 123}, "code"),
        ("run_python", {}, "code"),
        ("run_python", {"code": "1", "timeout_s": "soon"}, "timeout_s"),
        ("run_python", {"code": "1", "timeout_s": -1}, "timeout_s"),
        ("run_python", {"code": "1", "session_id": "../../etc"}, "session_id"),
        ("run_python", {"code": "1", "session_id": ["a"]}, "session_id"),
        ("reset_session", {}, "session_id"),
        ("no_such_tool", {"code": "1"}, "Unknown tool: no_such_tool"),
    ]
    async with connect(transport) as client:
        for tool, args, needle in cases:
            r = await client.call_tool(tool, args)
            assert r.is_error is True, (tool, list(args))
            assert needle in r.content[0].text, (needle, r.content[0].text[:300])
        await _still_serving(client)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_unknown_session_id_starts_a_new_session(connect, transport):
    sid = f"brand-new-{uuid.uuid4().hex}"
    async with connect(transport) as client:
        r = await client.call_tool("run_python", {"code": "y = 5\ny * 2", "session_id": sid})
        assert r.is_error is False
        assert r.structured_content["value"] == "10"
        assert r.structured_content["session_reset"] is False
        r2 = await client.call_tool("run_python", {"code": "y + 1", "session_id": sid})
        assert r2.structured_content["value"] == "6"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_trap_ends_the_session_and_the_next_call_says_so(connect, transport):
    sid = f"trap-{uuid.uuid4().hex[:8]}"
    async with connect(transport) as client:
        await client.call_tool("run_python", {"code": "z = 1", "session_id": sid})
        t = await client.call_tool("run_python", {"code": "while True: pass", "session_id": sid, "timeout_s": 0.3})
        assert t.structured_content["status"] == "timeout"
        after = await client.call_tool("run_python", {"code": "'z' in globals()", "session_id": sid})
        assert after.structured_content["value"] == "False"
        assert after.structured_content["session_reset"] is True


HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def test_malformed_json_rpc_over_http(http_server, connect):
    async with httpx.AsyncClient(timeout=10) as http:
        bad = [
            (b"{not json", HEADERS),
            (b'{"jsonrpc": "2.0", "method": 5, "id": 1}', HEADERS),
            (b'{"hello": "world"}', HEADERS),
            (b"[]", HEADERS),
            (b'{"jsonrpc": "2.0", "method": "tools/call", "id": 1}', {**HEADERS, "Content-Type": "text/plain"}),
        ]
        for body, headers in bad:
            resp = await http.post(http_server.url, content=body, headers=headers)
            assert 400 <= resp.status_code < 500, (body, resp.status_code, resp.text[:200])
            if resp.headers.get("content-type", "").startswith("application/json"):
                err = resp.json()["error"]
                assert err["code"] < 0 and err["message"], err
    assert http_server.alive()
    async with connect("http") as client:
        await _still_serving(client)


@pytest.mark.parametrize("flags, needle", [
    (["--timeout", "0"], "timeout_s"),
    (["--memory-mb", "8"], "memory_mb"),
    (["--transport", "carrier-pigeon"], "invalid choice"),
])
def test_invalid_flags_are_refused_before_anything_starts(flags, needle):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "mcp_server", *flags], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert needle in proc.stderr and proc.stdout == ""
