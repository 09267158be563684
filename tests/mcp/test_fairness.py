"""Slots are shared fairly between clients: hostile bursts cannot delay a well-behaved call
beyond one snippet's run time.

Server: 4 slots, so over HTTP one client may hold at most 2 (the default per-client share). The
hostile calls are infinite loops stopped by a 1.5 s deadline.
- One client sends 8 loops: it holds 2 slots, the other 2 stay free, so a newcomer starts at once
  (with FIFO slots it would wait behind all 8: 2 rounds, 3 s).
- Four clients send 3 loops each, all slots busy, 8 loops queued: the newcomer is served at the
  first free slot, i.e. within one 1.5 s run (FIFO would put it behind the queue: 3 rounds, 4.5 s).
The bound checked is the server's own `queue_ms`, with a margin for a loaded machine.
"""

from __future__ import annotations

import anyio
import pytest

pytestmark = pytest.mark.anyio

LOOP = {"code": "while True: pass", "timeout_s": 1.5}


MODULE_SERVER_FLAGS = (
    "--timeout", "10", "--memory-mb", "128", "--max-concurrency", "4", "--log-level", "WARNING",
)


async def _hostile(client, n: int) -> None:
    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(client.call_tool, "run_python", LOOP)


async def test_one_client_cannot_take_every_slot(module_server, sdk_client):
    async with sdk_client(module_server.url) as hostile, sdk_client(module_server.url) as polite:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_hostile, hostile, 8)
            await anyio.sleep(0.5)
            r = await polite.call_tool("run_python", {"code": "1 + 1"})
            assert r.structured_content["value"] == "2"
            assert r.structured_content["queue_ms"] < 500, r.structured_content


async def test_a_queue_of_hostile_calls_does_not_delay_another_client_past_one_run(module_server, sdk_client):
    async with (sdk_client(module_server.url) as h1, sdk_client(module_server.url) as h2,
                sdk_client(module_server.url) as h3, sdk_client(module_server.url) as h4,
                sdk_client(module_server.url) as polite):
        async with anyio.create_task_group() as tg:
            for h in (h1, h2, h3, h4):
                tg.start_soon(_hostile, h, 3)
            await anyio.sleep(0.5)
            r = await polite.call_tool("run_python", {"code": "1 + 1"})
            assert r.structured_content["value"] == "2"
            assert r.structured_content["queue_ms"] < 2500, r.structured_content
