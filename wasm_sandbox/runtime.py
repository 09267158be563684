"""One wasmtime engine per process, and one live interpreter (`Instance`) per Store.

Each store gets an epoch deadline of one tick (a ticker thread increments the engine epoch every
`TICK_S`) and a callback (`epoch.install`) that either extends it by one tick or traps when the
wall-clock deadline has passed or the caller's cancel event is set. Deadlines are checked by wasm
code itself (loop headers and function entries), so they also stop single long C-level operations
inside the guest (`10**10**8`, a catastrophic regex), which are compiled wasm too. Host calls that
could wait or flood (sleep, `select`, output) are host code that knows the same deadline and cancel
event (`host_wasi`). A trap kills only that Store; the guest's memory is dropped with it.

Instances are closed explicitly (`Instance.close`), never left to the garbage collector: a Store
holds the guest's whole linear memory (up to the cap), and nothing in an Instance refers back to
it from the store's callbacks, so dropping one frees its memory at once.

Not covered here: the host's own memory for captured output (bounded by the caps).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import wasmtime
from wasmtime import _ffi as ffi

from . import epoch, figures, host_wasi, record, snapshot
from .output import Capture
from .result import ErrorInfo, ExecResult, clean
from .wasm_patch import EXPORT

TICK_S = 0.01
STACK_BYTES = 1 << 20  # > 2 MiB aborts the process in wasmtime-py; 512 KiB traps on deep recursion
GUEST_ENV = [("HOME", "/nonexistent"), ("TMPDIR", "/tmp"), ("PYTHONTZPATH", "")]
ENGINE_DESC = f"epoch=1;exceptions=1;stack={STACK_BYTES}"
INTERIM_DESC = ENGINE_DESC + ";winch"
INTERIM_WARM_UP_S = 300.0
_WINCH = 2  # wasmtime_strategy_t WASMTIME_STRATEGY_WINCH (wasmtime-py's `Config.strategy` lacks the name)
MEMORY_MESSAGE = "the snippet ran out of memory (MemoryError) under the {mb} MiB cap; the session keeps its state"


def hard_exit(code: int) -> None:
    """Flush stdio and leave with `os._exit`.

    Why: at interpreter teardown wasmtime's WASI worker threads (tokio) can outlive the ctypes
    callbacks they call and abort the process with a Rust panic on stderr. A CLI or server that
    has finished its work exits this way instead."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)


def _make_engine(winch: bool = False) -> wasmtime.Engine:
    cfg = wasmtime.Config()
    cfg.epoch_interruption = True
    cfg.wasm_exceptions = True
    cfg.max_wasm_stack = STACK_BYTES
    if winch:
        ffi.wasmtime_config_strategy_set(cfg.ptr(), _WINCH)
    return wasmtime.Engine(cfg)


