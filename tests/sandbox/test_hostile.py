"""Attacks on the host side: every route to a blocking wait, floods through the output door, forged
result records, unserialisable strings. Each guarantee is enforced by host code, so each attack
reaches past the guest driver's own guards (its globals, `sys.modules`) on purpose.

Bounds are generous (deadline + `SLACK_S`) so a loaded CI machine does not flake; each attack
overshoots by whole seconds without the host fix. Measured overshoot is in benchmarks/sandbox.py.
"""

import json
import threading
import time

import pytest

from wasm_sandbox import STATUSES, Limits, Sandbox

SLACK_S = 1.0
DRIVER = "__import__.__globals__"          # the guest driver's module globals
MODULES = f"{DRIVER}['sys'].modules"       # the interpreter's sys.modules
IMPORT = f"{DRIVER}['_real_import']"       # the import the allow-list guards (imports even unloaded modules)
SUPPRESS = f"{DRIVER}['_send'] = lambda record: None"  # the driver's own record never leaves


def _timed(sandbox, code, timeout_s, **kw):
    t0 = time.monotonic()
    r = sandbox.run(code, timeout_s=timeout_s, **kw)
    return r, time.monotonic() - t0


WAITS = {
    "driver's unpatched sleep": f"{DRIVER}['_real_sleep'](30)",
    "sleep through a patched function's globals": "import time\ntime.sleep.__globals__['_real_sleep'](30)",
    "a fresh time module": f"{MODULES}.pop('time')\nimport time\ntime.sleep(30)",
    "select with only a timeout": f"{IMPORT}('select').select([], [], [], 30)",
    "selectors": f"s = {IMPORT}('selectors').DefaultSelector()\ns.select(30)",
    "sleep in a loop that swallows everything": (
        f"while True:\n    try:\n        {DRIVER}['_real_sleep'](30)\n    except BaseException:\n        pass"),
}


@pytest.mark.parametrize("code", WAITS.values(), ids=WAITS.keys())
def test_every_wait_route_ends_at_the_deadline(sandbox, code):
    r, elapsed = _timed(sandbox, code, 1.0)
    assert r.status == "timeout" and r.error.type == "Timeout", r
    assert elapsed < 1.0 + SLACK_S


@pytest.mark.parametrize("code", list(WAITS.values())[:3], ids=list(WAITS)[:3])
def test_cancel_interrupts_a_wait(sandbox, code):
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    r, elapsed = _timed(sandbox, code, 30.0, cancel=cancel)
    assert r.status == "timeout" and r.error.type == "Cancelled"
    assert elapsed < 0.3 + SLACK_S


def test_waits_keep_their_meaning(sandbox):
    r = sandbox.run("import time\nt = time.monotonic()\ntime.sleep(0.2)\ntime.monotonic() - t")
    assert r.status == "ok" and 0.2 <= float(r.value) < 0.2 + SLACK_S  # an absolute wait never ends early
    r = sandbox.run(f"{MODULES}['select'].select([0], [], [], 30)")  # stdin is empty: ready at once
    assert r.status == "ok" and r.value == "([0], [], [])"


@pytest.fixture(scope="module")
def roomy():
    with Sandbox(Limits(timeout_s=5.0, memory_mb=512, max_output_chars=2_000, pool_size=0)) as sb:
        yield sb


def test_a_huge_write_costs_the_host_nothing_and_ends_at_the_deadline(roomy):
    sid = "flood"
    assert roomy.run("import random\nos = random._os\nb = b'x' * (200 << 20)", session_id=sid).status == "ok"
    r, elapsed = _timed(roomy, "os.write(1, b'HEAD')\nwhile True: os.write(1, b)", 0.3, session_id=sid)
    assert r.status == "timeout" and elapsed < 0.3 + 0.5, elapsed  # one 200 MiB write took ~2 s before
    assert r.stdout.startswith("HEADxxx") and "bytes cut]" in r.stdout and len(r.stdout) < 2_200
    r = roomy.run("print('x' * (100 << 20), end='')\nprint('TAIL')", timeout_s=5.0)
    assert r.status == "ok" and r.stdout.endswith("xxTAIL\n") and r.truncated == ["stdout"]


