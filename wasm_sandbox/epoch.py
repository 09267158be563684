"""The sandbox's one non-public wasmtime call: an epoch-deadline *callback* per store.

Why a callback rather than a plain epoch deadline: a plain deadline cannot be moved while the guest
runs, so a cancelled request could not interrupt its snippet. wasmtime's C API has
`wasmtime_store_epoch_deadline_callback`; wasmtime-py does not wrap it, so we reach it through
wasmtime-py's ctypes bindings. The signature is checked at import time, so a wasmtime upgrade that
changes it fails loudly here instead of corrupting memory later.

The callback must not hold a reference to the object that owns the store (a cycle through a ctypes
callback keeps the whole interpreter's memory alive until the cyclic GC runs); `install` takes a
plain function and the caller passes one that closes over a small state object only.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
from collections.abc import Callable

import wasmtime
from wasmtime import _bindings as _ffi

UPDATE_DEADLINE_CONTINUE = 0  # wasmtime_update_deadline_kind_t: keep running, deadline += delta
UPDATE_DEADLINE_YIELD = 1     # (async stores only; unused)

_set_callback = _ffi._wasmtime_store_epoch_deadline_callback
_EXPECTED = [
    ctypes.POINTER(_ffi.wasmtime_store_t),
    ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.POINTER(_ffi.wasmtime_context_t), ctypes.c_void_p,
                     ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(_ffi.wasmtime_update_deadline_kind_t)),
    ctypes.c_void_p,
    ctypes.CFUNCTYPE(None, ctypes.c_void_p),
]


def _signature(types: list) -> list:
    """Comparable form of ctypes argtypes (CFUNCTYPE classes compare by identity, so unpack them)."""
    out = []
    for t in types:
        if hasattr(t, "_argtypes_"):
            out.append(("fn", t._restype_, tuple(getattr(a, "_type_", a) for a in t._argtypes_)))
        else:
            out.append(getattr(t, "_type_", t))
    return out


if _set_callback.restype is not None or _signature(list(_set_callback.argtypes)) != _signature(_EXPECTED):
    raise ImportError(
        f"wasmtime {importlib.metadata.version('wasmtime')} changed the signature of wasmtime_store_epoch_deadline_callback; "
        "wasm_sandbox/epoch.py must be updated for this wasmtime version")

_CALLBACK = _set_callback.argtypes[1]
_FINALIZER = _set_callback.argtypes[3]

# decide() -> None to continue for one more tick, or a reason string to trap with.
Decide = Callable[[], "str | None"]


def install(store: wasmtime.Store, decide: Decide) -> object:
    """Make `store` call `decide` every epoch tick; return the ctypes callback (keep it alive as
    long as the store: wasmtime holds only its raw pointer)."""

    def on_epoch(_ctx, _data, delta_ptr, kind_ptr) -> int:
        reason = decide()
        if reason:
            err = _ffi.wasmtime_error_new(f"deepmath: {reason}".encode())
            return ctypes.cast(err, ctypes.c_void_p).value or 0
        delta_ptr[0] = 1
        kind_ptr[0] = UPDATE_DEADLINE_CONTINUE
        return 0

    callback = _CALLBACK(on_epoch)
    _set_callback(store.ptr(), callback, None, _FINALIZER())
    return callback
