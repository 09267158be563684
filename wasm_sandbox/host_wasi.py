"""Host implementations of the WASI calls that could let a guest escape its deadline or flood the host.

Why here and not in the guest: the guest driver's patched `time.sleep` is policy - a snippet can
reach the original through the driver's globals, `select`, or a fresh `time` module. These functions
shadow wasmtime's own in the linker, so every guest route ends in host code that knows the call's
deadline and cancel event:

- `poll_oneoff` (sleep, `select`, `poll`): clock waits sleep on the cancel event for at most the
  time left before the deadline; fd subscriptions are answered "ready" at once (every descriptor a
  guest can hold - the read-only stdlib, empty stdin, captured stdout/stderr - never blocks).
  When the deadline or a cancel cuts a wait short, the earliest clock is reported as fired and the
  epoch callback traps within one tick.
- Absolute waits are measured against wasmtime's own clocks, which the guest reads without a host
  call (a Python host call costs ~100 us): realtime is the host's, and monotonic counts from the
  WASI context's creation, which `Instance.clock_origin_ns` records just after (so an absolute
  wait never ends early). Whatever the clocks say, no wait outlasts the deadline.
- `fd_write` on stdout/stderr: one host call per write whatever its size; only the bytes the
  capture keeps (its head and tail) are copied out of guest memory. Other descriptors get EBADF
  (the guest has no writable file). Nothing goes through wasmtime's stdout, which is a sink.

None of these functions raises: wasmtime-py keeps a Python exception from a host function in a
process-global slot, where a concurrent call on another thread could pick it up. Errors are WASI
errno values.

Not covered: the other WASI calls keep wasmtime's implementation (none of them waits; reads are
bounded by the read-only stdlib zip).
"""

from __future__ import annotations

import functools
import struct
import threading
import time
from typing import TYPE_CHECKING

import wasmtime

if TYPE_CHECKING:
    from .runtime import Instance

WASI = "wasi_snapshot_preview1"
ESUCCESS, EBADF, EFAULT, EINVAL, ENOTSUP = 0, 8, 21, 28, 58
CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1
SUBCLOCKFLAGS_ABSTIME = 1
EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE = 0, 1, 2
SUBSCRIPTION_SIZE, EVENT_SIZE, IOVEC_SIZE = 48, 32, 8
IOV_MAX = 1024
MAX_SUBSCRIPTIONS = 4096  # one poll reads at most this many (the host loop is Python, outside the deadline)
STDOUT, STDERR = 1, 2
_U32 = 0xFFFFFFFF
_NEVER = threading.Event()  # waited on when a call has no cancel event

current = threading.local()  # .instance: the Instance whose guest runs on this thread


def _host_call(fn):
    """Give `fn(caller, inst, memory, *i32 args)` the running Instance and the guest's memory, with
    every argument as the unsigned 32-bit value wasm meant; EFAULT instead of any exception."""

    @functools.wraps(fn)
    def call(caller, *args: int) -> int:
        try:
            inst = getattr(current, "instance", None)
            memory = caller.get("memory")
            if inst is None or not isinstance(memory, wasmtime.Memory):
                return EFAULT
            return fn(caller, inst, memory, *(a & _U32 for a in args))
        except Exception:
            return EFAULT

    return call


def _in_bounds(size: int, ptr: int, length: int) -> bool:
    return 0 <= ptr and ptr + length <= size


def _wake_at(inst: "Instance", clock_id: int, timeout_ns: int, flags: int, now: float) -> float | None:
    """Host monotonic time at which a clock subscription fires, or None for an unknown clock."""
    if clock_id not in (CLOCK_REALTIME, CLOCK_MONOTONIC):
        return None
    if not flags & SUBCLOCKFLAGS_ABSTIME:
        return now + timeout_ns / 1e9
    if clock_id == CLOCK_MONOTONIC:
        return (inst.clock_origin_ns + timeout_ns) / 1e9
    return now + (timeout_ns - time.time_ns()) / 1e9


