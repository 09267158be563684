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


async def _until(ready, timeout_s: float = 10.0) -> None:
    with anyio.fail_after(timeout_s):  # a loaded machine may take a while to start the threads
        while not ready():
            await anyio.sleep(0.01)


async def test_free_slots_go_to_the_client_with_the_fewest_running():
    """Scheduling alone, with plain blocking functions: a burst from one client neither takes the
    slots beyond its share nor queues ahead of a client that arrives later."""
    runner = SandboxRunner(max_concurrency=2, per_client=2)
    release = {name: threading.Event() for name in ("burst0", "burst1", "burst2", "burst3", "polite")}
    order: list[str] = []

    def blocker(name: str):
        def fn(cancel: threading.Event):
            order.append(name)
            release[name].wait(5)
            return name
        return fn

    async with anyio.create_task_group() as tg:
        for i in range(4):  # the burst: two run, two wait
            tg.start_soon(runner.run, blocker(f"burst{i}"), "burst")
        await _until(lambda: len(order) == 2 and runner.stats.waiting == 2)
        tg.start_soon(runner.run, blocker("polite"), "polite")
        await _until(lambda: runner.stats.waiting == 3)
        assert runner.stats.running == 2 and set(order) == {"burst0", "burst1"}
        release[order[0]].set()  # exactly one slot frees
        await _until(lambda: len(order) == 3)
        for event in release.values():
            event.set()
    # The polite client, queued last, got the first slot that freed (it held none).
    assert order[2] == "polite", order


async def test_a_client_never_holds_more_than_its_share():
    runner = SandboxRunner(max_concurrency=4, per_client=2)
    release = threading.Event()
    peak: dict[str, int] = {}
    live: dict[str, int] = {}
    lock = threading.Lock()

    def fn_for(client: str):
        def fn(cancel: threading.Event):
            with lock:
                live[client] = live.get(client, 0) + 1
                peak[client] = max(peak.get(client, 0), live[client])
            release.wait(0.2)
            with lock:
                live[client] -= 1
        return fn

    async with anyio.create_task_group() as tg:
        for _ in range(6):
            tg.start_soon(runner.run, fn_for("a"), "a")
        await anyio.sleep(0.05)
        for _ in range(2):
            tg.start_soon(runner.run, fn_for("b"), "b")
    assert peak == {"a": 2, "b": 2}


async def test_close_refuses_queued_calls_and_interrupts_running_ones(sandbox):
    from mcp_server.runner import RunnerClosed

    runner = SandboxRunner(max_concurrency=1)
    results: list[object] = []

    async def call():
        try:
            r, _ = await runner.run(lambda cancel: sandbox.run("while True: pass", cancel=cancel))
            results.append(r.error.type)
        except RunnerClosed:
            results.append("refused")

    async with anyio.create_task_group() as tg:
        tg.start_soon(call)
        tg.start_soon(call)
        await anyio.sleep(0.5)
        runner.close()
    assert sorted(results) == ["Cancelled", "refused"]
    with pytest.raises(RunnerClosed):
        await runner.run(lambda cancel: None)
