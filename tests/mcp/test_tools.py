"""The three tools, as an MCP client sees them, over stdio and streamable HTTP."""

from __future__ import annotations

import uuid

import pytest

from wasm_sandbox import ExecResult

pytestmark = pytest.mark.anyio

TRANSPORTS = ["stdio", "http"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_tool_listing_describes_schema_annotations_and_limits(connect, transport):
    async with connect(transport) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"run_python", "reset_session", "list_allowed_modules"}

    run = tools["run_python"]
    assert run.input_schema["required"] == ["code"]
    assert set(run.input_schema["properties"]) == {"code", "session_id", "timeout_s"}
    # The output schema is derived from the typed return value: ExecResult's fields and the server's.
    props = run.output_schema["properties"]
    assert set(ExecResult.model_fields) <= set(props)
    assert {"timeout_s", "queue_ms", "notice"} <= set(props)
    assert props["status"]["enum"] == ["ok", "error", "timeout", "memory", "crashed", "busy"]

    ann = run.annotations
    assert (ann.read_only_hint, ann.destructive_hint, ann.open_world_hint) == (True, False, False)
    # A model only knows what the description tells it: modules, limits, sessions.
    for needle in ("sympy", "numpy", "10 s", "256 MB", "session_id", "keep variables"):
        assert needle in run.description, needle
    assert tools["reset_session"].annotations.destructive_hint is True
    assert tools["list_allowed_modules"].annotations.read_only_hint is True


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_run_python_returns_structured_result_and_text(connect, transport):
    async with connect(transport) as client:
        r = await client.call_tool("run_python", {"code": "print(6 * 7)\nfrom sympy import factorint\nfactorint(360)"})
    assert r.is_error is False
    res = ExecResult.model_validate(r.structured_content)
    assert res.status == "ok"
    assert res.stdout == "42\n"
    assert res.value == "{2: 3, 3: 2, 5: 1}"
    assert r.structured_content["timeout_s"] == 10.0
    assert r.structured_content["notice"] is None
    # The text block is the same rendering the agent shows its model.
    assert r.content[0].text == res.render() == "42\n\n{2: 3, 3: 2, 5: 1}"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_sessions_keep_state_and_reset_clears_it(connect, transport):
    sid = f"t-{uuid.uuid4().hex[:8]}"
    async with connect(transport) as client:
        first = await client.call_tool("run_python", {"code": "x = 20\ndef f(n): return n + x", "session_id": sid})
        assert first.is_error is False
        again = await client.call_tool("run_python", {"code": "f(22)", "session_id": sid})
        assert again.structured_content["value"] == "42"

        # Without a session id every call starts fresh.
        fresh = await client.call_tool("run_python", {"code": "x"})
        assert fresh.is_error is True
        assert fresh.structured_content["error"]["type"] == "NameError"

        reset = await client.call_tool("reset_session", {"session_id": sid})
        assert reset.structured_content == {"session_id": sid, "existed": True}
        gone = await client.call_tool("run_python", {"code": "x", "session_id": sid})
        assert gone.is_error is True
        assert gone.structured_content["error"]["type"] == "NameError"

        # Resetting an id that never existed is fine, and says so.
        never = await client.call_tool("reset_session", {"session_id": "never-used"})
        assert never.is_error is False and never.structured_content["existed"] is False


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_failures_are_tool_errors_with_the_guest_traceback(connect, transport):
    async with connect(transport) as client:
        r = await client.call_tool("run_python", {"code": "def g():\n    return 1 / 0\ng()"})
        assert r.is_error is True
        assert r.structured_content["status"] == "error"
        assert r.structured_content["error"]["type"] == "ZeroDivisionError"
        assert "ZeroDivisionError" in r.content[0].text and "g()" in r.content[0].text

        imp = await client.call_tool("run_python", {"code": "import socket"})
        assert imp.is_error is True
        assert imp.structured_content["error"]["type"] in ("ImportError", "ModuleNotFoundError")
        assert "sympy" in imp.structured_content["error"]["message"]  # names the allow-list

        mods = await client.call_tool("list_allowed_modules", {})
        assert mods.is_error is False
        assert {"math", "sympy", "numpy", "fractions"} <= set(mods.structured_content["result"])
        assert "socket" not in mods.structured_content["result"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_timeouts_above_the_maximum_are_clamped_and_reported(connect, transport):
    async with connect(transport) as client:
        r = await client.call_tool("run_python", {"code": "1 + 1", "timeout_s": 1000})
        assert r.is_error is False
        assert r.structured_content["value"] == "2"
        assert r.structured_content["timeout_s"] == 10.0
        assert "clamped to 10 s" in r.structured_content["notice"]
        assert r.content[0].text == "2"  # the text stays ExecResult.render(), as the agent expects

        loop = await client.call_tool("run_python", {"code": "while True: pass", "timeout_s": 0.5})
        assert loop.is_error is True
        assert loop.structured_content["status"] == "timeout"
        assert loop.structured_content["timeout_s"] == 0.5