@_host_call
def poll_oneoff(caller, inst: "Instance", memory: wasmtime.Memory, in_ptr: int, out_ptr: int, nsubs: int,
                nevents_ptr: int) -> int:
    if nsubs == 0 or nsubs > MAX_SUBSCRIPTIONS:
        return EINVAL
    size = memory.data_len(caller)
    if not (_in_bounds(size, in_ptr, nsubs * SUBSCRIPTION_SIZE)
            and _in_bounds(size, out_ptr, nsubs * EVENT_SIZE) and _in_bounds(size, nevents_ptr, 4)):
        return EFAULT
    raw = memory.read(caller, in_ptr, in_ptr + nsubs * SUBSCRIPTION_SIZE)
    now = time.monotonic()
    ready: list[tuple[int, int, int]] = []  # (userdata, errno, event type)
    clocks: list[tuple[float, int]] = []    # (wake time, userdata)
    for i in range(nsubs):
        userdata, tag = struct.unpack_from("<QB", raw, i * SUBSCRIPTION_SIZE)
        if tag == EVENTTYPE_CLOCK:
            clock_id, timeout_ns, _precision, flags = struct.unpack_from("<I4xQQH", raw, i * SUBSCRIPTION_SIZE + 16)
            wake = _wake_at(inst, clock_id, timeout_ns, flags, now)
            if wake is None:
                ready.append((userdata, EINVAL, EVENTTYPE_CLOCK))
            else:
                clocks.append((wake, userdata))
        elif tag in (EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE):
            ready.append((userdata, ESUCCESS, tag))
        else:
            return EINVAL
    if not ready:
        wake = min(w for w, _ in clocks)
        stop = inst.stop
        left = min(wake, stop.deadline) - now
        if left > 0:
            (stop.cancel or _NEVER).wait(left)
        now = time.monotonic()
        fired = [ud for w, ud in clocks if w <= now]
        # Cut short by the deadline or a cancel: report the earliest clock (a spurious wake-up
        # the guest tolerates); the epoch callback traps on its next tick.
        ready = [(ud, ESUCCESS, EVENTTYPE_CLOCK) for ud in fired or [min(clocks)[1]]]
    events = bytearray(EVENT_SIZE * len(ready))
    for j, (userdata, errno, kind) in enumerate(ready):
        struct.pack_into("<QHB", events, j * EVENT_SIZE, userdata, errno, kind)
    memory.write(caller, bytes(events), out_ptr)
    memory.write(caller, struct.pack("<I", len(ready)), nevents_ptr)
    return ESUCCESS


@_host_call
def fd_write(caller, inst: "Instance", memory: wasmtime.Memory, fd: int, iovs_ptr: int, iovs_len: int,
             nwritten_ptr: int) -> int:
    capture = {STDOUT: inst.stdout, STDERR: inst.stderr}.get(fd)
    if capture is None:
        return EBADF
    if iovs_len > IOV_MAX:
        return EINVAL
    size = memory.data_len(caller)
    if not (_in_bounds(size, iovs_ptr, iovs_len * IOVEC_SIZE) and _in_bounds(size, nwritten_ptr, 4)):
        return EFAULT
    flat = struct.unpack(f"<{2 * iovs_len}I", memory.read(caller, iovs_ptr, iovs_ptr + iovs_len * IOVEC_SIZE))
    segments = list(zip(flat[0::2], flat[1::2]))
    if not all(_in_bounds(size, p, n) for p, n in segments):
        return EFAULT
    total = sum(n for _, n in segments)
    if total > _U32:
        return EINVAL

    def read(start: int, stop: int) -> bytes:
        """Bytes [start, stop) of the concatenated buffers."""
        out, offset = bytearray(), 0
        for p, n in segments:
            lo, hi = max(start, offset), min(stop, offset + n)
            if lo < hi:
                out += memory.read(caller, p + lo - offset, p + hi - offset)
            offset += n
        return bytes(out)

    if not inst.stop.expired():  # past the deadline nothing more is kept; the call is ending
        capture.write(total, read)
    memory.write(caller, struct.pack("<I", total), nwritten_ptr)
    return ESUCCESS


def define(linker: wasmtime.Linker) -> None:
    """Shadow wasmtime's own versions of these imports in `linker` (after `define_wasi`)."""
    i32 = wasmtime.ValType.i32()
    linker.allow_shadowing = True
    for name, params, fn in (("poll_oneoff", [i32] * 4, poll_oneoff),
                             ("fd_write", [i32] * 4, fd_write)):
        linker.define_func(WASI, name, wasmtime.FuncType(params, [i32]), fn, access_caller=True)
    linker.allow_shadowing = False
