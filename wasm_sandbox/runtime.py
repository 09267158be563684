"""One wasmtime engine per process, and one live interpreter (`Instance`) per Store.

Why an epoch *callback* rather than a plain epoch deadline: a plain deadline cannot be moved
while the guest runs, so a cancelled MCP request could not interrupt its snippet. Each store gets
a deadline of one tick (a ticker thread increments the engine epoch every `TICK_S`) and a
callback that either extends it by one tick or traps when the wall-clock deadline has passed or
the caller's cancel event is set. wasmtime-py has no public wrapper for that C API, so
`_watch_epochs` reaches it through wasmtime-py's ctypes bindings; it is the only non-public call
in the sandbox.

Deadlines are checked by wasm code itself (loop headers and function entries), so they also stop
single long C-level operations inside the guest (`10**10**8`, a catastrophic regex), which are
compiled wasm too. A trap kills only that Store; the guest's memory is dropped with it.

Not covered here: CPU time of host callbacks (there are three: stdout, stderr and the result
door, each bounded by the output caps) and the host's own memory for captured output.
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
import time
from dataclasses import dataclass

import wasmtime
from wasmtime import _bindings as _wt_ffi  # epoch callback: see module docstring

from . import image, snapshot
from .output import Capture
from .result import ErrorInfo, ExecResult

TICK_S = 0.01
STACK_BYTES = 1 << 20  # > 2 MiB aborts the process in wasmtime-py; 512 KiB traps on deep recursion
GUEST_ENV = [("HOME", "/nonexistent"), ("TMPDIR", "/tmp"), ("PYTHONTZPATH", "")]
ENGINE_DESC = f"epoch=1;exceptions=1;stack={STACK_BYTES}"
_EPOCH_CB = _wt_ffi._wasmtime_store_epoch_deadline_callback.argtypes[1]
_EPOCH_FINALIZER = _wt_ffi._wasmtime_store_epoch_deadline_callback.argtypes[3]
_current = threading.local()  # the Instance whose guest is running on this thread


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


def _make_engine() -> wasmtime.Engine:
    cfg = wasmtime.Config()
    cfg.epoch_interruption = True
    cfg.wasm_exceptions = True
    cfg.max_wasm_stack = STACK_BYTES
    return wasmtime.Engine(cfg)


class Runtime:
    """The process-wide engine, compiled snapshot, linker and epoch ticker."""

    _instance: "Runtime | None" = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.engine = _make_engine()
        self.module = snapshot.compiled_snapshot(self.engine, ENGINE_DESC)
        self.stdlib = str(image.stdlib_dir())
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        i32 = wasmtime.ValType.i32()
        self.linker.define_func("host", "call", wasmtime.FuncType([i32] * 4, [i32]), _door,
                                access_caller=True)
        self._stop = threading.Event()
        threading.Thread(target=self._tick, name="deepmath-epoch", daemon=True).start()

    @classmethod
    def get(cls) -> "Runtime":
        with cls._lock:
            if cls._instance is None:
                cls._instance = Runtime()
            return cls._instance

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            self.engine.increment_epoch()


def _door(caller, ptr: int, length: int, out_ptr_ptr: int, out_len_ptr: int) -> int:
    """host.call: the guest driver hands over its result record; we answer b"ok"."""
    inst = getattr(_current, "instance", None)
    memory = caller.get("memory")
    alloc = caller.get("host_alloc")
    if inst is None or memory is None or alloc is None:
        return -1
    ptr, length = ptr & 0xFFFFFFFF, length & 0xFFFFFFFF
    if ptr + length > memory.data_len(caller) or length > inst.max_record_bytes:
        return -1
    inst.record = bytes(memory.read(caller, ptr, ptr + length))
    answer = b"ok"
    p = alloc(caller, len(answer)) & 0xFFFFFFFF
    if not p:
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


@dataclass
class _Stop:
    deadline: float = float("inf")
    cancel: threading.Event | None = None
    reason: str | None = None  # "timeout" | "cancelled" once the callback decided to trap


class Instance:
    """A live interpreter: one Store and one instance of the snapshot. Not thread-safe: callers
    serialise access (the Sandbox holds a lock per session)."""

    def __init__(self, runtime: Runtime, memory_bytes: int, max_output_chars: int) -> None:
        self.runtime = runtime
        self.memory_bytes = memory_bytes
        self.max_output_chars = max_output_chars
        self.max_record_bytes = 16 * max_output_chars + (64 << 10)
        self.stdout = Capture(max_output_chars)
        self.stderr = Capture(max_output_chars)
        self.record: bytes | None = None
        self.dead: str | None = None
        self.calls = 0
        self.seed = int.from_bytes(os.urandom(8), "little")
        self._stop = _Stop()
        self.store = wasmtime.Store(runtime.engine)
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["python"]
        wasi.env = GUEST_ENV
        wasi.preopen_dir(runtime.stdlib, image.GUEST_LIB_DIR, False)  # read-only, the only one
        wasi.stdout_custom = self.stdout.write
        wasi.stderr_custom = self.stderr.write
        self.store.set_wasi(wasi)
        self.store.set_limits(memory_size=memory_bytes)
        self._callback = _EPOCH_CB(self._on_epoch)  # kept alive as long as the store
        _wt_ffi._wasmtime_store_epoch_deadline_callback(self.store.ptr(), self._callback, None,
                                                        _EPOCH_FINALIZER())
        self.store.set_epoch_deadline(1)
        instance = runtime.linker.instantiate(self.store, runtime.module)
        exports = instance.exports(self.store)
        self._memory = exports["memory"]
        self._alloc = exports["host_alloc"]
        self._turn = exports["turn"]

    def _on_epoch(self, _ctx, _data, delta_ptr, kind_ptr) -> int:
        stop = self._stop
        if stop.cancel is not None and stop.cancel.is_set():
            stop.reason = "cancelled"
        elif time.monotonic() >= stop.deadline:
            stop.reason = "timeout"
        if stop.reason:
            err = _wt_ffi.wasmtime_error_new(f"deepmath: {stop.reason}".encode())
            return ctypes.cast(err, ctypes.c_void_p).value or 0
        delta_ptr[0] = 1
        kind_ptr[0] = 0  # WASMTIME_UPDATE_DEADLINE_CONTINUE
        return 0

    def memory_used(self) -> int:
        return self._memory.data_len(self.store)

    def run(self, code: str, timeout_s: float, cancel: threading.Event | None = None) -> ExecResult:
        """Run one snippet; a trap marks this instance dead (its state is gone)."""
        if self.dead:
            raise RuntimeError(f"instance is dead ({self.dead})")
        self.stdout.clear()
        self.stderr.clear()
        self.record = None
        self._stop = _Stop(deadline=time.monotonic() + timeout_s, cancel=cancel)
        self.calls += 1
        source = f"_dm_run({code!r}, {self.seed}, {self.max_output_chars})\n"
        trap: str | None = None
        started = time.perf_counter()
        _current.instance = self
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
            _current.instance = None
        duration_ms = (time.perf_counter() - started) * 1e3
        if trap is not None:
            self.dead = trap
        return self._result(trap, duration_ms)

    def _result(self, trap: str | None, duration_ms: float) -> ExecResult:
        out, out_cut = self.stdout.text()
        err, err_cut = self.stderr.text()
        truncated = [name for name, cut in (("stdout", out_cut), ("stderr", err_cut)) if cut]
        base = dict(stdout=out, stderr=err, duration_ms=round(duration_ms, 3), truncated=truncated)
        if trap is None and self.record is not None:
            rec = json.loads(self.record)
            if rec.get("value_truncated"):
                truncated.append("value")
            error = ErrorInfo(**rec["error"]) if rec.get("error") else None
            return ExecResult(status=rec["status"], value=rec.get("value"), error=error, **base)
        status, error = self._classify(trap)
        return ExecResult(status=status, error=error, **base)

    def _classify(self, trap: str | None) -> tuple[str, ErrorInfo]:
        reason = self._stop.reason
        if reason == "cancelled":
            return "timeout", ErrorInfo(type="Cancelled", message="the request was cancelled; the snippet was stopped")
        if reason == "timeout":
            return "timeout", ErrorInfo(type="Timeout", message="the snippet ran past its wall-clock deadline and was stopped")
        if trap == "memory" or self.memory_used() >= self.memory_bytes - (1 << 20):
            mb = self.memory_bytes >> 20
            return "memory", ErrorInfo(type="MemoryError", message=f"the snippet hit the {mb} MiB memory cap and was stopped")
        if trap is None:
            return "crashed", ErrorInfo(type="SandboxError", message="the interpreter returned no result")
        if "stack" in trap.lower():
            return "crashed", ErrorInfo(type="StackOverflow", message="the wasm stack overflowed (too deep recursion); the interpreter was stopped")
        return "crashed", ErrorInfo(type="Crashed", message=f"the interpreter trapped: {trap}")
