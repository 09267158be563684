"""Run blocking sandbox calls from async code: off the event loop, capped, and cancellable.

`Sandbox.run` blocks until the snippet ends (up to its deadline). The MCP server is one event loop
serving many clients, so every call goes to a worker thread (wasmtime-py releases the GIL while
wasm runs). A `CapacityLimiter` caps how many snippets run at once; the others wait their turn in
FIFO order instead of piling threads onto two cores.

Cancellation is the subtle part. When a client cancels a request (`notifications/cancelled`, a
client-side timeout, an HTTP disconnect) the SDK cancels the handler's scope. A plain
`to_thread.run_sync` would either ignore that until the snippet finished (so an infinite loop keeps
its slot for the full deadline) or abandon the thread while it still burns a core. Instead we set
the `cancel` event that `Sandbox.run` watches, which interrupts the snippet within an epoch tick,
and keep the slot until the worker has really returned - so the cap always counts running
snippets, never ghosts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

T = TypeVar("T")

# How often a cancelled call checks whether its worker thread has returned. The sandbox's epoch
# ticker runs every ~10 ms, so polling faster than that buys nothing.
_CANCEL_POLL_S = 0.005


@dataclass
class RunnerStats:
    """Counters the server exposes in logs and the tests read."""

    running: int = 0
    waiting: int = 0
    completed: int = 0
    cancelled: int = 0


class _Job:
    """One blocking call and the state shared between the event loop and its worker thread."""

    def __init__(self, fn: Callable[[threading.Event], T]):
        self.fn = fn
        self.cancel = threading.Event()
        self.finished = threading.Event()
        self._lock = threading.Lock()
        self._started = False
        self._abandoned = False

    def __call__(self) -> T | None:
        with self._lock:
            if self._abandoned:  # cancelled before a worker picked it up: never start it
                self.finished.set()
                return None
            self._started = True
        try:
            return self.fn(self.cancel)
        finally:
            self.finished.set()

    def abandon(self) -> bool:
        """Mark the job cancelled; return True if its worker is (or was) running it."""
        with self._lock:
            self._abandoned = True
            self.cancel.set()
            return self._started


class SandboxRunner:
    """Admits at most `max_concurrency` blocking sandbox calls at a time."""

    def __init__(self, max_concurrency: int):
        self.max_concurrency = max_concurrency
        self._slots = anyio.CapacityLimiter(max_concurrency)
        # Our own thread limiter (anyio's default is 40 shared threads): every admitted call gets
        # a thread at once, plus headroom for the short non-snippet calls (reset, etc.).
        self._threads = anyio.CapacityLimiter(max_concurrency + 4)
        self.stats = RunnerStats()

    async def run(self, fn: Callable[[threading.Event], T]) -> tuple[T, float]:
        """Run `fn(cancel_event)` in a worker thread once a slot is free.

        Returns the result and the milliseconds spent waiting for a slot. If the calling task is
        cancelled, `cancel_event` is set, the slot stays held until the worker has returned, and
        the cancellation propagates.
        """
        queued_at = time.perf_counter()
        self.stats.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.stats.waiting -= 1
        queue_ms = (time.perf_counter() - queued_at) * 1000.0
        self.stats.running += 1
        job = _Job(fn)
        try:
            result = await anyio.to_thread.run_sync(job, abandon_on_cancel=True, limiter=self._threads)
        except anyio.get_cancelled_exc_class():
            self.stats.cancelled += 1
            if job.abandon():
                # Shielded: we were cancelled, but the slot must not be released while the
                # snippet still runs. The sandbox stops it within one epoch tick.
                with anyio.CancelScope(shield=True):
                    while not job.finished.is_set():
                        await anyio.sleep(_CANCEL_POLL_S)
            raise
        finally:
            self.stats.running -= 1
            self._slots.release()
        self.stats.completed += 1
        return result, queue_ms

    async def run_short(self, fn: Callable[[], T]) -> T:
        """Run a short blocking call (reset, listing) off the loop without taking a snippet slot."""
        return await anyio.to_thread.run_sync(fn, limiter=self._threads)
