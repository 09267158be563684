"""Shared resources: host memory comes back deterministically, the memory budget admits or refuses,
a call waiting for a busy session keeps its own deadline, a killed cache build leaves nothing.

The RSS tests disable Python's cyclic garbage collector: the guarantee is that memory is released
without it (a Store is closed explicitly, and nothing cycles through the epoch callback).
"""

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from wasm_sandbox import Limits, Sandbox
from wasm_sandbox.cache import STAGE_PREFIX

SLACK_S = 1.0
MB = 1 << 20
FILL_150MB = "b = b'x' * (150 * 10**6)\nlen(b)"


def rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@pytest.fixture
def no_gc():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_fresh_calls_give_their_memory_back(sandbox, no_gc):
    assert sandbox.run(FILL_150MB, timeout_s=20).status == "ok"  # warm-up: the pool and allocator settle
    before = rss()
    for _ in range(4):
        assert sandbox.run(FILL_150MB, timeout_s=20).value == "150000000"
    sandbox.wait_released()  # the reaper thread closes dropped Stores right away, off the caller's path
    assert rss() - before < 100 * MB, (rss() - before) / MB  # was +150 MB per call


def test_a_grown_instance_is_closed_at_once_and_small_ones_once_calls_are_quiet(sandbox, no_gc):
    """The reaper defers only instances that did not grow (a few MB each, closed in a quiet moment):
    one that grew gives its memory back without anybody waiting for the reaper."""
    assert sandbox.run(FILL_150MB, timeout_s=20).status == "ok"
    sandbox.wait_released()
    before = rss()
    with ThreadPoolExecutor(1) as pool:  # a call keeps running throughout: calls are never quiet
        busy = pool.submit(sandbox.run, "while True: pass", None, 4.0)
        time.sleep(0.2)
        assert sandbox.run(FILL_150MB, timeout_s=20).status == "ok"
        deadline = time.monotonic() + 1.5  # no wait_released(): the reaper must not hold it back
        while rss() - before >= 100 * MB and time.monotonic() < deadline:
            time.sleep(0.01)
        grown = rss() - before
        assert not busy.done()
        assert busy.result().status == "timeout"
    assert grown < 100 * MB, grown / MB
    for _ in range(5):
        assert sandbox.run("1 + 1").value == "2"
    deadline = time.monotonic() + 2.0
    while sandbox._dropped.unfinished_tasks and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sandbox._dropped.unfinished_tasks == 0  # the 5 small ones were closed once calls stopped


def test_pooled_instances_are_warmed_only_with_the_hosts_snippet(sandbox):
    """A warmed pooled instance has run WARM_UP and nothing else: a fresh call still sees a fresh
    namespace, its own seed, and no trace of the warm-up in its globals."""
    from wasm_sandbox.sandbox import WARM_UP

    deadline = time.monotonic() + 5.0
    while (sandbox._cold or not sandbox._pool) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sandbox._pool and not sandbox._cold, "the pool was not warmed while calls were quiet"
    assert WARM_UP == "pass"
    seen = set()
    for _ in range(3):
        r = sandbox.run("import random\n(sorted(k for k in globals() if not k.startswith('__')), random.random())")
        assert r.status == "ok", r
        names, draw = eval(r.value)
        assert names == ["random"]
        seen.add(draw)
    assert len(seen) == 3  # each fresh instance has its own seed


def test_dropped_sessions_give_their_memory_back(sandbox, no_gc):
    sandbox.run("1", session_id="warm")
    before = rss()
    for i in range(3):
        sid = f"rss-{i}"
        assert sandbox.run(FILL_150MB, session_id=sid, timeout_s=20).status == "ok"
        if i == 0:
            assert sandbox.reset(sid)
        elif i == 1:
            assert sandbox.run("while True: pass", session_id=sid, timeout_s=0.2).status == "timeout"
    sandbox.reset("rss-2")
    sandbox.wait_released()
    assert rss() - before < 100 * MB, (rss() - before) / MB


