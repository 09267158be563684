"""The problem families: golds by an independent route, teacher snippets in the real sandbox,
determinism, honest splits, and golds that the grader reads back.

The generator computes golds in plain Python; `ROUTES` recomputes each one from the item's params
with sympy (or another algorithm), and the sandbox test runs the teacher snippet itself, so every
gold is checked by two routes besides its own.
"""

from __future__ import annotations

import re

import pytest
import sympy as sp
from sympy.ntheory import digits

from eval import datasets
from eval.families import DEFAULT_SIZES, FAMILIES, SPLITS, draws, generate, problems
from eval.grading import grade, parse_gold

X, Y, K = sp.symbols("x y k")


def _big(text: str) -> sp.Integer:
    """'2^100' or '30!' as a sympy integer."""
    if text.endswith("!"):
        return sp.factorial(int(text[:-1]))
    base, exp = text.split("^")
    return sp.Integer(base) ** int(exp)


def _square_and_multiply(a: int, b: int, m: int) -> int:
    result, a = 1, a % m
    for bit in bin(b)[2:]:
        result = result * result % m
        if bit == "1":
            result = result * a % m
    return result % m


def _odd_even(a: int, b: int, r: int):
    j = sp.Symbol("j", integer=True)
    return sp.summation(2 * j + r, (j, sp.ceiling(sp.Rational(a - r, 2)), sp.floor(sp.Rational(b - r, 2))))


def _recurrence(p):
    step = sp.Matrix([[p["p"], p["q"]], [1, 0]])
    return (step ** (p["n"] - 2) * sp.Matrix([p["a2"], p["a1"]]))[0]


def _exact_root(p):
    root, exact = sp.integer_nthroot(p["n"], p["k"])
    assert exact, p
    return root


def _exact_log(p):
    x, exact = sp.integer_log(p["n"], p["b"])
    assert exact, p
    return x


def _from_digits(p):
    value = 0
    for ch in p["digits"]:
        value = value * p["base"] + "0123456789abcdef".index(ch)
    return value


def _multiples(p) -> list[int]:
    last = p["n"] if "n1" not in p else p["n1"]
    return [k for k in range(1, last + 1) if k % p["a"] == 0 or k % p["b"] == 0]


def _both(p):
    total, k = p["r"] + p["b"], p["k"]
    return sp.Rational(k * (k - 1), total * (total - 1))


def _roots(lhs: str) -> list:
    roots = sp.roots(sp.Poly(sp.sympify(lhs), X))
    assert sum(roots.values()) == 2 and len(roots) == 2, lhs
    return list(roots)


def _system(p):
    (sol,) = sp.linsolve([sp.sympify(p["l1"]) - p["r1"], sp.sympify(p["l2"]) - p["r2"]], [X, Y])
    return {"x": sol[0], "y": sol[1], "x + y": sol[0] + sol[1]}[p["ask"]]


