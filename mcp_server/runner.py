"""Run blocking sandbox calls from async code: off the event loop, capped, fair, and cancellable.

`Sandbox.run` blocks until the snippet ends (up to its deadline). The MCP server is one event loop
serving many clients, so every call goes to a worker thread (wasmtime-py releases the GIL while
wasm runs). At most `max_concurrency` snippets run at once; the others wait for a slot instead of
piling threads onto two cores.

Fairness between clients is the scheduler's job, because FIFO order lets one client's burst
decide everyone's wait. Each client has its own FIFO queue and may hold at most `per_client`
slots. When a slot frees it goes to the waiting client with the fewest running snippets, ties to
the client served least recently. So a client's call waits for the clients competing with it, not
for the number of calls they queued: with slots to spare it starts at once, otherwise it starts as
soon as a slot frees (every snippet ends within its deadline), ahead of clients that already
hold slots.

Cancellation is the subtle part. When a client cancels a request (`notifications/cancelled`, a
client-side timeout, an HTTP disconnect) the SDK cancels the handler's scope. A plain
`to_thread.run_sync` would either ignore that until the snippet finished (so an infinite loop keeps
its slot for the full deadline) or abandon the thread while it still burns a core. Instead we set
the `cancel` event that `Sandbox.run` watches, which interrupts the snippet within an epoch tick,
and keep the slot until the worker has really returned - so the cap always counts running
snippets, never ghosts. `close()` does the same for every call at once (server shutdown).

All scheduler state is touched only from the event loop thread, so it needs no lock.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

T = TypeVar("T")

# How often a cancelled call checks whether its worker thread has returned. The sandbox's epoch
# ticker runs every ~10 ms, so polling faster than that buys nothing.
_CANCEL_POLL_S = 0.005


class RunnerClosed(RuntimeError):
    """The runner is shutting down and accepts no more calls."""


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


class _Ticket:
    """A call waiting for a slot."""

    __slots__ = ("client", "granted", "refused")

    def __init__(self, client: str):
        self.client = client
        self.granted = anyio.Event()
        self.refused = False


class SandboxRunner:
    """Admits at most `max_concurrency` blocking sandbox calls at a time, `per_client` per client."""

    def __init__(self, max_concurrency: int, per_client: int | None = None):
        if max_concurrency < 1 or (per_client is not None and per_client < 1):
            raise ValueError("max_concurrency and per_client must be at least 1")
        self.max_concurrency = max_concurrency
        self.per_client = min(per_client or max_concurrency, max_concurrency)
        self._free = max_concurrency
        self._running: Counter[str] = Counter()
        self._queues: dict[str, deque[_Ticket]] = {}
        self._last_served: dict[str, int] = {}  # grant number of each client's latest slot
        self._grants = itertools.count()
        self._jobs: set[_Job] = set()
        self._closed = False
        # Our own thread limiter (anyio's default is 40 shared threads): every admitted call gets
        # a thread at once, plus headroom for the short non-snippet calls (reset, etc.).
        self._threads = anyio.CapacityLimiter(max_concurrency + 4)
        self.stats = RunnerStats()

    # -- the scheduler ------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        """Hand free slots to waiting clients: fewest running first, then least recently served."""
        while self._free > 0:
            eligible = [c for c, q in self._queues.items() if q and self._running[c] < self.per_client]
            if not eligible:
                return
            client = min(eligible, key=lambda c: (self._running[c], self._last_served.get(c, -1)))
            queue = self._queues[client]
            ticket = queue.popleft()
            if not queue:
                del self._queues[client]
            self._grant(client)
            ticket.granted.set()

    def _grant(self, client: str) -> None:
        self._free -= 1
        self._running[client] += 1
        self._last_served[client] = next(self._grants)

    def _release(self, client: str) -> None:
        self._free += 1
        self._running[client] -= 1
        if not self._running[client]:
            del self._running[client]
            if client not in self._queues:
                self._last_served.pop(client, None)
        self._dispatch()

    async def _acquire(self, client: str) -> None:
        if self._closed:
            raise RunnerClosed("the server is shutting down")
        ticket = _Ticket(client)
        self._queues.setdefault(client, deque()).append(ticket)
        self.stats.waiting += 1
        try:
            self._dispatch()
            await ticket.granted.wait()
        except BaseException:
            if ticket.granted.is_set() and not ticket.refused:
                self._release(client)  # granted just as we were cancelled: hand the slot on
            else:
                queue = self._queues.get(client)
                if queue is not None and ticket in queue:
                    queue.remove(ticket)
                    if not queue:
                        del self._queues[client]
            raise
        finally:
            self.stats.waiting -= 1
        if ticket.refused:
            raise RunnerClosed("the server is shutting down")

    # -- the public calls ---------------------------------------------------------------------------
    async def run(self, fn: Callable[[threading.Event], T], client: str = "") -> tuple[T, float]:
        """Run `fn(cancel_event)` in a worker thread once `client` is given a slot.

        Returns the result and the milliseconds spent waiting for a slot. If the calling task is
        cancelled, `cancel_event` is set, the slot stays held until the worker has returned, and
        the cancellation propagates. Raises `RunnerClosed` once `close()` was called.
        """
        queued_at = time.perf_counter()
        await self._acquire(client)
        queue_ms = (time.perf_counter() - queued_at) * 1000.0
        self.stats.running += 1
        job = _Job(fn)
        self._jobs.add(job)
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
            self._jobs.discard(job)
            self.stats.running -= 1
            self._release(client)
        self.stats.completed += 1
        return result, queue_ms

    async def run_short(self, fn: Callable[[], T]) -> T:
        """Run a short blocking call (reset, listing) off the loop without taking a snippet slot."""
        return await anyio.to_thread.run_sync(fn, limiter=self._threads)

    async def drain(self) -> None:
        """Wait until no snippet runs (after `close()`, within about an epoch tick)."""
        while self._jobs:
            await anyio.sleep(_CANCEL_POLL_S)

    def close(self) -> None:
        """Refuse new calls, refuse the queued ones and interrupt the running ones (shutdown).

        Thread-safe in the part that touches running snippets (it only sets their cancel events);
        call it from the event loop thread."""
        self._closed = True
        for job in list(self._jobs):
            job.abandon()
        for queue in self._queues.values():
            for ticket in queue:
                ticket.refused = True
                ticket.granted.set()
        self._queues.clear()