def test_the_budget_must_fit_the_configuration():
    with pytest.raises(ValueError, match="memory budget"):
        Limits(memory_mb=512, memory_budget_mb=256)
    with pytest.raises(ValueError, match="memory budget"):
        Limits(memory_mb=128, pool_size=4, memory_budget_mb=300)
    assert Limits().budget_bytes > 0


def test_running_calls_beyond_the_budget_are_busy_not_started():
    with Sandbox(Limits(memory_mb=128, memory_budget_mb=300, pool_size=0)) as sb:
        with ThreadPoolExecutor(2) as pool:
            loops = [pool.submit(sb.run, "while True: pass", None, 2.0) for _ in range(2)]
            time.sleep(0.5)
            t0 = time.monotonic()
            r = sb.run("1 + 1")
            assert r.status == "busy" and r.error.type == "Busy" and time.monotonic() - t0 < SLACK_S
            assert sb.run("x = 1", session_id="s").status == "busy"
            assert [f.result().status for f in loops] == ["timeout", "timeout"]
        assert sb.run("1 + 1").value == "2"
        assert sb.run("x = 1", session_id="s").status == "ok"


def test_idle_sessions_are_evicted_to_admit_a_call():
    with Sandbox(Limits(memory_mb=256, memory_budget_mb=600, pool_size=0)) as sb:
        for sid in ("a", "b"):
            assert sb.run("b = b'x' * (150 * 10**6)\nkept = 1", session_id=sid).status == "ok"
        with sb._lock:
            assert sb.charged_bytes() > 300 * MB
        assert sb.run("2 + 2").value == "4"  # a + b + one running cap > 600 MiB: "a" had to go
        assert sb.run("kept", session_id="a").session_reset is True
        with sb._lock:
            assert sb.charged_bytes() <= 600 * MB


def test_a_call_waiting_for_a_busy_session_keeps_its_deadline(sandbox):
    sid = "busy-session"
    sandbox.run("kept = 7", session_id=sid)
    with ThreadPoolExecutor(1) as pool:
        hog = pool.submit(sandbox.run, "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 2.5: pass",
                          sid, 4.0)
        time.sleep(0.3)
        t0 = time.monotonic()
        r = sandbox.run("kept", session_id=sid, timeout_s=0.5)
        assert time.monotonic() - t0 < 0.5 + SLACK_S  # waited the whole 2.5 s before
        assert r.status == "busy" and "in use" in r.error.message
        cancel = threading.Event()
        threading.Timer(0.2, cancel.set).start()
        t0 = time.monotonic()
        assert sandbox.run("kept", session_id=sid, timeout_s=3.0, cancel=cancel).status == "busy"
        assert time.monotonic() - t0 < 0.2 + SLACK_S
        assert hog.result().status == "ok"
    assert sandbox.run("kept", session_id=sid).value == "7"  # the session was never touched


BUILD = """
import os, sys
from pathlib import Path
from wasm_sandbox.cache import building
with building("probe", Path(sys.argv[1])) as stage:
    (stage / "half-written").write_bytes(b"x" * 1000)
    print("staged", flush=True)
    os.kill(os.getpid(), 9)
"""


def test_a_killed_build_leaves_nothing_and_the_next_one_runs(tmp_path):
    p = subprocess.run([sys.executable, "-c", BUILD, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == -signal.SIGKILL and "staged" in p.stdout
    assert [x.name for x in tmp_path.iterdir() if x.name.startswith(STAGE_PREFIX)]  # what a kill leaves
    from wasm_sandbox.cache import building, publish

    with building("probe", tmp_path) as stage:
        (stage / "out").write_text("done")
        publish(stage / "out", tmp_path / "artifact")
    assert sorted(x.name for x in tmp_path.iterdir() if not x.name.endswith(".lock")) == ["artifact"]
    assert os.path.getsize(tmp_path / "artifact") == 4