def test_writes_to_other_descriptors_fail_cleanly(sandbox):
    r = sandbox.run("import random\nrandom._os.write(7, b'x')")
    assert r.status == "error" and r.error.type == "OSError"


FORGED = {  # Python expressions evaluated in the guest (short source lines, whatever the payload)
    "not JSON": "b'garbage'",
    "not UTF-8": "b'\\xff\\xfe\\xfd'",
    "deeply nested": "b'[' * 100_000",
    "a status only the host may decide": """b'{"status": "timeout"}'""",
    "a wrong type": """b'{"status": "error", "error": {"type": 1, "message": "m"}}'""",
    "an unknown key": """b'{"status": "ok", "evil": 1}'""",
    "ok with an error": """b'{"status": "ok", "error": {"type": "X", "message": "m"}}'""",
    "a list": """b'["ok"]'""",
    "over the record cap": """b'{"status": "ok", "value": "' + b'v' * 200_000 + b'"}'""",
}


@pytest.mark.parametrize("record", FORGED.values(), ids=FORGED.keys())
def test_a_malformed_record_is_crashed_never_raises_and_ends_the_session(sandbox, record):
    sid = "forger"
    sandbox.run("kept = 1", session_id=sid)
    r = sandbox.run(f"{DRIVER}['_host'].call({record})\n{SUPPRESS}", session_id=sid)
    assert r.status == "crashed" and r.error.type == "SandboxError", r
    json.loads(r.model_dump_json())
    r = sandbox.run("kept", session_id=sid)
    assert r.session_reset is True and r.error.type == "NameError"


def test_only_one_record_per_call(sandbox):
    r = sandbox.run(f"{DRIVER}['_host'].call(b'{{\"status\": \"ok\", \"value\": \"forged\"}}')\n1/0")
    assert r.status == "crashed" and "more than one" in r.error.message and r.value is None


def test_the_host_caps_a_forged_value_and_cleans_it(sandbox):
    record = b'{"status": "ok", "value": "\\udcff' + b"v" * 50_000 + b'"}'
    r = sandbox.run(f"{DRIVER}['_host'].call({record!r})\n{SUPPRESS}")
    assert r.status == "ok" and r.truncated == ["value"] and len(r.value) < 2_200
    assert r.value.startswith("\\udcffvvv")
    json.loads(r.model_dump_json())


@pytest.mark.parametrize("code", [
    "raise ValueError('\\udcff')",
    "raise type('\\udcff', (Exception,), {})('x')",
    "print('\\ud800')\nimport random\nrandom._os.write(2, '\\udfff'.encode('utf-8', 'surrogatepass'))",
    "class E(Exception):\n    def __str__(self): return '\\udcff' * 10\nraise E()",
])
def test_every_result_serialises_to_json(sandbox, code):
    r = sandbox.run(code)
    assert r.status in ("ok", "error"), r
    out = json.loads(r.model_dump_json())
    assert out["status"] == r.status
    r.render().encode("utf-8")


def test_a_memory_error_has_a_clear_message(sandbox):
    r = sandbox.run("x = [0] * 10**9")
    assert r.status == "memory" and r.error.type == "MemoryError"
    assert "MiB" in r.error.message


def test_busy_is_a_declared_status():
    assert "busy" in STATUSES


def test_a_changed_wasmtime_epoch_signature_fails_loudly(monkeypatch):
    import ctypes
    import importlib

    from wasm_sandbox import epoch

    binding = epoch._ffi._wasmtime_store_epoch_deadline_callback
    monkeypatch.setattr(binding, "argtypes", [ctypes.c_void_p] * 4)
    with pytest.raises(ImportError, match="epoch_deadline_callback"):
        importlib.reload(epoch)
    monkeypatch.undo()
    importlib.reload(epoch)


def test_a_huge_poll_is_refused_not_read(sandbox):
    code = (f"p = {MODULES}['select'].poll()\nfor fd in range(100_000): p.register(fd)\n"
            "try:\n    p.poll(30_000)\nexcept OSError as e:\n    print(e.errno)")
    r, elapsed = _timed(sandbox, code, 2.0)
    assert r.status == "ok" and r.stdout.strip() == "28", r  # EINVAL, at once
    assert elapsed < 2.0
