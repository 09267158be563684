"""A Sandbox shared by the sandbox tests (the snapshot is built once per machine and cached)."""

import pytest

from wasm_sandbox import Limits, Sandbox


@pytest.fixture(scope="session")
def sandbox():
    with Sandbox(Limits(timeout_s=2.0, memory_mb=256, max_output_chars=2_000)) as sb:
        yield sb
