"""An MCP session whose client vanished without a DELETE is closed by the server after the session idle
time (`--session-idle`), like its sandbox sessions, instead of holding memory for the SDK's default 30
minutes: the same session id is refused afterwards, while a session that keeps calling stays open."""

from __future__ import annotations

import time

import httpx

PROTOCOL = "2025-06-18"
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _open(url: str, http: httpx.Client) -> dict[str, str]:
    r = http.post(url, headers=HEADERS, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
    assert r.status_code == 200, r.text[:300]
    headers = HEADERS | {"mcp-session-id": r.headers["mcp-session-id"], "mcp-protocol-version": PROTOCOL}
    assert http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}).status_code == 202
    return headers


def _ping(url: str, http: httpx.Client, headers: dict[str, str]) -> int:
    return http.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}).status_code


def test_an_abandoned_mcp_session_is_closed_after_the_idle_time(make_http_server):
    server = make_http_server("--session-idle", "2", "--log-level", "WARNING")
    try:
        with httpx.Client(timeout=30) as http:
            gone, kept = _open(server.url, http), _open(server.url, http)
            assert _ping(server.url, http, gone) == 200
            for _ in range(8):  # 4 s: twice the idle time; `kept` stays busy every half second
                time.sleep(0.5)
                assert _ping(server.url, http, kept) == 200
            assert _ping(server.url, http, gone) == 404  # the SDK's answer for a session it no longer has
            assert _ping(server.url, http, kept) == 200
        assert server.alive()
    finally:
        server.stop()
