"""The interim interpreter (`Sandbox(interim=True)`: the plain reactor compiled by Winch, which serves
a fresh machine's first calls while the snapshot is built) keeps the snapshot's guarantees.

The attacks and limit tests below are the snapshot's own, imported so that pytest collects them
again here, where `sandbox` is the interim sandbox: deadline and cancel (epoch interruption in
Winch-compiled code), the memory cap, the stack, the output caps, every wait route, forged result
records, the file system, processes, the import allow-list. The interim module is compiled into a
temporary cache (the shared cache is not touched).
"""

import os
import time
from pathlib import Path

import pytest

from sandbox.test_basics import test_error_has_type_message_and_guest_only_traceback, test_print_and_value  # noqa: F401
from sandbox.test_hostile import (  # noqa: F401
    test_a_malformed_record_is_crashed_never_raises_and_ends_the_session,
    test_every_wait_route_ends_at_the_deadline,
    test_writes_to_other_descriptors_fail_cleanly,
)
from sandbox.test_isolation import (  # noqa: F401
    test_host_files_are_unreachable,
    test_import_allow_list,
    test_no_processes,
    test_only_the_read_only_stdlib_is_visible,
)
from sandbox.test_limits import (  # noqa: F401
    test_cancel_event_interrupts_a_running_snippet,
    test_cancel_set_before_the_run_runs_nothing,
    test_deadline_stops_the_snippet,
    test_deep_recursion_ends_in_a_structured_result,
    test_endless_printing_is_cut_and_stopped,
    test_memory_cap,
    test_memory_cap_is_per_instance_and_the_next_call_is_fine,
    test_stdout_flood_is_cut_in_the_middle_with_a_marker,
)
from wasm_sandbox import Limits, Sandbox
from wasm_sandbox.runtime import Runtime


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    cache = tmp_path_factory.mktemp("interim-cache")
    cache.chmod(0o700)
    old = os.environ.get("DEEPMATH_CACHE")
    os.environ["DEEPMATH_CACHE"] = str(cache)
    try:
        sb = Sandbox(Limits(timeout_s=2.0, memory_mb=256, max_output_chars=2_000), interim=True)
    finally:
        if old is None:
            os.environ.pop("DEEPMATH_CACHE")
        else:
            os.environ["DEEPMATH_CACHE"] = old
    with sb:
        # Timed tests measure the call, not the making of an instance (slower than the snapshot's):
        # start them once the pool is full, as a serving sandbox's is.
        deadline = time.monotonic() + 120
        while len(sb._pool) < sb.limits.pool_size and time.monotonic() < deadline:
            time.sleep(0.05)
        yield sb


def test_it_is_the_winch_compiled_plain_interpreter(sandbox):
    assert sandbox.runtime is Runtime.get(interim=True) and sandbox.runtime.interim
    assert sandbox.runtime is not Runtime.get()
    r = sandbox.run("'sympy' in __import__.__globals__['sys'].modules")  # nothing imported ahead (no snapshot)
    assert r.status == "ok" and r.value == "False"
    r = sandbox.run("import sympy\nsympy.factor(sympy.Symbol('x')**2 - 1)", timeout_s=60)
    assert r.status == "ok" and r.value == "(x - 1)*(x + 1)"


def test_the_compiled_interim_is_saved_and_loaded_checked(sandbox, monkeypatch):
    from wasm_sandbox import cache, snapshot
    from wasm_sandbox.runtime import INTERIM_DESC

    root = Path(sandbox.runtime.guest_dirs[0][0]).parent  # the cache folder its stdlib (and it) were made in
    if sandbox.runtime.save is not None:
        sandbox.runtime.save()
    saved = list(root.glob("interim-*.cwasm"))
    assert len(saved) == 1 and cache.digest_path(saved[0]).exists()
    monkeypatch.setenv("DEEPMATH_CACHE", str(root))
    module, save = snapshot.compiled_interim(sandbox.runtime.engine, INTERIM_DESC)
    assert save is None  # loaded from the cache (after its digest check), not compiled again


def test_hand_over_resets_its_sessions_on_the_successor(sandbox):
    """What the server does when the snapshot is ready: the interim sandbox's sessions are dropped,
    and their next call, on the snapshot, says `session_reset`; a call still on its way runs."""
    interim = Sandbox(sandbox.limits, interim=True)  # the compiled interim module is reused
    with interim, Sandbox(sandbox.limits) as successor:
        assert interim.run("x = 41", session_id="kept").status == "ok"
        interim.hand_over(successor)
        assert interim.session_count == 0 and not interim._pool
        r = successor.run("x + 1", session_id="kept")
        assert r.status == "error" and r.error.type == "NameError" and r.session_reset
        assert successor.run("y = 1", session_id="new").session_reset is False
        assert interim.run("6 * 7").value == "42"
        assert not interim._pool  # it does not refill
