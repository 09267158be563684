"""Concurrency cap, cancellation and a hostile mixed load against a real server process.

The shared server runs snippets with a 10 s maximum and at most 4 at a time. Cancellation is
checked functionally: after cancelled infinite loops have filled every slot, a normal call must
finish within a 5 s client timeout, which only happens if cancelling freed the slots long before
the loops' own 10 s deadline.
"""

from __future__ import annotations

import random

import anyio
import pytest
from mcp.shared.exceptions import MCPError

pytestmark = pytest.mark.anyio

LOOP = "while True: pass"
MEMORY_BOMB = "chunks = []\nwhile True:\n    chunks.append(bytearray(8 << 20))"


async def _fill_slots_with_cancelled_loops(client, n: int = 4) -> None:
    async def loop_until_client_gives_up():
        with pytest.raises(MCPError, match="(?i)timed out"):
            await client.call_tool("run_python", {"code": LOOP}, read_timeout_seconds=1.0)

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(loop_until_client_gives_up)


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_cancelled_requests_interrupt_their_snippets_and_free_slots(connect, transport):
    async with connect(transport) as client:
        await _fill_slots_with_cancelled_loops(client)
        r = await client.call_tool("run_python", {"code": "2 ** 10"}, read_timeout_seconds=5.0)
        assert r.structured_content["value"] == "1024"


async def test_client_disconnect_interrupts_its_snippets(connect):
    async with connect("http") as client:
        with anyio.move_on_after(1.0):
            async with anyio.create_task_group() as tg:
                for _ in range(4):
                    tg.start_soon(client.call_tool, "run_python", {"code": LOOP})
    # That client is gone (its session was closed); its loops must not hold the 4 slots.
    async with connect("http") as other:
        r = await other.call_tool("run_python", {"code": "3 * 3"}, read_timeout_seconds=5.0)
        assert r.structured_content["value"] == "9"


async def test_hundred_concurrent_calls_mixing_loops_memory_bombs_and_work(connect, http_server):
    rng = random.Random(7)
    calls: list[tuple[str, dict, float | None]] = []
    calls += [("normal", {"code": f"n = {i}\nn * n + 1"}, None) for i in range(50)]
    calls += [("loop", {"code": LOOP, "timeout_s": 1.0}, None) for _ in range(20)]
    calls += [("cancelled", {"code": LOOP}, 1.0) for _ in range(10)]  # the client gives up after 1 s
    calls += [("memory", {"code": MEMORY_BOMB, "timeout_s": 5.0}, None) for _ in range(20)]
    rng.shuffle(calls)
    outcomes: list[tuple[str, dict, object]] = []

    async def one(kind: str, args: dict, client_timeout: float | None):
        try:
            r = await client.call_tool("run_python", args, read_timeout_seconds=client_timeout or 120.0)
            outcomes.append((kind, args, r))
        except MCPError as e:
            outcomes.append((kind, args, e))

    async with connect("http") as client:
        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                for kind, args, client_timeout in calls:
                    tg.start_soon(one, kind, args, client_timeout)

        assert len(outcomes) == 100
        for kind, args, r in outcomes:
            if kind == "cancelled":
                assert isinstance(r, MCPError) and "timed out" in str(r).lower()
                continue
            assert not isinstance(r, Exception), (kind, r)
            status = r.structured_content["status"]
            if kind == "normal":
                n = int(args["code"].split()[2])
                assert (status, r.structured_content["value"]) == ("ok", str(n * n + 1))
            elif kind == "loop":
                assert status == "timeout" and r.is_error
            else:
                assert status == "memory" and r.is_error, r.structured_content

        # Still serving, with every slot free again.
        async with anyio.create_task_group() as tg:
            for i in range(4):
                tg.start_soon(_expect_value, client, f"{i} + 100", str(i + 100))
    assert http_server.alive()


async def _expect_value(client, code: str, value: str) -> None:
    r = await client.call_tool("run_python", {"code": code}, read_timeout_seconds=10.0)
    assert r.structured_content["value"] == value
