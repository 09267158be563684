"""On a machine without the sandbox snapshot, the server answers at once and says what it waits for.

`DEEPMATH_CACHE` points at an empty folder, so the server starts compiling the interim interpreter
(then the snapshot; tests/mcp/test_inspector.py checks that the interim one answers the first call).
Within a few seconds it must answer `initialize` and `tools/list` (a client's 60 s initialisation
timeout is then no problem), and a `run_python` call must wait for the build while telling the
client so in a log notification. The build is not awaited: the test kills the server's process
group, build included, after a few seconds.
"""

from __future__ import annotations

import anyio
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


async def test_the_interim_sandbox_serves_until_the_snapshot_takes_over(tmp_path, monkeypatch):
    """SandboxStartup without a cached snapshot: calls get the interim sandbox (and are told so),
    the snapshot's sandbox replaces it once built, and the interim one's sessions report a reset.
    The snapshot's build is held back by a gate; its files are copied from the shared cache."""
    import shutil
    import threading

    import wasm_sandbox
    from mcp_server import startup as startup_mod
    from wasm_sandbox import Limits, Sandbox, cache
    from wasm_sandbox.runtime import ENGINE_DESC, Runtime
    from wasm_sandbox.snapshot import compiled_snapshot_path

    Runtime.get()  # the shared cache holds the built snapshot (or this builds it, once per machine)
    src = compiled_snapshot_path(ENGINE_DESC)
    tmp_path.chmod(0o700)
    for path in (src, cache.digest_path(src)):
        shutil.copyfile(path, tmp_path / path.name)
    monkeypatch.setenv("DEEPMATH_CACHE", str(tmp_path))
    monkeypatch.setattr(startup_mod, "_snapshot_cached", lambda: False)
    monkeypatch.setattr(Runtime, "_instances", {})  # both runtimes are made here, from this cache
    gate = threading.Event()

    class Gated(Sandbox):
        def __init__(self, limits=None, interim=False):
            if not interim:
                assert gate.wait(300)
            super().__init__(limits, interim)

    monkeypatch.setattr(wasm_sandbox, "Sandbox", Gated)

    class Ctx:
        def __init__(self):
            self.said: list[str] = []

        async def info(self, message):
            self.said.append(message)

        async def report_progress(self, progress, total, message):
            self.said.append(message)

    st = startup_mod.SandboxStartup(Limits(timeout_s=5.0, memory_mb=256))
    try:
        st.start()
        ctx = Ctx()
        first = await st.get(ctx)
        assert first.runtime.interim and st.sandbox is None
        assert startup_mod.INTERIM_MESSAGE in ctx.said
        assert first.run("x = 41", session_id="s").status == "ok"
        gate.set()
        await anyio.to_thread.run_sync(st._done.wait, 300)
        ctx = Ctx()
        snap = await st.get(ctx)
        assert snap is st.sandbox and not snap.runtime.interim and ctx.said == []
        r = snap.run("x + 1", session_id="s")
        assert r.error.type == "NameError" and r.session_reset
        assert snap.run("6 * 7").value == "42"
        assert not list(tmp_path.glob("interim-*")), "the interim interpreter outlived its use in the cache"
    finally:
        gate.set()
        st.close()