_NUMS = {"gcd": sp.igcd, "lcm": sp.ilcm}
ROUTES = {
    "arithmetic": lambda p: sp.sympify(p["expr"]),
    "big_product": lambda p: sp.Integer(p["a"]) * p["b"],
    "power": lambda p: sp.Integer(p["a"]) ** p["b"],
    "sum_first_n": lambda p: sp.summation(K, (K, 1, p["n"])),
    "sum_range": lambda p: sp.summation(K, (K, p["a"], p["b"])),
    "sum_odd_even": lambda p: _odd_even(p["a"], p["b"], p["r"]),
    "sum_powers": lambda p: sp.summation(K ** p["p"], (K, 1, p["n"])),
    "arithmetic_series": lambda p: sp.summation(p["a"] + p["d"] * K, (K, 0, p["n"] - 1)),
    "geometric_series": lambda p: sp.summation(p["a"] * sp.Integer(p["r"]) ** K, (K, 0, p["n"] - 1)),
    "digit_sum": lambda p: sum(digits(_big(p["text"]))[1:]),
    "digit_count": lambda p: len(digits(_big(p["text"]))) - 1,
    "gcd_lcm": lambda p: _NUMS[p["op"]](*map(int, p["args"].split(", "))),
    "remainder": lambda p: sp.Mod(p["n"], p["m"]),
    "mod_power": lambda p: _square_and_multiply(p["a"], p["b"], p["m"]),
    "prime_count": lambda p: sp.primepi(p["n"]),
    "nth_prime": lambda p: sp.prime(p["n"]),
    "prime_factor": lambda p: {"max": max, "min": min}[p["op"]](sp.factorint(p["n"])),
    "next_prime": lambda p: sp.nextprime(p["n"]),
    "divisors": lambda p: sp.divisor_count(p["n"]) if p["op"] == "len" else sp.divisor_sigma(p["n"]),
    "factorial": lambda p: sp.factorial(p["n"]),
    "binomial": lambda p: sp.binomial(p["n"], p["k"]),
    "permutations": lambda p: sp.ff(p["n"], p["k"]),
    "fibonacci": lambda p: sp.fibonacci(p["n"]),
    "recurrence": _recurrence,
    "linear_equation": lambda p: sp.solve(sp.sympify(p["lhs"]) - sp.sympify(p["rhs"]), X)[0],
    "quadratic_roots": lambda p: {"max": max, "min": min}[p["op"]](_roots(p["lhs"])),
    "quadratic_vieta": lambda p: {"sum": sp.Add, "prod": sp.Mul}[p["op"]](*_roots(p["lhs"])),
    "linear_system": _system,
    "derivative": lambda p: sp.diff(sp.sympify(p["f"]), X).subs(X, p["x0"]),
    "integral": lambda p: sp.integrate(sp.sympify(p["f"]), (X, p["a"], p["b"])),
    "fraction_arithmetic": lambda p: sp.sympify(p["text"]),
    "average": lambda p: sp.Rational(sp.Add(*map(int, p["args"].split(", "))), len(p["args"].split(", "))),
    "integer_root": _exact_root,
    "base_conversion": _from_digits,
    "count_multiples": lambda p: len(_multiples(p)),
    "sum_multiples": lambda p: sum(_multiples(p)),
    "prime_check": lambda p: sum(sp.isprime(int(n)) for n in p["args"].split(", ")),
    "probability": _both,
    "polynomial_eval": lambda p: sp.sympify(p["f"]).subs(X, p["x0"]),
    "word_percent": lambda p: sp.Rational(p["base"] * p["p"], 100),
    "word_interest": lambda p: sp.Rational(p["principal"] * p["rate"] * p["years"], 100),
    "prime_factor_stats": lambda p: {"len": len, "sum": sum}[p["op"]](list(sp.factorint(p["n"]))),
    "trailing_zeros": lambda p: sp.multiplicity(10, sp.factorial(p["n"])),
    "exponent_equation": _exact_log,
    "hypotenuse": lambda p: sp.sqrt(p["a"] ** 2 + p["b"] ** 2),
    "word_price": lambda p: sp.Integer(p["q1"]) * p["p1"] + sp.Integer(p["q2"]) * p["p2"],
    "word_change": lambda p: sp.Integer(p["paid"]) - sp.Integer(p["q"]) * p["p"],
    "word_speed": lambda p: sp.Integer(p["v"]) * p["t"],
    "word_rate": lambda p: sp.Rational(p["total"], p["rate"]),
    "word_age": lambda p: sp.Integer(p["age"]) * p["m"] + p["y"],
}
SAMPLE = {"train": 8, "val": 4, "test": 6}


def test_registry_size_and_phrasings():
    assert len(FAMILIES) >= 15
    assert set(ROUTES) == set(FAMILIES), "every family needs an independent route in this test"
    seen: dict[str, str] = {}
    for fam in FAMILIES.values():
        assert len(fam.train) >= 8 and len(fam.val) >= 2 and len(fam.test) >= 2, fam.name
        for split in SPLITS:
            for phrasing in fam.phrasings(split):
                assert phrasing not in seen, f"{fam.name}: {phrasing!r} is used in {seen.get(phrasing)} and {split}"
                seen[phrasing] = split


def _words(phrasing: str) -> set[str]:
    return set(re.findall(r"\{\w+\}|\w+", phrasing.lower()))


def test_test_phrasings_are_not_rewordings_of_training_ones():
    """Not just different strings: a test phrasing shares under 70% of its words (Jaccard) with any
    train or val phrasing of its family, so "Determine X." vs "Find X." would not pass as unseen."""
    for fam in FAMILIES.values():
        for phrasing in fam.test:
            for other in fam.train + fam.val:
                a, b = _words(phrasing), _words(other)
                assert len(a & b) / len(a | b) < 0.7, (fam.name, phrasing, other)


