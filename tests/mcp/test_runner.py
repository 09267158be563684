"""SandboxRunner with a real in-process Sandbox: the cap holds, and cancelling really stops snippets.

A cancelled scope around `runner.run` only exits once the worker thread has returned (the slot is
held until then), so leaving the scope long before the snippet's 10 s deadline shows that the
`cancel` event interrupted the infinite loop rather than abandoning a thread that keeps spinning.
"""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from mcp_server.runner import SandboxRunner
from wasm_sandbox import Limits, Sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def sandbox(sandbox_prepared):
    sb = Sandbox(Limits(timeout_s=10.0, memory_mb=128))
    yield sb
    sb.close()


async def test_cancel_interrupts_running_and_queued_snippets(sandbox):
    runner = SandboxRunner(max_concurrency=2)
    finished: list[str] = []

    def loop(cancel: threading.Event):
        r = sandbox.run("while True: pass", cancel=cancel)
        finished.append(r.error.type if r.error else r.status)
        return r

    start = time.monotonic()
    with anyio.move_on_after(0.5):
        async with anyio.create_task_group() as tg:
            for _ in range(4):  # two run, two wait for a slot
                tg.start_soon(runner.run, loop)
    elapsed = time.monotonic() - start
    assert elapsed < 3.0, f"cancelled snippets kept running for {elapsed:.1f} s"
    assert runner.stats.running == 0 and runner.stats.waiting == 0
    # The two that ran were interrupted by the cancel event; the two queued never started.
    assert finished == ["Cancelled", "Cancelled"]
    assert runner.stats.cancelled == 2

    r, queue_ms = await runner.run(lambda cancel: sandbox.run("6 * 7", cancel=cancel))
    assert r.value == "42" and queue_ms < 1000


async def test_cap_limits_concurrent_snippets(sandbox):
    runner = SandboxRunner(max_concurrency=2)
    peak = 0

    def work(cancel: threading.Event):
        nonlocal peak
        peak = max(peak, runner.stats.running)
        return sandbox.run("sum(range(100000))", cancel=cancel)

    async with anyio.create_task_group() as tg:
        for _ in range(6):
            tg.start_soon(runner.run, work)
    assert peak == 2
    assert runner.stats.completed == 6
