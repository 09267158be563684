"""A client whose connections close frees its slots at once, and a new client does not wait.

The hostile client speaks raw streamable HTTP (initialize-era, as most clients do): it starts 8
infinite loops on a server with 4 slots that a single client may fill, then drops the connections
without a DELETE or a `notifications/cancelled`. The loops' deadline is 10 s; the newcomer's call
must finish within a 4 s client timeout, which only happens if the disconnects stopped the
running loops and withdrew the queued ones.
"""

from __future__ import annotations

import anyio
import httpx
import pytest

pytestmark = pytest.mark.anyio

HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


MODULE_SERVER_FLAGS = (
    "--timeout", "10", "--memory-mb", "128", "--max-concurrency", "4",
    "--max-concurrency-per-client", "4", "--log-level", "WARNING",
)


async def _raw_session(http: httpx.AsyncClient, url: str) -> dict[str, str]:
    r = await http.post(url, headers=HEADERS, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
    assert r.status_code == 200, r.text
    headers = {**HEADERS, "mcp-session-id": r.headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18"}
    r = await http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert r.status_code == 202
    return headers


async def test_closed_connections_cancel_their_snippets(module_server, sdk_client):
    url = module_server.url
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=20)) as http:
        headers = await _raw_session(http, url)

        async def loop_then_hang_up(i: int) -> None:
            call = {"jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
                    "params": {"name": "run_python", "arguments": {"code": "while True: pass"}}}
            async with http.stream("POST", url, headers=headers, json=call) as r:
                assert r.status_code == 200
                await anyio.sleep(30)  # never reached: cancelled below, which closes the connection

        with anyio.move_on_after(1.0):
            async with anyio.create_task_group() as tg:
                for i in range(8):
                    tg.start_soon(loop_then_hang_up, i)

        async with sdk_client(url) as newcomer:
            r = await newcomer.call_tool("run_python", {"code": "2 + 2"}, read_timeout_seconds=4.0)
            assert r.structured_content["value"] == "4"
            assert r.structured_content["queue_ms"] < 2000