@pytest.mark.parametrize("split", SPLITS)
def test_every_gold_matches_an_independent_route(split):
    for name in FAMILIES:
        for params, item in draws(split, name, SAMPLE[split]):
            expected = sp.sympify(ROUTES[name](params))
            assert expected.is_Rational, (item.id, expected)
            assert str(expected) == item.answer, (item.id, item.problem, expected, item.answer)


@pytest.fixture(scope="module")
def sandbox():
    from wasm_sandbox import Limits, Sandbox

    with Sandbox(Limits(timeout_s=20.0)) as sb:  # generous: sympy calls take ~0.1-0.5 s, more on a busy CPU
        yield sb


@pytest.mark.parametrize("split", SPLITS)
def test_teacher_code_prints_the_gold_in_the_real_sandbox(sandbox, split):
    for name in FAMILIES:
        for _, item in draws(split, name, 2 if split == "test" else 1):
            result = sandbox.run(item.code)
            assert result.ok, (item.id, item.code, result.error)
            assert result.stdout.strip().splitlines()[-1] == item.answer, (item.id, item.code, result.stdout)


def test_items_are_well_formed():
    for split in SPLITS:
        for item in generate(split, per_family=SAMPLE[split]):
            assert item.id.startswith(f"{split}/{item.family}/")
            assert re.fullmatch(r"-?\d+(/\d+)?", item.answer), item
            assert len(item.answer.lstrip("-")) <= 40, item
            assert 1 <= len(item.code.splitlines()) <= 4, item.code
            assert not re.search(r"\{\w*\}", item.problem), item.problem  # no unfilled template field


def test_generation_is_deterministic_and_prefix_stable():
    a = generate("train", per_family=6, seed=3)
    assert a == generate("train", per_family=6, seed=3)
    longer = generate("train", per_family=9, seed=3)
    assert a == [i for i in longer if int(i.id.rsplit("/", 1)[1]) < 6]
    only = generate("train", per_family=6, seed=3, families=["integral", "binomial"])
    assert only == [i for i in a if i.family == "integral"] + [i for i in a if i.family == "binomial"]
    assert generate("train", per_family=6, seed=4) != a
    assert [len(generate(s, families=["power"])) for s in SPLITS] == [DEFAULT_SIZES[s] for s in SPLITS]


def _numbers(params: dict) -> tuple[str, ...]:
    """Every number an item's params hold, including those inside strings like "3x + 5" or "87c"."""
    return tuple(sorted(n for v in params.values() for n in re.findall(r"\w*\d\w*", str(v))))


def test_splits_share_no_text_and_test_shares_no_numbers_with_train():
    texts = {s: {i.problem for i in generate(s, per_family=n)} for s, n in (("train", 128), ("val", 32), ("test", 32))}
    assert not texts["train"] & texts["val"] and not texts["train"] & texts["test"] and not texts["val"] & texts["test"]
    for name in FAMILIES:
        train = {_numbers(p) for p, _ in draws("train", name, 128)}
        assert not any(_numbers(p) in train for p, _ in draws("test", name, 32)), name


def test_texts_within_a_split_are_unique():
    items = generate("train")
    assert len({i.problem for i in items}) == len(items)
    assert len({i.id for i in items}) == len(items)


def test_golds_parse_and_grade_as_themselves():
    for split in SPLITS:
        for item in generate(split, per_family=1):
            assert parse_gold(item.answer), item
            assert grade(item.answer, item.answer), item
            assert not grade(str(sp.Rational(item.answer) + 1), item.answer), item


def test_registered_as_named_datasets():
    assert {"nano-train", "nano-val", "nano-test"} <= set(datasets.available())
    loaded = datasets.load("nano-test")
    assert [(p.id, p.problem, p.answer) for p in loaded] == [(p.id, p.problem, p.answer) for p in problems("test")]
    assert len(loaded) == DEFAULT_SIZES["test"] * len(FAMILIES)
    assert len(datasets.load("nano-val", limit=3)) == 3


def test_bad_arguments_are_refused_clearly():
    with pytest.raises(ValueError, match="unknown split"):
        generate("dev")
    with pytest.raises(ValueError, match="unknown families nope"):
        generate("train", families=["nope"])
    with pytest.raises(ValueError, match="per_family"):
        generate("train", per_family=-1)
