"""Questions of the arithmetic and numbers modules: the last sentence of a question."""

from __future__ import annotations

import re

from train.dm_teacher.algebra import _match
from train.dm_teacher.context import NUMBER_WORDS, ORDINALS, Snippet, Unparsed, count_word

NUM = r"-?\d+(?:\.\d+)?"


def _decimal(code: Snippet, *nums: str) -> list[str]:
    """Python for plain numbers: ints as they are, decimals as `Decimal('...')` (exact, printed as decimals)."""
    if not any("." in n for n in nums):
        return list(nums)
    if "from decimal import Decimal" not in code.imports:
        code.imports.insert(0, "from decimal import Decimal")
    return [f"Decimal({n!r})" for n in nums]


def add_or_sub(code: Snippet, q: str) -> None:
    plus = [rf"(?:Work out |Calculate |What is )?(?P<p>{NUM}) ?\+ ?(?P<q>{NUM})",
            rf"(?:Add|Put together|Sum|Total of|Add together) (?P<p>{NUM}) and (?P<q>{NUM})",
            rf"What is (?P<p>{NUM}) plus (?P<q>{NUM})"]
    minus = [rf"(?:Work out |Calculate |What is )?(?P<p>{NUM}) ?- ?(?P<q>{NUM})",
             rf"What is (?P<p>{NUM}) (?:minus|take away) (?P<q>{NUM})",
             rf"What is (?P<q>{NUM}) less than (?P<p>{NUM})", rf"Subtract (?P<q>{NUM}) from (?P<p>{NUM})"]
    between = [rf"What is the (?:distance|difference) between (?P<p>{NUM}) and (?P<q>{NUM})"]
    for patterns, fmt in ((plus, "{} + {}"), (minus, "{} - {}"), (between, "abs({} - {})")):
        for p in patterns:
            if m := re.fullmatch(p, q):
                code.add(f"print({fmt.format(*_decimal(code, m['p'], m['q']))})")
                return
    raise Unparsed(f"question {q!r}")


def mul(code: Snippet, q: str) -> None:
    m = _match([rf"(?:Work out |Calculate |What is )?(?P<p>{NUM}) ?\* ?(?P<q>{NUM})",
                rf"(?:Multiply|Product of|What is the product of) (?P<p>{NUM}) and (?P<q>{NUM})",
                rf"(?:What is )?(?P<p>{NUM}) times (?P<q>{NUM})"], q)
    code.add("print({} * {})".format(*_decimal(code, m["p"], m["q"])))


def div(code: Snippet, q: str) -> None:
    m = _match([rf"(?:What is |Calculate )?(?P<p>-?\d+) divided by (?P<q>-?\d+)",
                rf"Divide (?P<p>-?\d+) by (?P<q>-?\d+)"], q)
    code.add(f"print(Rational({m['p']}, {m['q']}))")


def evaluate(code: Snippet, q: str) -> None:
    """add_sub_multiple, mixed, mul_div_multiple: `What is / Evaluate / Calculate E` or a bare E."""
    m = _match([r"(?:What is the value of|What is|Evaluate|Calculate) (.+)", r"([-\d(].*)"], q)
    code.add(f"print({code.expr(m.group(1))})")


def add_or_sub_in_base(code: Snippet, q: str) -> None:
    m = _match([r"In base (?P<b>\d+), what is (?P<p>-?[0-9a-z]+) (?P<op>[+-]) (?P<q>-?[0-9a-z]+)"], q)
    b = m["b"]
    code.imports.insert(0, "import numpy")
    code.add(f"print(numpy.base_repr(int({m['p']!r}, {b}) {m['op']} int({m['q']!r}, {b}), {b}).lower())")


_ROOTS = {"square": 2, "cube": 3, **ORDINALS}


def nearest_integer_root(code: Snippet, q: str) -> None:
    m = _match([r"What is the (?P<n>\w+) root of (?P<x>\d+) to the nearest integer",
                r"What is (?P<x>\d+) to the power of 1/(?P<k>\d+), to the nearest integer"], q)
    n = m.groupdict().get("k") or _ROOTS.get(m["n"])
    if n is None:
        raise Unparsed(f"root {m['n']!r}")
    code.add(f"print(round(root({m['x']}, {n})))")


def simplify_surd(code: Snippet, q: str) -> None:
    m = _match([r"Simplify (.+)"], q)
    code.add(f"print(simplify({code.expr(m.group(1))}))")


def base_conversion(code: Snippet, q: str) -> None:
    m = _match([r"(?:Convert |What is )?(?P<x>-?[0-9a-z]+) \(base (?P<b>\d+)\) (?:to|in) base (?P<c>\d+)"], q)
    code.imports.insert(0, "import numpy")
    code.add(f"print(numpy.base_repr(int({m['x']!r}, {m['b']}), {m['c']}).lower())")


def div_remainder(code: Snippet, q: str) -> None:
    m = _match([r"(?:What is|Calculate) the remainder when (.+) is divided by (.+)"], q)
    code.add(f"print(Mod({code.expr(m.group(1))}, {code.expr(m.group(2))}))")


def gcd_(code: Snippet, q: str) -> None:
    m = _match([r"(?:What is|Calculate) the (?:greatest|highest) common (?:divisor|factor) of (.+) and (.+)"], q)
    code.add(f"print(gcd({code.expr(m.group(1))}, {code.expr(m.group(2))}))")


