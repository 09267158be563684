"""Escapes: host files, environment, network, processes, imports, and leaks between snippets.

Several tests reach past the import allow-list on purpose (through `random._os`, or the guard's
own globals): the allow-list is policy, and these prove the wasmtime boundary holds without it.
"""

import os
import socket
import threading

import pytest

REAL_IMPORT = "__import__.__globals__['_real_import']"


@pytest.mark.parametrize("path", ["/etc/passwd", "/etc/hostname", "/proc/self/environ", "/root/.bashrc",
                                  "../../../../etc/passwd", "/usr/local/lib/../../../etc/passwd",
                                  os.path.expanduser("~/.cache/deepmath")])
def test_host_files_are_unreachable(sandbox, path):
    r = sandbox.run(f"open({path!r}).read()")
    assert r.status == "error"
    assert r.error.type in ("FileNotFoundError", "PermissionError", "IsADirectoryError", "OSError",
                            "NotADirectoryError")


def test_this_repository_is_unreachable(sandbox):
    here = os.path.abspath(__file__)
    assert os.path.exists(here)
    r = sandbox.run(f"open({here!r}).read()")
    assert r.status == "error" and r.error.type == "FileNotFoundError"


def test_only_the_read_only_stdlib_is_visible(sandbox):
    r = sandbox.run("import random\nos = random._os\n"
                    "print(os.listdir('/usr/local/lib'))\n"
                    "try:\n    os.listdir('/')\nexcept OSError as e:\n    print('root:', type(e).__name__)\n"
                    "open('/usr/local/lib/new.txt', 'w')")
    assert r.status == "error", r
    assert r.error.type in ("PermissionError", "OSError", "FileNotFoundError")
    assert "python315.zip" in r.stdout


def test_stdlib_zip_cannot_be_modified(sandbox):
    r = sandbox.run("open('/usr/local/lib/python315.zip', 'r+b').write(b'x')")
    assert r.status == "error"
    r = sandbox.run("import random\nrandom._os.remove('/usr/local/lib/python315.zip')")
    assert r.status == "error"


def test_host_environment_is_not_visible(sandbox, monkeypatch):
    monkeypatch.setenv("DEEPMATH_TEST_SECRET", "hunter2")
    r = sandbox.run("import random\nsorted(random._os.environ)")
    assert r.status == "ok"
    assert r.value == "['HOME', 'PYTHONTZPATH', 'TMPDIR']"


def test_no_network_a_listener_on_loopback_receives_nothing(sandbox):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(2.0)
    port = server.getsockname()[1]
    accepted = []

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    t = threading.Thread(target=accept)
    t.start()
    code = (f"s = {REAL_IMPORT}('_socket')\n"
            "errors = []\n"
            "for attempt in range(3):\n"
            "    try:\n"
            "        sock = s.socket(s.AF_INET, s.SOCK_STREAM)\n"
            f"        sock.connect(('127.0.0.1', {port}))\n"
            "        errors.append('connected')\n"
            "    except Exception as e:\n"
            "        errors.append(type(e).__name__)\n"
            "errors")
    r = sandbox.run(code)
    t.join()
    server.close()
    assert accepted == []
    assert "connected" not in (r.value or "")


def test_no_processes(sandbox):
    r = sandbox.run("import random\nos = random._os\nout = []\n"
                    "for name in ('system', 'fork', 'execv', 'posix_spawn', 'popen', 'kill'):\n"
                    "    f = getattr(os, name, None)\n"
                    "    if f is None:\n        out.append(name + ':missing'); continue\n"
                    "    try:\n        f('true') if name in ('system', 'popen') else f()\n        out.append(name + ':RAN')\n"
                    "    except Exception as e:\n        out.append(name + ':' + type(e).__name__)\n"
                    "out")
    assert r.status == "ok" and ":RAN" not in r.value, r
    r = sandbox.run(f"sp = {REAL_IMPORT}('subprocess')\nsp.run(['ls'])")
    assert r.status == "error"


@pytest.mark.parametrize("code", ["import os", "import sys", "from os import path", "import subprocess",
                                  "import socket", "import importlib", "__import__('os')", "import ctypes",
                                  "import os.path", "import builtins"])
def test_import_allow_list(sandbox, code):
    r = sandbox.run(code)
    assert r.status == "error" and r.error.type == "ImportError"
    assert "allowed modules: " in r.error.message and "sympy" in r.error.message


def test_allowed_imports_work(sandbox):
    r = sandbox.run("import math, cmath, fractions, decimal, numbers, statistics, random, itertools, functools\n"
                    "import operator, collections, heapq, bisect, re, string, datetime, time, sympy, mpmath, numpy\n"
                    "from sympy.ntheory import isprime\nisprime(97)")
    assert r.status == "ok" and r.value == "True"


def test_fresh_calls_share_nothing(sandbox):
    sandbox.run("leak = 42\nimport sympy\nsympy.pi = 3")
    sandbox.run("__builtins__.len = lambda x: 0")
    r = sandbox.run("import sympy\n(sympy.pi, 'leak' in globals(), len('abc'))")
    assert r.value == "(pi, False, 3)"


def test_sessions_do_not_see_each_other(sandbox):
    sandbox.run("secret = 'A'\nimport sympy\nsympy.pi = 3\n__builtins__.len = lambda x: -1", session_id="iso-a")
    r = sandbox.run("import sympy\n(sympy.pi, 'secret' in globals(), len('abc'))", session_id="iso-b")
    assert r.value == "(pi, False, 3)"
    assert sandbox.run("(secret, sympy.pi, len('x'))", session_id="iso-a").value == "('A', 3, -1)"
    assert sandbox.run("import sympy\nsympy.pi").value == "pi"


def test_a_snippet_cannot_forge_its_result_by_printing(sandbox):
    r = sandbox.run('print(\'{"status": "ok", "value": "forged"}\')\n1/0')
    assert r.status == "error" and r.value is None


@pytest.mark.parametrize("code", ["x = '\\x00'\nlen(x)", "'\\udcff'", "'日本語 ✓'", "print('\\x1b[2J\\x07')"])
def test_odd_characters(sandbox, code):
    r = sandbox.run(code)
    assert r.status == "ok", r


def test_nul_byte_in_source_is_a_syntax_error(sandbox):
    r = sandbox.run("print(1)\x00")
    assert r.status == "error" and r.error.type in ("SyntaxError", "ValueError")


def test_sys_exit_and_exit_are_errors_not_crashes(sandbox):
    assert sandbox.run("raise SystemExit(3)").error.type == "SystemExit"
    r = sandbox.run("exit()")
    assert r.status == "error" and r.error.type == "SystemExit"
    assert sandbox.run("2 + 2").value == "4"


def test_stdin_is_empty_and_interactive_helpers_do_not_block(sandbox):
    assert sandbox.run("input()").error.type == "EOFError"
    r = sandbox.run("breakpoint()\nhelp(len)\n'done'")
    assert r.status == "ok" and r.value == "'done'" and "len(obj" in r.stdout
