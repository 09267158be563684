"""A small compiled module for the snapshot tests: built in milliseconds, loaded by the same
`snapshot.load_compiled` as the real snapshot, with the engine settings production uses."""

from __future__ import annotations

from pathlib import Path

import wasmtime

from wasm_sandbox import cache, runtime

ANSWER_WAT = '(module (func (export "answer") (result i32) i32.const {n}))'


def make_engine() -> wasmtime.Engine:
    return runtime._make_engine()  # the engine settings production uses


class Maker:
    """`make_wasm` for a small module: publishes answer() == n as a checked .wasm and counts builds."""

    def __init__(self, root: Path, n: int = 42) -> None:
        self.root, self.n, self.calls = root, n, 0

    def __call__(self, stage: Path) -> Path:
        self.calls += 1
        src, dst = stage / "in.wasm", self.root / "small.wasm"
        src.write_bytes(wasmtime.wat2wasm(ANSWER_WAT.format(n=self.n)))
        cache.publish_checked(src, dst)
        return dst


def answer(engine: wasmtime.Engine, module: wasmtime.Module) -> int:
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1 << 30)
    return wasmtime.Instance(store, module, []).exports(store)["answer"](store)