class Runtime:
    """The process-wide engine, compiled module, linker and epoch ticker of one policy profile.

    `Runtime.get(profile)` serves the profile's snapshot (Cranelift-optimised code, its modules already
    imported). `Runtime.get("math", interim=True)` serves the plain interpreter compiled by Winch,
    wasmtime's baseline compiler, which compiles it in a small fraction of the snapshot's time: each of
    its instances starts CPython and the guest driver itself (`Instance` runs the module's
    `wasm_patch.EXPORT`), and imports what a snippet imports when it does. It bridges a fresh
    machine's first calls while the snapshot is built (`mcp_server.startup`); the limits, the
    deadline (epoch interruption) and the guest driver's policy are the same. Only the default
    profile has one: the plotting profile's figures and data files live in its snapshot."""

    _instances: "dict[tuple[str, bool], Runtime]" = {}
    _locks: "dict[tuple[str, bool], threading.Lock]" = {}  # one each: a snapshot and the interim build at once
    _locks_lock = threading.Lock()

    def __init__(self, profile: str = "math", interim: bool = False) -> None:
        if interim and profile != "math":
            raise ValueError(f"no interim interpreter for the {profile!r} profile (only 'math')")
        self.profile, self.interim = profile, interim
        self.engine = _make_engine(winch=interim)
        self.save: Callable[[], None] | None = None  # interim, compiled now: saves it into the cache
        if interim:
            self.module, self.save = snapshot.compiled_interim(self.engine, INTERIM_DESC)
        else:
            self.module = snapshot.compiled_snapshot(self.engine, ENGINE_DESC, profile)
        self.guest_dirs = snapshot.guest_dirs(profile)
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        host_wasi.define(self.linker)
        i32 = wasmtime.ValType.i32()
        self.linker.define_func("host", "call", wasmtime.FuncType([i32] * 4, [i32]), _door,
                                access_caller=True)
        threading.Thread(target=self._tick, name="deepmath-epoch", daemon=True).start()

    @classmethod
    def get(cls, profile: str = "math", interim: bool = False) -> "Runtime":
        key = (profile, interim)
        with cls._locks_lock:
            lock = cls._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in cls._instances:
                cls._instances[key] = Runtime(profile, interim)
            return cls._instances[key]

    @staticmethod
    def snapshot_cached(profile: str = "math") -> bool:
        """Whether the profile's compiled snapshot is in the cache (not checked: only whether to bridge)."""
        return snapshot.compiled_snapshot_path(ENGINE_DESC, profile).exists()

    def _tick(self) -> None:
        while True:
            time.sleep(TICK_S)
            self.engine.increment_epoch()


def _door(caller, ptr: int, length: int, out_ptr_ptr: int, out_len_ptr: int) -> int:
    """host.call: the guest hands over a figure (a message starting with the PNG signature, plot
    profile; checked by `figures.Inbox` and answered b"ok" if kept, b"refused" if not: a refusal
    never spoils the call) or its result record, answered b"ok". One record per call: a second
    one, or one over the size cap, spoils the call (reported as crashed). Never raises (see
    host_wasi)."""
    try:
        inst = getattr(host_wasi.current, "instance", None)
        memory = caller.get("memory")
        alloc = caller.get("host_alloc")
        if inst is None or memory is None or alloc is None:
            return -1
        ptr, length = ptr & 0xFFFFFFFF, length & 0xFFFFFFFF
        if ptr + length <= memory.data_len(caller):
            head = bytes(memory.read(caller, ptr, ptr + min(length, figures.HEADER_BYTES)))
            if head.startswith(figures.SIGNATURE):
                if inst.record is not None or inst.record_problem:
                    return -1  # after the record: not this call's figure
                kept = inst.figures.offer(length, head, lambda: bytes(memory.read(caller, ptr, ptr + length)))
                return _answer(caller, memory, alloc, out_ptr_ptr, out_len_ptr, b"ok" if kept else b"refused")
        if inst.record is not None or inst.record_problem:
            inst.record_problem = "more than one result record"
            return -1
        if length > inst.max_record_bytes or ptr + length > memory.data_len(caller):
            inst.record_problem = "an oversized result record"
            return -1
        inst.record = bytes(memory.read(caller, ptr, ptr + length))
        return _answer(caller, memory, alloc, out_ptr_ptr, out_len_ptr)
    except Exception:
        return -1


def _answer(caller, memory, alloc, out_ptr_ptr: int, out_len_ptr: int, answer: bytes = b"ok") -> int:
    """Hand the guest `answer` (in memory it allocates): 0, or -1 when that fails."""
    p = alloc(caller, len(answer)) & 0xFFFFFFFF
    if not p or p + len(answer) > memory.data_len(caller):
        return -1
    memory.write(caller, answer, p)
    memory.write(caller, p.to_bytes(4, "little"), out_ptr_ptr & 0xFFFFFFFF)
    memory.write(caller, len(answer).to_bytes(4, "little"), out_len_ptr & 0xFFFFFFFF)
    return 0


