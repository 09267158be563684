"""The building blocks of a problem family: phrasings per split, a seeded sampler, a teacher snippet.

Why a family is data plus one sampler: the sampler draws the numbers for one item and computes the
gold in plain Python (no sympy), while the teacher snippet (usually sympy or `math`) and the tests'
own sympy routes compute it independently; three routes that must agree.

Why the sampler is told only `test`: train and val share the train number ranges (val is for
early stopping, so it must look like train), while test draws from ranges train never uses, so a
test score measures generalisation to new numbers as well as to new phrasings.

Not covered here: the registry, determinism and splitting (see `eval.families`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

Gold = int | Fraction
Sampler = Callable[[random.Random, bool], tuple[dict[str, Any], Gold]]


@dataclass(frozen=True)
class Family:
    """One kind of problem. Phrasings and `code` are `str.format` templates over the sampler's params."""

    name: str
    train: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]
    code: str
    sample: Sampler

    def phrasings(self, split: str) -> tuple[str, ...]:
        return {"train": self.train, "val": self.val, "test": self.test}[split]


REGISTRY: dict[str, Family] = {}


def family(name: str, *, code: str, train: Sequence[str], val: Sequence[str], test: Sequence[str]):
    """Register the decorated sampler as the family `name`."""

    def register(sample: Sampler) -> Sampler:
        if name in REGISTRY:
            raise ValueError(f"family {name!r} is defined twice")
        REGISTRY[name] = Family(name, tuple(train), tuple(val), tuple(test), code, sample)
        return sample

    return register


def answer_text(gold: Gold) -> str:
    """The gold as math-verify-friendly plain text: "5050", "-4" or a reduced "7/3"."""
    if isinstance(gold, Fraction):
        return str(gold)  # Fraction normalises, and prints integers without "/1"
    if isinstance(gold, bool) or not isinstance(gold, int):
        raise TypeError(f"a gold must be an int or a Fraction, not {type(gold).__name__}")
    return str(gold)


def pick(rng: random.Random, test: bool, train: tuple[int, int], test_range: tuple[int, int]) -> int:
    """An integer from the train range, or from the (disjoint or larger) test range."""
    lo, hi = test_range if test else train
    return rng.randint(lo, hi)


def nonzero(rng: random.Random, lo: int, hi: int) -> int:
    """A random integer in [lo, hi] other than 0."""
    while True:
        v = rng.randint(lo, hi)
        if v:
            return v


def listing(values: Sequence[Any]) -> str:
    """"12, 18 and 30": how a question lists numbers."""
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def poly(terms: Sequence[tuple[int, int]], var: str = "x") -> tuple[str, str]:
    """(text, code) for a polynomial given as (coefficient, power) pairs, highest power first:
    [(3, 2), (-5, 1), (6, 0)] -> ("3x^2 - 5x + 6", "3*x**2 - 5*x + 6")."""
    text: list[str] = []
    code: list[str] = []
    for coef, power in terms:
        if coef == 0:
            continue
        sign = "-" if coef < 0 else "+"
        mag = abs(coef)
        if power == 0:
            t = c = str(mag)
        else:
            tv = var if power == 1 else f"{var}^{power}"
            cv = var if power == 1 else f"{var}**{power}"
            t, c = (tv, cv) if mag == 1 else (f"{mag}{tv}", f"{mag}*{cv}")
        if not text:
            text.append(t if sign == "+" else f"-{t}")
            code.append(c if sign == "+" else f"-{c}")
        else:
            text.append(f"{sign} {t}")
            code.append(f"{sign} {c}")
    if not text:
        return "0", "0"
    return " ".join(text), " ".join(code)


def random_poly(rng: random.Random, degree: int, coef: int) -> list[tuple[int, int]]:
    """A polynomial of exactly `degree` with coefficients in [-coef, coef], some of them zero."""
    terms = [(nonzero(rng, -coef, coef), degree)]
    terms += [(rng.randint(-coef, coef), p) for p in range(degree - 1, -1, -1)]
    return terms


def poly_value(terms: Sequence[tuple[int, int]], x: int | Fraction) -> int | Fraction:
    return sum(c * x ** p for c, p in terms)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 101st, 112th."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
