"""Answer forms whose grading needs more than "the same value": DeepMind Mathematics' golds.

A `Problem` may carry a `form` (None for every other dataset: plain `agent_client.equivalence`).
`form_of` picks it from the generating module, the question and the gold; `grade_form` grades a
prediction against a gold of that form:

  bool      `True`/`False`; the prediction may be true/false/yes/no in any case;
  base      a numeral in base n (`-7b4725`, `1222`): compared as text, case-insensitive, without
            spaces, `\\text{}` or a base subscript (`_{16}`); never as a decimal number or a product;
  label     an option letter of the question's `(a) (b) (c)` list: `a`, `(a)`, `A` are the same;
  time      a clock time `4:38 AM`: same minute of the day (`4:38am`, `04:38 a.m.`, `16:38` for PM);
  sequence  a comma list whose order the question asks for (sort): same length, same order,
            element by element `expr`;
  set       any other comma list (roots, prime factors): the same elements with multiplicity, any order;
  expr      a number or an expression in sympy syntax (`3/32`, `-191694.4`, `-2*n*(n - 7)`,
            `m**(-37093/51)`, `2 - sqrt(3)`, a variable's name `k`): read by `parse_sympy`, decimals
            as exact rationals, so `0.5` = `1/2` but `0.0667` != `1/15`; an expression equals its
            expanded or factored form. A prediction that is not sympy syntax (`\\frac{3}{32}`) is
            read by `parse_math` (math-verify) instead.

Why not math-verify alone: it reads `x**2 + 1` as `1`, `True` as the product `E*r*t*u`,
`-7b4725` as `-33075*b`, and a sorted list as a set.
"""

from __future__ import annotations

import functools
import re

import sympy
from sympy.parsing.sympy_parser import (convert_xor, implicit_multiplication, parse_expr, rationalize,
                                        standard_transformations)

from agent_client.equivalence import MAX_ANSWER_CHARS, Parsed, equivalent, parse_math
from agent_client.vote import Equivalence

FORMS = ("bool", "base", "label", "time", "sequence", "set", "expr")

_BASE_MODULES = ("numbers__base_conversion", "arithmetic__add_or_sub_in_base")
_SORT_MODULES = ("comparison__sort",)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})\s*(?:([ap])\.?\s*m\.?)?$", re.IGNORECASE)
_WRAPPER = re.compile(r"^\\(?:text|textbf|mathrm|mathbf|operatorname)\s*\{(.*)\}$", re.DOTALL)
_SYMPY_SYNTAX = re.compile(r"^[0-9A-Za-z+\-*/^().\s]+$")
_NAME = re.compile(r"[A-Za-z]+")
_TRANSFORMS = standard_transformations + (implicit_multiplication, convert_xor, rationalize)


def form_of(module: str, question: str, answer: str) -> str:
    """The form of a generated gold (see the module docstring)."""
    if answer in ("True", "False"):
        return "bool"
    if module.startswith(_BASE_MODULES):
        return "base"
    if re.fullmatch(r"[a-z]", answer) and f"({answer})" in question:
        return "label"
    if _TIME.match(answer):
        return "time"
    if "," in answer:
        return "sequence" if module.startswith(_SORT_MODULES) else "set"
    return "expr"


def _plain(text: str) -> str:
    s = text.strip()
    while (m := _WRAPPER.match(s)) is not None:
        s = m.group(1).strip()
    return re.sub(r"(?<!\.)\.$", "", s).strip()  # a sentence's full stop


def _bool(text: str) -> bool | None:
    return {"true": True, "yes": True, "false": False, "no": False}.get(_plain(text).lower())


def _base(text: str) -> str:
    s = re.sub(r"_\{?\d+\}?$", "", "".join(_plain(text).split()))
    return s.lower()


def _label(text: str) -> str:
    return _plain(text).strip("()").strip().lower()


def _minute_of_day(text: str) -> int | None:
    m = _TIME.match(_plain(text))
    if m is None:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2)), (m.group(3) or "").lower()
    if minute > 59 or (half and not 1 <= hour <= 12) or hour > 23:
        return None
    if half:
        hour = hour % 12 + (12 if half == "p" else 0)
    return hour * 60 + minute


