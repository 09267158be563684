"""The public sandbox: fresh isolated calls, persistent sessions, a warm pool, hard limits.

A call without a session id runs in a brand-new instance of the snapshot that is closed afterwards,
so nothing leaks between calls. A session is one live instance whose globals persist across calls
(a model reuses its variables between snippets); it is one trust domain, and sessions never share
an instance. A trap (deadline, stack overflow, memory, a malformed result) ends the session's
state: the next call on that id starts a fresh instance and says `session_reset: true`, as does
the first call after an idle expiry, an LRU eviction or an eviction for the memory budget.

Memory is admitted, not hoped for: every instance the sandbox holds (live sessions, the warm pool,
running calls) is charged against `Limits.budget_bytes` (a running call at its full cap, an idle
one at its current size). A call that does not fit first evicts pooled instances and idle
sessions (least recently used first); if running calls alone fill the budget it returns `busy`
without running. A call waiting for its session (in use by another call) waits at most until its
own deadline, then returns `busy` with the session untouched.

Who closes an instance: whoever holds its session's lock when the session is dropped - the thread
that drops it if the session is idle, else the running call when it finishes - hands it to the
reaper thread (freeing a few hundred MB takes ~0.2 s on a loaded machine, which must not delay the
result or hold the sandbox lock). An instance whose memory grew beyond a fresh one's is closed at
once. One that did not grow (most fresh calls) holds only the few MB it touched, and closing it
costs ~0.8 ms of `munmap`, which stalls the page faults of a call running beside it; so those wait
until no call has started or ended for `REAP_IDLE_S`, or until `REAP_BACKLOG` of them wait. A Store
is never closed under a running guest, and never left for the garbage collector;
`wait_released()` closes the backlog and waits for the reaper. Not covered by the memory budget: the
backlog itself, at most `REAP_BACKLOG` instances that each touched no more than a fresh instance's
linear memory (~100 MiB; ~10 MB for a typical call), closed once calls pause.

A background thread keeps a few instances ready so a fresh call pays neither the instantiation nor
the first call's one-off costs. Once calls have been quiet for `REAP_IDLE_S`, it runs the host's own
constant `WARM_UP` snippet once in each pooled instance (seeding its generators with its own seed,
faulting in the interpreter's pages: ~3 ms of a new instance's first call against ~1 ms for its
second); not while calls run, where that work would only slow them. Nothing a client sent has run
in a pooled instance, so it is as fresh as a new one. Calls from many threads run in parallel:
wasmtime releases the GIL while wasm runs, and each instance is used by one thread at a time.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from .limits import MIB, Limits
from .figures import Inbox
from .policy import DEFAULT_ALLOWED_MODULES, PROFILES
from .result import ErrorInfo, ExecResult
from .runtime import Instance, Runtime

MAX_TOMBSTONES = 4096
MIN_RUN_S = 0.01  # a call left with less than this after waiting for its session is not started
_WAIT_SLICE_S = 0.02  # how often a call waiting for its session checks its cancel event
REAP_IDLE_S = 0.005  # un-grown dropped instances are closed once calls have been quiet this long...
REAP_BACKLOG = 4  # ...or once this many wait (each holds what it touched: ~10 MB, at most a fresh instance's size)
QUIET_MAX_WAIT_S = 0.2  # while calls stay busy, the checks for a quiet moment back off up to this
WARM_UP = "pass"  # run once by the pool filler in every pooled instance, while calls are quiet


@dataclass(eq=False)
class _Session:
    instance: Instance | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)
    running: bool = False
    retired: bool = False  # dropped from the table; its lock holder closes the instance


class _Backoff:
    """How long the reaper and the pool filler wait before they look for a quiet moment again:
    REAP_IDLE_S after something happened, doubling up to QUIET_MAX_WAIT_S while nothing does."""

    def __init__(self) -> None:
        self.seconds = REAP_IDLE_S

    def woken(self, by_event: bool) -> None:
        self.seconds = REAP_IDLE_S if by_event else min(2 * self.seconds, QUIET_MAX_WAIT_S)


def _busy(message: str) -> ExecResult:
    return ExecResult(status="busy", error=ErrorInfo(type="Busy", message=message))


class Sandbox:
    """Run untrusted Python snippets in wasmtime. Thread-safe; usable as a context manager."""

    allowed_modules: tuple[str, ...] = DEFAULT_ALLOWED_MODULES  # this instance's: its profile's

    def __init__(self, limits: Limits | None = None, interim: bool = False) -> None:
        self.limits = limits or Limits()
        self.allowed_modules = PROFILES[self.limits.modules]
        self.runtime = Runtime.get(self.limits.modules, interim)  # interim: see Runtime; it serves until the snapshot is ready
        self._cap = self.limits.memory_mb * MIB
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._tombstones: OrderedDict[str, None] = OrderedDict()  # ids whose state was lost
        self._pool: list[Instance] = []
        self._running = 0  # calls admitted and not finished (each charged at the cap)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._cold: set[Instance] = set()  # pooled instances that have not run WARM_UP yet
        self._warming: Instance | None = None  # out of the pool while it runs WARM_UP (still charged)
        self._want = threading.Event()
        self._dropped: queue.Queue[Instance] = queue.Queue()
        self._flush = threading.Event()  # close the reaper's backlog now (wait_released, close)
        self._last_change = time.monotonic()  # when a call last started or ended
        self._fresh_bytes: int | None = None  # linear memory of a new instance
        self._draining = False  # handed over (`hand_over`): no pool, no sessions kept
        self._filler = threading.Thread(target=self._fill, name="deepmath-pool", daemon=True)
        self._filler.start()
        threading.Thread(target=self._reap, name="deepmath-reaper", daemon=True).start()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- memory budget (callers hold self._lock) --------------------------------------------------

    def charged_bytes(self) -> int:
        """What the budget is charged now: running calls at the cap, idle instances at their size."""
        idle = sum(s.instance.size for s in self._sessions.values() if s.instance and not s.running)
        warming = self._warming.size if self._warming is not None else 0
        return self._running * self._cap + idle + warming + sum(i.size for i in self._pool)

    def _admit(self, sess: _Session | None) -> bool:
        """Charge one more running call (on `sess`, if given), evicting idle instances to make room."""
        own = sess.instance.size if sess is not None and sess.instance is not None else 0
        budget = self.limits.budget_bytes
        while self.charged_bytes() - own + self._cap > budget:
            if self._pool:
                self._drop(self._unpool(0))
                continue
            victim = next((sid for sid, s in self._sessions.items()
                           if s is not sess and not s.running and s.instance is not None), None)
            if victim is None:
                return False
            self._retire(victim, tombstone=True)
        self._running += 1
        self._last_change = time.monotonic()
        if sess is not None:
            sess.running = True
        return True

    def _finish(self, sess: _Session | None) -> None:
        self._running -= 1
        self._last_change = time.monotonic()
        if sess is not None:
            sess.running = False  # (no pool wake-up here: waking the filler on every call costs a GIL hand-off)

    # -- instances ---------------------------------------------------------------------------------

    def _drop(self, inst: Instance) -> None:
        """Have the reaper close `inst` (nobody may use it any more)."""
        self._dropped.put(inst)

    def _reap(self) -> None:
        backlog: list[Instance] = []
        wait = _Backoff()
        while True:
            try:
                inst = self._dropped.get(timeout=wait.seconds if backlog else None)
                wait.woken(True)
            except queue.Empty:
                inst = None
                wait.woken(False)
            if inst is not None:
                if self._small(inst):
                    backlog.append(inst)
                else:
                    self._close(inst)
            if backlog and (self._quiet() or len(backlog) >= REAP_BACKLOG or self._flush.is_set()):
                for inst in backlog:
                    self._close(inst)
                backlog = []

    def _small(self, inst: Instance) -> bool:
        """Whether `inst`'s linear memory stayed within a fresh instance's (then its close may wait)."""
        try:
            return self._fresh_bytes is not None and inst.memory_used() <= self._fresh_bytes
        except Exception:  # whatever state it is in, it is closed at once
            return False

    def _quiet(self) -> bool:
        """No call running, and none started or ended for REAP_IDLE_S (an unlocked read: a hint)."""
        return self._running == 0 and time.monotonic() - self._last_change >= REAP_IDLE_S

    def _close(self, inst: Instance) -> None:
        try:
            inst.close()
        finally:
            self._dropped.task_done()

    def wait_released(self) -> None:
        """Block until every dropped instance is closed (its memory returned to the host)."""
        self._flush.set()
        try:
            self._dropped.join()
        finally:
            self._flush.clear()

    def _new_instance(self) -> Instance:
        lim = self.limits
        inbox = Inbox(lim.max_figures, lim.max_figure_bytes, lim.max_figure_px) if lim.modules == "plot" else None
        inst = Instance(self.runtime, self._cap, lim.max_output_chars, inbox)
        if self._fresh_bytes is None:
            self._fresh_bytes = inst.size
        return inst

    def _unpool(self, index: int) -> Instance:
        """Take the pooled instance at `index` (-1: the newest warm one, 0: the coldest); callers hold the lock."""
        inst = self._pool.pop(index)
        self._cold.discard(inst)
        return inst

    def _take(self) -> Instance:
        with self._lock:
            inst = self._unpool(-1) if self._pool else None
        self._want.set()
        return inst or self._new_instance()

    def _warm_pool(self) -> None:
        """Run WARM_UP in each cold pooled instance, one at a time, while calls stay quiet."""
        while self._quiet() and not self._closed.is_set():
            with self._lock:
                index = next((k for k, i in enumerate(self._pool) if i in self._cold), None)
                if index is None:
                    return
                inst = self._warming = self._unpool(index)
            ok = inst.run(WARM_UP, self.limits.timeout_s).status == "ok"
            with self._lock:
                self._warming = None
                if ok and not self._closed.is_set() and not self._draining:
                    self._pool.append(inst)  # warm instances at the end: _take prefers them
                    inst = None
            if inst is not None:
                self._drop(inst)

    def _fill(self) -> None:
        wait = _Backoff()
        while not self._closed.is_set():
            while not self._closed.is_set():
                with self._lock:
                    short = len(self._pool) < self.limits.pool_size and not self._draining
                if not short:
                    break
                inst = self._new_instance()
                with self._lock:
                    fits = self.charged_bytes() + inst.size + self._cap <= self.limits.budget_bytes
                    if fits and not self._closed.is_set() and not self._draining:
                        self._pool.insert(0, inst)  # cold instances first: evicted first, taken last
                        self._cold.add(inst)
                        inst = None
                if inst is not None:  # no room (keep one call's cap free) or closing
                    self._drop(inst)
                    break
            self._warm_pool()
            self._expire()
            wait.woken(self._want.wait(wait.seconds if self._cold else 1.0))
            self._want.clear()

    # -- sessions (callers hold self._lock) ------------------------------------------------------

    def _retire(self, sid: str, tombstone: bool) -> None:
        """Drop session `sid`; close its instance now if idle, else its running call will."""
        sess = self._sessions.pop(sid, None)
        if tombstone:
            self._tombstones[sid] = None
            while len(self._tombstones) > MAX_TOMBSTONES:
                self._tombstones.popitem(last=False)
        if sess is None:
            return
        sess.retired = True
        if sess.lock.acquire(blocking=False):
            if sess.instance is not None:
                self._drop(sess.instance)
            sess.lock.release()

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.limits.session_idle_s
        with self._lock:
            for sid in [s for s, sess in self._sessions.items() if sess.last_used < cutoff and not sess.running]:
                self._retire(sid, tombstone=True)

    def _session(self, sid: str) -> tuple[_Session, bool]:
        """The live session for `sid` (registered if new) and whether earlier state was lost."""
        with self._lock:
            sess = self._sessions.get(sid)
            if sess is not None:
                self._sessions.move_to_end(sid)
                return sess, False
            lost = sid in self._tombstones
            self._tombstones.pop(sid, None)
            while len(self._sessions) >= self.limits.max_sessions:
                self._retire(next(iter(self._sessions)), tombstone=True)
            sess = self._sessions[sid] = _Session()
            return sess, lost

    def _acquire(self, sid: str, deadline: float, cancel: threading.Event | None) -> tuple[_Session | None, bool]:
        """Lock `sid`'s session, waiting at most until `deadline` or a cancel; (None, lost) if not."""
        lost = False
        while True:
            sess, was_lost = self._session(sid)
            lost = lost or was_lost
            while not sess.lock.acquire(timeout=max(0.0, min(_WAIT_SLICE_S, deadline - time.monotonic()))):
                if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                    return None, lost
            if not sess.retired:
                return sess, lost
            sess.lock.release()  # dropped while we waited: start over with a new one

    # -- the public API ----------------------------------------------------------------------------

    def run(self, code: str, session_id: str | None = None, timeout_s: float | None = None,
            cancel: threading.Event | None = None) -> ExecResult:
        """Run `code`; in a fresh instance, or in `session_id`'s persistent one. Never raises for
        anything the snippet does; raises only for a wrong call (types, a closed sandbox)."""
        if self._closed.is_set():
            raise RuntimeError("the sandbox is closed")
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, not {type(code).__name__}")
        if session_id is not None and not isinstance(session_id, str):
            raise TypeError("session_id must be a str or None")
        try:
            timeout = self.limits.timeout_s if timeout_s is None else float(timeout_s)
        except OverflowError:  # an int beyond float's range: out of range like any other
            timeout = float("inf")
        if not 0 < timeout <= 3600:
            raise ValueError("timeout_s must be in (0, 3600]")
        deadline = time.monotonic() + timeout
        if len(code) > self.limits.max_code_chars:
            return ExecResult(status="error", error=ErrorInfo(
                type="CodeTooLarge",
                message=f"the snippet has {len(code)} characters; the limit is {self.limits.max_code_chars}"))
        if session_id is None:
            return self._run_fresh(code, timeout, cancel)
        sess, lost = self._acquire(session_id, deadline, cancel)
        if sess is None:
            return _busy(f"the session {session_id!r} stayed in use by another call for this call's "
                         f"whole {timeout:g} s deadline; nothing ran and its state is unchanged")
        admitted = False
        try:
            if deadline - time.monotonic() < MIN_RUN_S:
                return _busy(f"less than {MIN_RUN_S:g} s of this call's deadline was left to run it (its session "
                             "was in use by another call, or timeout_s was that short); nothing ran")
            with self._lock:
                admitted = self._admit(sess)
            if not admitted:
                return _busy("the sandbox's memory budget is full of running snippets; nothing ran and the "
                             "session's state is unchanged, retry shortly")
            if sess.instance is None:  # a new session (one that trapped was retired with its instance)
                sess.instance = self._take()
            result = sess.instance.run(code, deadline - time.monotonic(), cancel)
            sess.last_used = time.monotonic()
            return result.model_copy(update={"session_reset": True}) if lost else result
        finally:
            with self._lock:
                if admitted:
                    self._finish(sess)
                if sess.instance is not None and (sess.retired or sess.instance.dead):
                    if not sess.retired:  # it trapped: its state is gone, the next call says so
                        self._retire(session_id, tombstone=True)
                    self._drop(sess.instance)
                sess.lock.release()

    def _run_fresh(self, code: str, timeout: float, cancel: threading.Event | None) -> ExecResult:
        with self._lock:
            admitted = self._admit(None)
        if not admitted:
            return _busy("the sandbox's memory budget is full of running snippets; nothing ran, retry shortly")
        inst = None
        try:
            inst = self._take()
            return inst.run(code, timeout, cancel)
        finally:
            if inst is not None:
                self._drop(inst)
            with self._lock:
                self._finish(None)

    def reset(self, session_id: str) -> bool:
        """Drop a session's state; returns whether it existed. The next call starts fresh."""
        with self._lock:
            existed = session_id in self._sessions
            self._retire(session_id, tombstone=False)
            self._tombstones.pop(session_id, None)
            return existed

    def hand_over(self, successor: "Sandbox") -> None:
        """Retire every session and the pool, and have `successor` report those sessions as reset on
        their next call; calls already on their way here still run, each in a fresh instance."""
        with self._lock:
            self._draining = True
            lost = list(self._sessions) + list(self._tombstones)
            for sid in list(self._sessions):
                self._retire(sid, tombstone=False)
            while self._pool:
                self._drop(self._unpool(-1))
        with successor._lock:
            for sid in lost:
                successor._tombstones[sid] = None
            while len(successor._tombstones) > MAX_TOMBSTONES:
                successor._tombstones.popitem(last=False)

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    def close(self) -> None:
        """Close every idle instance now; running calls drop theirs when they return."""
        self._closed.set()
        self._want.set()
        with self._lock:
            for sid in list(self._sessions):
                self._retire(sid, tombstone=False)
            while self._pool:
                self._drop(self._unpool(-1))
        self.wait_released()
