"""The public sandbox: fresh isolated calls, persistent sessions, a warm pool, hard limits.

A call without a session id runs in a brand-new instance of the snapshot that is thrown away
afterwards, so nothing leaks between calls. A session is one live instance whose globals persist
across calls (a model reuses its variables between snippets); it is one trust domain, and
sessions never share an instance. A trap (deadline, stack overflow, memory) ends the session's
state: the next call on that id starts a fresh instance and says `session_reset: true`, as does
the first call after an idle expiry or an LRU eviction.

A background thread keeps a few instances pre-instantiated so a fresh call does not pay the
~10 ms instantiation. Calls from many threads run in parallel: wasmtime releases the GIL while
wasm runs, and each instance is used by one thread at a time.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from .policy import DEFAULT_ALLOWED_MODULES
from .result import ErrorInfo, ExecResult
from .runtime import Instance, Runtime

MAX_TOMBSTONES = 4096


@dataclass(frozen=True)
class Limits:
    """Per-sandbox limits; every field has a default."""

    timeout_s: float = 5.0          # default wall-clock deadline per call
    memory_mb: int = 512            # linear-memory cap per instance
    max_output_chars: int = 20_000  # per stream; the middle is cut beyond this
    max_code_chars: int = 256_000   # longer snippets are refused without running
    max_sessions: int = 64          # live sessions kept; the least recently used is evicted
    session_idle_s: float = 600.0   # a session unused this long is dropped
    pool_size: int = 2              # pre-instantiated instances kept warm

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError("timeout_s must be > 0")
        if self.memory_mb < 64:
            raise ValueError("memory_mb must be at least 64 (the snapshot itself needs ~40 MiB)")
        if self.max_output_chars < 16 or self.max_sessions < 1 or self.pool_size < 0:
            raise ValueError("max_output_chars >= 16, max_sessions >= 1 and pool_size >= 0 are required")


@dataclass
class _Session:
    instance: Instance
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)


class Sandbox:
    """Run untrusted Python snippets in wasmtime. Thread-safe; usable as a context manager."""

    allowed_modules: tuple[str, ...] = DEFAULT_ALLOWED_MODULES

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.runtime = Runtime.get()
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._tombstones: OrderedDict[str, None] = OrderedDict()  # ids whose state was lost
        self._lock = threading.Lock()
        self._pool: queue.Queue[Instance] = queue.Queue()
        self._closed = threading.Event()
        self._want = threading.Event()
        self._filler = threading.Thread(target=self._fill, name="deepmath-pool", daemon=True)
        self._filler.start()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _new_instance(self) -> Instance:
        return Instance(self.runtime, self.limits.memory_mb << 20, self.limits.max_output_chars)

    def _fill(self) -> None:
        while not self._closed.is_set():
            while self._pool.qsize() < self.limits.pool_size and not self._closed.is_set():
                self._pool.put(self._new_instance())
            self._expire()
            self._want.wait(1.0)
            self._want.clear()

    def _take(self) -> Instance:
        try:
            inst = self._pool.get_nowait()
        except queue.Empty:
            inst = self._new_instance()
        self._want.set()
        return inst

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.limits.session_idle_s
        with self._lock:
            for sid in [s for s, sess in self._sessions.items() if sess.last_used < cutoff]:
                if not self._sessions[sid].lock.locked():
                    self._forget(sid, tombstone=True)

    def _forget(self, sid: str, tombstone: bool) -> None:
        """Drop a session (caller holds self._lock)."""
        self._sessions.pop(sid, None)
        if tombstone:
            self._tombstones[sid] = None
            while len(self._tombstones) > MAX_TOMBSTONES:
                self._tombstones.popitem(last=False)

    def _session(self, sid: str) -> tuple[_Session, bool]:
        """The live session for `sid` (created if needed) and whether earlier state was lost."""
        with self._lock:
            sess = self._sessions.get(sid)
            if sess is not None:
                self._sessions.move_to_end(sid)
                return sess, False
            lost = sid in self._tombstones
            self._tombstones.pop(sid, None)
            while len(self._sessions) >= self.limits.max_sessions:
                oldest = next(iter(self._sessions))
                self._forget(oldest, tombstone=True)
            sess = _Session(self._take())
            self._sessions[sid] = sess
            return sess, lost

    def run(self, code: str, session_id: str | None = None, timeout_s: float | None = None,
            cancel: threading.Event | None = None) -> ExecResult:
        """Run `code`; in a fresh instance, or in `session_id`'s persistent one."""
        if self._closed.is_set():
            raise RuntimeError("the sandbox is closed")
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, not {type(code).__name__}")
        if session_id is not None and not isinstance(session_id, str):
            raise TypeError("session_id must be a str or None")
        timeout = self.limits.timeout_s if timeout_s is None else float(timeout_s)
        if not 0 < timeout <= 3600:
            raise ValueError("timeout_s must be in (0, 3600]")
        if len(code) > self.limits.max_code_chars:
            return ExecResult(status="error", error=ErrorInfo(
                type="CodeTooLarge",
                message=f"the snippet has {len(code)} characters; the limit is {self.limits.max_code_chars}"))
        if session_id is None:
            return self._take().run(code, timeout, cancel)
        sess, lost = self._session(session_id)
        with sess.lock:
            if sess.instance.dead:  # trapped on an earlier call: start over
                sess.instance, lost = self._take(), True
            result = sess.instance.run(code, timeout, cancel)
            sess.last_used = time.monotonic()
        if result.status != "ok" and sess.instance.dead:
            with self._lock:
                if self._sessions.get(session_id) is sess:
                    self._forget(session_id, tombstone=True)
        return result.model_copy(update={"session_reset": lost})

    def reset(self, session_id: str) -> bool:
        """Drop a session's state; returns whether it existed. The next call starts fresh."""
        with self._lock:
            existed = session_id in self._sessions
            self._forget(session_id, tombstone=False)
            self._tombstones.pop(session_id, None)
            return existed

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    def close(self) -> None:
        self._closed.set()
        self._want.set()
        with self._lock:
            self._sessions.clear()
        while not self._pool.empty():
            self._pool.get_nowait()