def lcm_(code: Snippet, q: str) -> None:
    if m := re.fullmatch(r"(?:What is|Calculate|Find) the common denominator of (.+) and (.+)", q):
        code.add(f"print(lcm(denom({code.expr(m.group(1))}), denom({code.expr(m.group(2))})))")
        return
    m = _match([r"(?:What is|Calculate|Find) the (?:lowest|smallest|least) common multiple of (.+) and (.+)"], q)
    code.add(f"print(lcm({code.expr(m.group(1))}, {code.expr(m.group(2))}))")


def is_factor(code: Snippet, q: str) -> None:
    if m := re.fullmatch(r"Is (.+) even", q):
        code.add(f"print({code.expr(m.group(1))} % 2 == 0)")
        return
    m = _match([r"Is (?P<f>.+) a factor of (?P<v>.+)", r"Is (?P<v>.+) a multiple of (?P<f>.+)",
                r"Does (?P<f>.+) divide (?P<v>.+)"], q)
    code.add(f"print(Mod({code.expr(m['v'])}, {code.expr(m['f'])}) == 0)")


def is_prime(code: Snippet, q: str) -> None:
    m = _match([r"Is (.+) (prime|a prime number|composite|a composite number)"], q)
    n = code.expr(m.group(1))
    if "prime" in m.group(2):
        code.add(f"print(isprime({n}))")
    else:  # the generator asks "composite" only of integers > 1
        code.add(f"print(not isprime({n}))")


def list_prime_factors(code: Snippet, q: str) -> None:
    m = _match([r"(?:What are|List) the prime factors of (.+)"], q)
    code.add(f"print(*primefactors({code.expr(m.group(1))}), sep=', ')")


_PLACES = ["units", "tens", "hundreds", "thousands", "ten thousands", "hundred thousands", "millions",
           "ten millions", "hundred millions", "billions", "ten billions", "hundred billions", "trillions"]


def place_value(code: Snippet, q: str) -> None:
    m = _match([r"What is the (.+) digit of (.+)"], q)
    if m.group(1) not in _PLACES:
        raise Unparsed(f"place {m.group(1)!r}")
    k = _PLACES.index(m.group(1))
    x = code.expr(m.group(2))
    x = x if re.fullmatch(r"\w+", x) else f"({x})"
    code.add(f"print({x} // {10 ** k} % 10)" if k else f"print({x} % 10)")


_SCALES = {"ten": 1, "hundred": 2, "thousand": 3, "million": 6, "billion": 9}


def _power_of_ten(text: str) -> int:
    """`1000`, `ten thousand`, `one hundred` -> the exponent of ten."""
    if re.fullmatch(r"10*", text):
        return len(text) - 1
    words = text.split()
    if words and words[0] == "one":
        words = words[1:]
    if not words or any(w not in _SCALES for w in words):
        raise Unparsed(f"power of ten {text!r}")
    return sum(_SCALES[w] for w in words)


def round_number(code: Snippet, q: str) -> None:
    """Rounded as the generator rounds: half away from zero (`Decimal`'s ROUND_HALF_UP), printed as a decimal."""
    m = _match([r"Round (?P<x>.+) to (?P<d>.+)", r"What is (?P<x>.+) rounded to (?P<d>.+)"], q)
    d = m["d"]
    if d == "the nearest integer":
        digits = 0
    elif t := re.fullmatch(r"the nearest (.+)", d):
        digits = -_power_of_ten(t.group(1))
    elif t := re.fullmatch(r"(\w+) (?:decimal places?|dps?)", d):
        digits = count_word(t.group(1))
    else:
        raise Unparsed(f"rounding {d!r}")
    code.imports.insert(0, "from decimal import Decimal, ROUND_HALF_UP")
    x = m["x"]
    if re.fullmatch(NUM, x):
        code.add(f"x = Decimal({x!r})")
    else:  # an exact number (an int or a sympy Rational), as an exact Decimal
        code.add(f"num, den = fraction({code.expr(x)})")
        code.add("x = Decimal(int(num)) / int(den)")
    if digits >= 0:
        code.add(f"print(x.quantize(Decimal('1e-{digits}'), ROUND_HALF_UP))")
    else:
        code.add(f"print((x / 10**{-digits}).to_integral_value(ROUND_HALF_UP) * 10**{-digits})")


HANDLERS = {
    "arithmetic__add_or_sub": add_or_sub, "arithmetic__add_or_sub_in_base": add_or_sub_in_base,
    "arithmetic__add_sub_multiple": evaluate, "arithmetic__div": div, "arithmetic__mixed": evaluate,
    "arithmetic__mul": mul, "arithmetic__mul_div_multiple": evaluate,
    "arithmetic__nearest_integer_root": nearest_integer_root, "arithmetic__simplify_surd": simplify_surd,
    "numbers__base_conversion": base_conversion, "numbers__div_remainder": div_remainder,
    "numbers__gcd": gcd_, "numbers__is_factor": is_factor, "numbers__is_prime": is_prime,
    "numbers__lcm": lcm_, "numbers__list_prime_factors": list_prime_factors,
    "numbers__place_value": place_value, "numbers__round_number": round_number,
}