def _trap_reason(exc: Exception) -> str:
    """One line saying why wasm stopped: the trap code, else wasmtime's "Caused by" line."""
    code = getattr(exc, "trap_code", None)
    if code is not None:
        return f"wasm trap: {code.name.lower().replace('_', ' ')}"
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    caused = [ln for ln in lines if ln.startswith("wasm trap:")]
    return (caused or lines or [type(exc).__name__])[-1]


class Stop:
    """One call's deadline and cancel event, read by the epoch callback and the host WASI calls."""

    def __init__(self, deadline: float = float("inf"), cancel: threading.Event | None = None) -> None:
        self.deadline = deadline
        self.cancel = cancel
        self.reason: str | None = None  # "timeout" | "cancelled" once the callback decided to trap

    def expired(self) -> bool:
        return (self.cancel is not None and self.cancel.is_set()) or time.monotonic() >= self.deadline

    def decide(self) -> str | None:
        if self.cancel is not None and self.cancel.is_set():
            self.reason = "cancelled"
        elif time.monotonic() >= self.deadline:
            self.reason = "timeout"
        return self.reason


class _Watch:
    """What the epoch callback sees: only the current Stop, never the Instance (no cycle)."""

    def __init__(self) -> None:
        self.stop = Stop()

    def decide(self) -> str | None:
        return self.stop.decide()


