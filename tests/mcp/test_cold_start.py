"""On a machine without the sandbox snapshot, the server answers at once and says what it waits for.

`DEEPMATH_CACHE` points at an empty folder, so the server starts compiling the interim interpreter
(then the snapshot; tests/mcp/test_inspector.py checks that the interim one answers the first call).
Within a few seconds it must answer `initialize` and `tools/list` (a client's 60 s initialisation
timeout is then no problem), and a `run_python` call must wait for the build while telling the
client so in a log notification. The build is not awaited: the test kills the server's process
group, build included, after a few seconds.
"""

from __future__ import annotations

import pytest
from mcp.shared.exceptions import MCPError

pytestmark = pytest.mark.anyio


async def test_initialize_and_tools_list_answer_during_the_snapshot_build(tmp_path, make_http_server, sdk_client):
    server = make_http_server("--log-level", "INFO", env={"DEEPMATH_CACHE": str(tmp_path)}, ready_timeout_s=20)
    logs: list[str] = []

    async def on_log(params) -> None:
        logs.append(str(params.data))

    try:
        async with sdk_client(server.url, logging_callback=on_log, read_timeout_seconds=10.0) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert tools == {"run_python", "reset_session", "list_allowed_modules"}
            mods = await client.call_tool("list_allowed_modules", {})
            assert "sympy" in mods.structured_content["result"]
            assert not list(tmp_path.glob("*.cwasm")), "the build finished already?"
            with pytest.raises(MCPError, match="(?i)timed out"):
                await client.call_tool("run_python", {"code": "1 + 1"}, read_timeout_seconds=3.0)
        assert any("the sandbox is being prepared" in line for line in logs), logs
        assert "preparing an interim interpreter" in server.log()  # first, for the calls (test_interim.py)
    finally:
        server.kill_group()
