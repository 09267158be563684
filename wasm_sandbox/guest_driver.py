"""Guest-side driver: runs INSIDE the WebAssembly interpreter, never on the host.

The snapshot build executes this file once in the guest (as module `_deepmath`), after sympy,
mpmath and numpy are imported. Each host call is then one `turn` whose source is just
`_dm_run(<code>, <seed>, <max_chars>)` (`_dm_run` is bound in the interpreter's own `__main__`), so user code never runs in the
interpreter's own `__main__` and the driver's state is not in the user's namespace.

Why a separate result channel: the result record (status, value, error) goes to the host through
the `_host.call` door, not through stdout, so a snippet can neither forge it by printing nor push
it past the output cap.

What this does NOT cover: the import allow-list below is policy for a predictable tool, not a
security boundary (a determined snippet can reach other modules through sympy's attributes).
Isolation comes from wasmtime: no preopened host directory but the read-only stdlib, no sockets,
no processes, a memory cap and a deadline enforced by the host.
"""

import builtins
import json
import random
import sys
import time
import traceback

import _host

SNIPPET = "<snippet>"
ALLOWED = frozenset()
NAMESPACE = {"__name__": "__main__", "__builtins__": builtins}
_state = {"seeded": False}
_real_import = builtins.__import__


def configure(allowed):
    """Set the import allow-list (top-level module names) and the guards; called once at snapshot time."""
    global ALLOWED
    ALLOWED = frozenset(allowed)
    builtins.__import__ = _guarded_import
    time.sleep = _sleep


_real_sleep = time.sleep


def _sleep(seconds):
    """time.sleep in 10 ms slices: one long blocking host call would hide from the epoch deadline."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        _real_sleep(min(left, 0.01))


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if (globals is None or globals is NAMESPACE) and level == 0:
        top = name.partition(".")[0]
        if top not in ALLOWED:
            raise ImportError(
                f"import of {name!r} is not allowed in this sandbox; allowed modules: "
                + ", ".join(sorted(ALLOWED))
            )
    return _real_import(name, globals, locals, fromlist, level)


def _cut(text, limit):
    """Keep the head and the tail of `text`, saying how much of the middle was cut."""
    if len(text) <= limit:
        return text, False
    half = max(limit // 2, 1)
    cut = len(text) - 2 * half
    return f"{text[:half]}\n... [{cut} characters cut] ...\n{text[-half:]}", True


def _traceback(exc):
    """The formatted exception with the driver's own frames removed (snippet + library frames)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    return "".join(lines)


def _reseed(seed):
    random.seed(seed)
    try:
        import numpy

        numpy.random.seed(seed % (2**32))
    except ImportError:
        pass


def _split(code):
    """Compile `code` as statements plus, when it ends in an expression, that expression."""
    import ast
    import linecache

    linecache.cache[SNIPPET] = (len(code), None, code.splitlines(True), SNIPPET)

    tree = ast.parse(code, SNIPPET, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, SNIPPET, "exec")
    return body, (compile(last, SNIPPET, "eval") if last is not None else None)


def _send(record):
    _host.call(json.dumps(record).encode("utf-8", "replace"))


def run(code, seed, max_chars):
    """Run one snippet in the persistent namespace and send its result record to the host."""
    if not _state["seeded"]:
        _reseed(seed)
        _state["seeded"] = True
    record = {"status": "ok", "value": None, "error": None, "value_truncated": False}
    try:
        body, last = _split(code)
        exec(body, NAMESPACE)
        if last is not None:
            value = eval(last, NAMESPACE)
            if value is not None:
                NAMESPACE["_"] = value
                record["value"], record["value_truncated"] = _cut(repr(value), max_chars)
    except MemoryError as exc:
        record["status"] = "memory"
        record["error"] = {"type": "MemoryError", "message": str(exc), "traceback": ""}
    except BaseException as exc:  # the snippet's exception is the result, whatever its type
        record["status"] = "error"
        try:
            text = _traceback(exc)
        except MemoryError:
            text = ""
        record["error"] = {
            "type": type(exc).__name__,
            "message": _cut(str(exc), max_chars)[0],
            "traceback": _cut(text, max_chars)[0],
        }
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    _send(record)