class Instance:
    """A live interpreter: one Store and one instance of the snapshot. Not thread-safe: callers
    serialise access (the Sandbox holds a lock per session) and close it when done."""

    def __init__(self, runtime: Runtime, memory_bytes: int, max_output_chars: int,
                 inbox: figures.Inbox | None = None) -> None:
        self.memory_bytes = memory_bytes
        self.figures = inbox or figures.Inbox()  # figures off unless the caller sets caps
        self.max_output_chars = max_output_chars
        self.max_record_bytes = 16 * max_output_chars + (64 << 10)
        self.stdout = Capture(max_output_chars)
        self.stderr = Capture(max_output_chars)
        self.record: bytes | None = None
        self.record_problem: str | None = None
        self.dead: str | None = None
        self.seed = int.from_bytes(os.urandom(8), "little")
        self._watch = _Watch()
        self.store = wasmtime.Store(runtime.engine)
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["python"]
        wasi.env = GUEST_ENV
        for host_dir, guest_dir in runtime.guest_dirs:  # read-only; the stdlib (and, to plot, mpl-data)
            wasi.preopen_dir(host_dir, guest_dir, False)
        self.store.set_wasi(wasi)
        self.clock_origin_ns = time.monotonic_ns()  # just after wasmtime's guest monotonic zero
        self.store.set_limits(memory_size=memory_bytes)
        self._callback = epoch.install(self.store, self._watch.decide)  # alive as long as the store
        self.store.set_epoch_deadline(1)
        try:
            exports = runtime.linker.instantiate(self.store, runtime.module).exports(self.store)
            if runtime.interim:  # the reactor's constructors, then CPython and the driver, as wizer did once
                exports["_initialize"](self.store)
                exports[EXPORT](self.store)
        except BaseException:
            self.close()
            raise
        self._memory = exports["memory"]
        self._alloc = exports["host_alloc"]
        self._turn = exports["turn"]
        self.size = self.memory_used()  # linear memory after the last call (the budget's charge)
        if runtime.interim:  # the driver's first call imports numpy (to seed it): not on a snippet's deadline
            warm = self.run("pass", INTERIM_WARM_UP_S)
            if warm.status != "ok":
                self.close()
                raise RuntimeError(f"the interim interpreter failed its warm-up: {warm.error}")

    @property
    def stop(self) -> Stop:
        return self._watch.stop

    def memory_used(self) -> int:
        return self._memory.data_len(self.store)

    def close(self) -> None:
        """Free the Store (the guest's memory) now. Idempotent; the instance is dead afterwards."""
        self.dead = self.dead or "closed"
        self.store.close()
        self.stdout.clear()
        self.stderr.clear()
        self.figures.clear()
        self.record = None

    def run(self, code: str, timeout_s: float, cancel: threading.Event | None = None) -> ExecResult:
        """Run one snippet; a trap or a malformed result record marks this instance dead."""
        if self.dead:
            raise RuntimeError(f"instance is dead ({self.dead})")
        self.stdout.clear()
        self.stderr.clear()
        self.figures.clear()
        self.record, self.record_problem = None, None
        self._watch.stop = Stop(deadline=time.monotonic() + timeout_s, cancel=cancel)
        if self.stop.decide() == "cancelled":  # before a first epoch tick could notice it: nothing runs
            status, error = self._classify(None)
            return ExecResult(status=status, error=error, duration_ms=0.0)
        source = f"_dm_run({code!r}, {self.seed}, {self.max_output_chars})\n"
        trap: str | None = None
        started = time.perf_counter()
        host_wasi.current.instance = self
        try:
            data = source.encode("utf-8", "surrogatepass")
            self.store.set_epoch_deadline(1)
            ptr = self._alloc(self.store, len(data)) & 0xFFFFFFFF
            if not ptr:
                raise MemoryError("guest could not allocate the snippet")
            self._memory.write(self.store, data, ptr)
            self._turn(self.store, ptr, len(data))
        except MemoryError:
            trap = "memory"
        except wasmtime.ExitTrap as exc:
            trap = f"exit({exc.code})"
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            trap = _trap_reason(exc)
        finally:
            host_wasi.current.instance = None
        duration_ms = (time.perf_counter() - started) * 1e3
        result = self._result(trap, duration_ms)
        if trap is not None or result.status == "crashed":
            self.dead = trap or self.record_problem or "no result"
        else:
            self.size = self.memory_used()
        return result

    def _result(self, trap: str | None, duration_ms: float) -> ExecResult:
        out, out_cut = self.stdout.text()
        err, err_cut = self.stderr.text()
        truncated = [name for name, cut in (("stdout", out_cut), ("stderr", err_cut)) if cut]
        base = dict(stdout=clean(out), stderr=clean(err), duration_ms=round(duration_ms, 3), truncated=truncated,
                    figures=list(self.figures.figures), figures_refused=self.figures.summary())
        rec = None
        if trap is None and self.record is not None and self.record_problem is None:
            rec = record.parse(self.record, self.max_output_chars)
            if rec is None:
                self.record_problem = "a malformed result record"
        if rec is not None:
            if rec.value_truncated:
                truncated.append("value")
            error = rec.error
            if rec.status == "memory" and error is not None and not error.message:
                error = error.model_copy(update={"message": MEMORY_MESSAGE.format(mb=self.memory_bytes >> 20)})
            return ExecResult(status=rec.status, value=rec.value, error=error, **base)
        status, error = self._classify(trap)
        return ExecResult(status=status, error=error, **base)

    def _classify(self, trap: str | None) -> tuple[str, ErrorInfo]:
        reason = self.stop.reason
        if reason == "cancelled":
            return "timeout", ErrorInfo(type="Cancelled", message="the request was cancelled; the snippet was stopped")
        if reason == "timeout":
            return "timeout", ErrorInfo(type="Timeout", message="the snippet ran past its wall-clock deadline and was stopped")
        if trap == "memory" or self.memory_used() >= self.memory_bytes - (1 << 20):
            mb = self.memory_bytes >> 20
            return "memory", ErrorInfo(type="MemoryError", message=f"the snippet hit the {mb} MiB memory cap and was stopped")
        if trap is None:
            problem = self.record_problem or "no result record"
            return "crashed", ErrorInfo(type="SandboxError", message=f"the interpreter sent {problem}; it was stopped")
        if "stack" in trap.lower():
            return "crashed", ErrorInfo(type="StackOverflow", message="the wasm stack overflowed (too deep recursion); the interpreter was stopped")
        return "crashed", ErrorInfo(type="Crashed", message=f"the interpreter trapped: {trap}")
