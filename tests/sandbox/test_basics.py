"""Results, values, errors and math correctness inside the sandbox."""

import pytest


def test_print_and_value(sandbox):
    r = sandbox.run("print(1 + 1)\n3 * 4")
    assert r.status == "ok" and r.stdout == "2\n" and r.value == "12"
    assert r.error is None and r.truncated == [] and r.duration_ms > 0


@pytest.mark.parametrize("code", ["x = 2", "None", "print('hi')", "def f(): pass"])
def test_no_value_for_statements_and_none(sandbox, code):
    assert sandbox.run(code).value is None


def test_error_has_type_message_and_guest_only_traceback(sandbox):
    r = sandbox.run("a = 1\nb = 0\nprint('before')\na / b")
    assert r.status == "error" and r.stdout == "before\n"
    assert r.error.type == "ZeroDivisionError" and "division by zero" in r.error.message
    tb = r.error.traceback
    assert '<snippet>", line 4' in tb and "a / b" in tb
    for host_path in ("/root", "/work", "site-packages", "deepmath-driver", "wasm_sandbox"):
        assert host_path not in tb


def test_syntax_error_is_structured(sandbox):
    r = sandbox.run("def broken(:\n  pass")
    assert r.status == "error" and r.error.type == "SyntaxError"


def test_render_is_stdout_then_value_or_error(sandbox):
    assert sandbox.run("print('a')\n1+1").render() == "a\n\n2"
    assert "NameError" in sandbox.run("undefined_name").render()


def test_sympy(sandbox):
    r = sandbox.run("import sympy as sp\nx = sp.Symbol('x')\n"
                    "(sp.integrate(sp.exp(-x**2), (x, -sp.oo, sp.oo)), sp.solve(x**2 - 2, x), sp.factorint(2**32 + 1))")
    assert r.status == "ok", r
    assert r.value == "(sqrt(pi), [-sqrt(2), sqrt(2)], {641: 1, 6700417: 1})"


def test_numpy(sandbox):
    r = sandbox.run("import numpy as np\nnp.round(np.linalg.eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]])), 6).tolist()")
    assert r.value == "[1.0, 3.0]"


def test_scipy(sandbox):
    r = sandbox.run("from scipy import special, optimize\n"
                    "(int(special.comb(10, 3)), round(float(optimize.brentq(lambda t: t**3 - 2, 0, 2)), 9))",
                    timeout_s=20)
    assert r.status == "ok", r
    assert r.value == "(120, 1.25992105)"


def test_mpmath(sandbox):
    r = sandbox.run("import mpmath\nmpmath.mp.dps = 50\nstr(mpmath.pi)")
    assert r.value == "'3.1415926535897932384626433832795028841971693993751'"


def test_fractions_decimal_statistics(sandbox):
    r = sandbox.run("from fractions import Fraction\nfrom decimal import Decimal, getcontext\nimport statistics\n"
                    "getcontext().prec = 30\n"
                    "(sum(Fraction(1, k) for k in range(1, 11)), str(Decimal(1) / Decimal(7)), statistics.median([3, 1, 2]))")
    assert r.value == "(Fraction(7381, 2520), '0.142857142857142857142857142857', 2)"


def test_big_int_string_conversion_keeps_digit_limit(sandbox):
    r = sandbox.run("str(10**5000)")
    assert r.status == "error" and r.error.type == "ValueError"
    assert sandbox.run("len(str(10**4000))").value == "4001"


def test_random_is_reseeded_per_fresh_instance(sandbox):
    values = {sandbox.run("import random\nrandom.random()").value for _ in range(4)}
    assert len(values) == 4
    nps = {sandbox.run("import numpy\nnumpy.random.rand()").value for _ in range(3)}
    assert len(nps) == 3
