"""Sessions keep globals; traps, expiry and eviction reset them and say so; threads run in parallel."""

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from wasm_sandbox import Limits, Sandbox


def test_session_keeps_variables(sandbox):
    assert sandbox.run("x = 2", session_id="s1").status == "ok"
    r = sandbox.run("x * 3", session_id="s1")
    assert r.value == "6" and r.session_reset is False
    assert sandbox.run("def g(k): return k + x", session_id="s1").status == "ok"
    assert sandbox.run("g(40)", session_id="s1").value == "42"


def test_reset_drops_state(sandbox):
    sandbox.run("y = 1", session_id="s-reset")
    assert sandbox.reset("s-reset") is True
    r = sandbox.run("y", session_id="s-reset")
    assert r.status == "error" and r.error.type == "NameError"
    assert sandbox.reset("never-existed") is False


def test_trap_ends_the_session_and_the_next_call_says_so(sandbox):
    sandbox.run("z = 5", session_id="s-trap")
    r = sandbox.run("while True: pass", session_id="s-trap", timeout_s=0.5)
    assert r.status == "timeout"
    r = sandbox.run("z", session_id="s-trap")
    assert r.session_reset is True and r.error.type == "NameError"
    r = sandbox.run("z = 6\nz", session_id="s-trap")
    assert r.session_reset is False and r.value == "6"


def test_memory_error_keeps_the_session(sandbox):
    sandbox.run("w = 7", session_id="s-mem")
    assert sandbox.run("big = bytearray(2 * 10**9)", session_id="s-mem").status == "memory"
    r = sandbox.run("w", session_id="s-mem")
    assert r.value == "7" and r.session_reset is False


def test_lru_cap_and_idle_expiry():
    with Sandbox(Limits(max_sessions=2, session_idle_s=0.5, pool_size=0)) as sb:
        for sid in ("a", "b", "c"):
            sb.run(f"v = {sid!r}", session_id=sid)
        assert sb.session_count == 2
        r = sb.run("v", session_id="a")  # evicted by "c"
        assert r.session_reset is True and r.status == "error"
        assert sb.run("v", session_id="c").value == "'c'"
        time.sleep(2.0)  # the pool thread sweeps idle sessions every second
        r = sb.run("v", session_id="c")
        assert r.session_reset is True and r.status == "error"
        assert sb.run("'brand new'", session_id="never-seen").session_reset is False


def test_sixteen_threads_fresh_and_sessions(sandbox):
    def fresh(i):
        return sandbox.run(f"import sympy\nsympy.factorial({i})").value

    def session(i):
        sid = f"thread-{i}"
        sandbox.run(f"k = {i}", session_id=sid)
        return sandbox.run("k * k", session_id=sid).value

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(fresh, range(16))) == [str(__import__("math").factorial(i)) for i in range(16)]
        assert list(pool.map(session, range(16))) == [str(i * i) for i in range(16)]


def test_threads_run_in_parallel_a_slow_snippet_does_not_block_others(sandbox):
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(sandbox.run, "while True: pass", None, 2.0)
        t0 = time.monotonic()
        quick = pool.submit(sandbox.run, "1 + 1").result()
        quick_s = time.monotonic() - t0
        assert quick.value == "2" and not slow.done()
        assert quick_s < 1.5
        assert slow.result().status == "timeout"


def _cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "wasm_sandbox.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_cli_run_ok_error_and_usage():
    p = _cli("run", "print(6 * 7)")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["stdout"] == "42\n"
    p = _cli("run", "-", "--timeout", "0.5", stdin="while True: pass")
    assert p.returncode == 1 and json.loads(p.stdout)["status"] == "timeout"
    assert _cli("run").returncode == 2
    assert _cli("run", "1", "--memory-mb", "1").returncode == 2
