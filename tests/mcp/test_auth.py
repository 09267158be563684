"""Bearer-token auth on streamable HTTP, and the refusal to serve a public address without it.

The token is checked by the SDK's auth middleware with our constant-time verifier; these tests
speak raw HTTP (what any local process could send) and use the official SDK client.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

pytestmark = pytest.mark.anyio

TOKEN = "test-token-0123456789abcdef"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


MODULE_SERVER_FLAGS = ("--timeout", "5", "--memory-mb", "128", "--log-level", "WARNING")
MODULE_SERVER_ENV = {"DEEPMATH_MCP_TOKEN": TOKEN}


@pytest.mark.parametrize("auth", [None, "Bearer wrong-token-0123456789abcdef", f"Bearer {TOKEN}x", "Basic abc"])
async def test_requests_without_the_right_token_get_401(module_server, auth):
    headers = HEADERS if auth is None else {**HEADERS, "Authorization": auth}
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(module_server.url, json=INIT, headers=headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert "mcp-session-id" not in r.headers  # refused before any session exists


async def test_the_right_token_works(module_server, sdk_client):
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(module_server.url, json=INIT, headers={**HEADERS, "Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200 and r.headers["mcp-session-id"]
    async with sdk_client(module_server.url, token=TOKEN) as client:
        r = await client.call_tool("run_python", {"code": "6 * 7"})
        assert r.structured_content["value"] == "42"


async def test_the_sdk_client_without_a_token_is_refused(module_server, sdk_client):
    # The SDK reports the 401 (seen above on the wire) as a failed connection.
    with pytest.raises(Exception):  # noqa: B017 - the point is that it does not get through
        async with sdk_client(module_server.url) as client:
            await client.call_tool("run_python", {"code": "1"})


async def test_the_agents_executor_sends_the_token(module_server, monkeypatch, tmp_path):
    """McpExecutor.http reads the token as the server does: a file, else $DEEPMATH_MCP_TOKEN."""
    from agent_client.interfaces import AgentError
    from agent_client.mcp_executor import McpExecutor

    monkeypatch.delenv("DEEPMATH_MCP_TOKEN", raising=False)
    with pytest.raises(AgentError, match="could not connect"):
        async with McpExecutor.http(module_server.url) as ex:
            await ex.run("1", "s")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    async with McpExecutor.http(module_server.url, token_file=token_file) as ex:
        assert (await ex.run("6 * 7", "s")).result["value"] == "42"
    monkeypatch.setenv("DEEPMATH_MCP_TOKEN", TOKEN)
    async with McpExecutor.http(module_server.url) as ex:
        assert (await ex.run("6 * 7", "s")).result["value"] == "42"
    monkeypatch.setenv("DEEPMATH_MCP_TOKEN", "wrong-token-0123456789abcdef")
    with pytest.raises(AgentError, match="could not connect"):
        async with McpExecutor.http(module_server.url) as ex:
            await ex.run("1", "s")


def test_the_agent_cli_checks_its_token_file(tmp_path):
    r = subprocess.run([sys.executable, "-m", "agent_client.cli", "--mcp-token-file", str(tmp_path / "missing"),
                        "--mcp-url", "http://127.0.0.1:9/mcp", "q"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "cannot read --mcp-token-file" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "agent_client.cli", "--mcp-token-file", str(tmp_path / "missing"), "q"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "goes with --mcp-url" in r.stderr


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mcp_server", "--transport", "http", *args],
                          capture_output=True, text=True, timeout=60, env=env)


def test_a_public_host_without_a_token_is_a_usage_error(tmp_path):
    r = _cli("--host", "0.0.0.0")
    assert r.returncode == 2
    assert "--host 0.0.0.0 is reachable from other machines" in r.stderr and "--allow-unauthenticated" in r.stderr
    assert "Traceback" not in r.stderr

    short = tmp_path / "token"
    short.write_text("abc\n")
    r = _cli("--auth-token-file", str(short))
    assert r.returncode == 2 and "at least 16" in r.stderr
    r = _cli("--auth-token-file", str(tmp_path / "missing"))
    assert r.returncode == 2 and "cannot read --auth-token-file" in r.stderr