@functools.lru_cache(maxsize=65_536)
def parse_sympy(text: str) -> Parsed:
    """A number or expression in sympy/Python syntax as `[expr, text]`, `[]` when it is not one.

    Safe on model output: only digits, operators, parentheses and names are allowed, every name is
    a single letter (a real Symbol, whatever sympy calls it) or `sqrt`, the code runs without builtins,
    and nothing is evaluated (`evaluate=False`; `equivalent` guards against huge powers)."""
    s = " ".join(text.split())
    if not s or len(s) > MAX_ANSWER_CHARS or not _SYMPY_SYNTAX.match(s) or re.search(r"\.\s*[A-Za-z]", s):
        return []
    names = set(_NAME.findall(s))
    if any(len(n) > 1 and n != "sqrt" for n in names):
        return []
    local = {n: sympy.Symbol(n, real=True) for n in names if len(n) == 1}  # as math-verify's LaTeX symbols
    glob = {"__builtins__": {}, "Integer": sympy.Integer, "Rational": sympy.Rational, "Float": sympy.Float,
            "Symbol": sympy.Symbol, "Add": sympy.Add, "Mul": sympy.Mul, "Pow": sympy.Pow, "sqrt": sympy.sqrt}
    try:
        expr = parse_expr(s, local_dict=local, global_dict=glob, transformations=_TRANSFORMS, evaluate=False)
    except (SyntaxError, TypeError, ValueError, AttributeError, NameError, ZeroDivisionError, sympy.SympifyError,
            IndexError):
        return []
    return [expr, s] if isinstance(expr, sympy.Expr) else []


def _expr(text: str) -> Parsed:
    return parse_sympy(_plain(text)) or parse_math(text)


def _items(text: str) -> list[str]:
    s = _plain(text)
    for open_, close in (("\\{", "\\}"), ("\\left\\{", "\\right\\}"), ("{", "}"), ("[", "]"), ("(", ")")):
        if s.startswith(open_) and s.endswith(close):
            s = s[len(open_):-len(close)]
            break
    return [p.strip() for p in s.split(",")]


def _same(gold: str, pred: str) -> bool:
    return equivalent(_expr(gold), _expr(pred))


def _same_multiset(gold: list[str], pred: list[str]) -> bool:
    if len(gold) != len(pred):
        return False
    left = list(pred)
    for g in gold:
        hit = next((i for i, p in enumerate(left) if _same(g, p)), None)
        if hit is None:
            return False
        left.pop(hit)
    return True


def grade_form(prediction: str | None, gold: str, form: str) -> bool:
    """True when `prediction` equals `gold` read as `form` (never raises on model output)."""
    if prediction is None or not prediction.strip():
        return False
    if form == "bool":
        return _bool(prediction) is not None and _bool(prediction) == _bool(gold)
    if form == "base":
        return _base(prediction) == _base(gold)
    if form == "label":
        return _label(prediction) == _label(gold)
    if form == "time":
        return _minute_of_day(prediction) is not None and _minute_of_day(prediction) == _minute_of_day(gold)
    if form == "sequence":
        gold_items, pred_items = _items(gold), _items(prediction)
        return len(gold_items) == len(pred_items) and all(_same(g, p) for g, p in zip(gold_items, pred_items))
    if form == "set":
        return _same_multiset(_items(gold), _items(prediction))
    if form == "expr":
        return _same(gold, prediction)
    raise ValueError(f"unknown answer form {form!r}: one of {', '.join(FORMS)}")


def readable(text: str | None, form: str) -> bool:
    """Whether `text` can be read as an answer of `form` at all (an unreadable answer is never
    correct and does not vote in maj@k)."""
    if text is None or not text.strip():
        return False
    if form == "bool":
        return _bool(text) is not None
    if form == "base":
        return bool(_base(text))
    if form == "label":
        return bool(_label(text))
    if form == "time":
        return _minute_of_day(text) is not None
    if form in ("sequence", "set"):
        return all(_expr(item) for item in _items(text))
    if form == "expr":
        return bool(_expr(text))
    raise ValueError(f"unknown answer form {form!r}: one of {', '.join(FORMS)}")


@functools.lru_cache(maxsize=len(FORMS))
def form_equivalence(form: str) -> Equivalence:
    """The maj@k vote's equivalence for answers of `form`: two answers are one vote when `grade_form`
    grades the later one equal to the cluster's first (the grader's own comparison)."""
    if form not in FORMS:
        raise ValueError(f"unknown answer form {form!r}: one of {', '.join(FORMS)}")
    return Equivalence(parse=lambda text: text if readable(text, form) else None,
                       same=lambda first, later: grade_form(later, first, form))
