"""Suite-wide fixtures: a tiny Qwen3 built once per run, torch kept to one thread."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A freshly built tiny Qwen3 checkpoint directory (random weights, real tokenizer)."""
    from support.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-qwen3"))


_exit_status = {}


def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave without interpreter teardown once pytest has reported (see wasm_sandbox.runtime.hard_exit):
    wasmtime's WASI worker threads can abort a process at teardown, which would turn a green run red."""
    if "code" in _exit_status:
        from wasm_sandbox.runtime import hard_exit

        hard_exit(_exit_status["code"])


@pytest.fixture
def small_tmpfs(tmp_path):
    """`small_tmpfs(size="1m")` mounts a tmpfs of that size (unmounted at teardown): a disk that fills up."""
    from support import tmpfs

    mounted = []

    def make(size: str = "1m", name: str = "tmpfs"):
        mounted.append(tmpfs.mount(tmp_path / name, size))
        return mounted[-1]

    yield make
    for where in mounted:
        tmpfs.unmount(where)
