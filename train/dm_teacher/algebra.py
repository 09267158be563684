"""Questions of the algebra, calculus and polynomials modules: the last sentence of a question."""

from __future__ import annotations

import re

from train.dm_teacher.context import NAME, Snippet, Unparsed, ordinal

_SOLVE_ONE = [rf"Solve (?P<eq>.+) for (?P<v>{NAME})", rf"What is (?P<v>{NAME}) in (?P<eq>.+)",
              rf"Find (?P<v>{NAME}),? (?:such|given) that (?P<eq>.+)",
              rf"Determine (?P<v>{NAME}),? (?:so|given) that (?P<eq>.+)", r"Solve (?P<eq>.+)"]


def _match(patterns: list[str], q: str) -> re.Match[str]:
    for p in patterns:
        if m := re.fullmatch(p, q):
            return m
    raise Unparsed(f"question {q!r}")


def _variable(code: Snippet, text: str, given: str | None) -> str:
    if given:
        return given
    names = code.unknowns(text)
    if len(names) != 1:
        raise Unparsed(f"which variable in {text!r}")
    return names[0]


def linear(code: Snippet, q: str) -> None:
    """algebra__linear_1d / _2d: `Solve EQ[, EQ] for v.`"""
    m = _match([_SOLVE_ONE[0]], q)
    eqs = [e.strip() for e in m["eq"].split(", ")]
    unknown = code.unknowns(m["eq"])
    if m["v"] not in unknown or len(unknown) != len(eqs):
        raise Unparsed(f"unknowns of {q!r}")
    if len(eqs) == 1:
        code.add(f"print(solve({code.equation(eqs[0])}, {m['v']})[0])")
    else:
        system = ", ".join(code.equation(e) for e in eqs)
        code.add(f"print(solve([{system}], [{', '.join(unknown)}])[{m['v']}])")


def polynomial_roots(code: Snippet, q: str) -> None:
    """`Factor E.` or a polynomial equation to solve: every root, as a comma list."""
    if m := re.fullmatch(r"Factor (.+)", q):
        code.add(f"print(factor({code.expr(m.group(1))}))")
        return
    if m := re.fullmatch(r"(?:Let|Suppose) (?P<eq>[^,]+=[^,]+)\. (?:What is|Calculate) (?P<v>[a-z])", q):
        pass  # the two sentences of `Let EQ. What is v?` (joined by `lesson`)
    else:
        m = _match(_SOLVE_ONE, q)
    v = _variable(code, m["eq"], m.groupdict().get("v"))
    code.add(f"print(*solve({code.equation(m['eq'])}, {v}), sep=', ')")


def _sequence(text: str) -> str:
    items = [t.strip() for t in text.split(",")]
    if len(items) < 3 or not all(re.fullmatch(r"-?\d+", t) for t in items):
        raise Unparsed(f"sequence {text!r}")
    return ", ".join(items)


def sequence_next_term(code: Snippet, q: str) -> None:
    m = _match([r"What is next in (.+)", r"What comes next: (.+)", r"What is the next term in (.+)"], q)
    code.add(f"seq = [{_sequence(m.group(1))}]")
    code.add("print(interpolate(seq, len(seq) + 1))")


def sequence_nth_term(code: Snippet, q: str) -> None:
    m = _match([rf"What is the ({NAME})'th term of (.+)"], q)
    v = m.group(1)
    code.expr(v)  # declares the symbol
    code.add(f"print(expand(interpolate([{_sequence(m.group(2))}], {v})))")


_NTH = r"(?:(?P<nth>\w+) )?derivative"


def differentiate(code: Snippet, q: str) -> None:
    m = _match([rf"(?:Find|What is) the {_NTH} of (?P<e>.+?)(?: wrt (?P<v>{NAME}))?",
                rf"Differentiate (?P<e>.+?)(?: (?:with respect to|wrt) (?P<v>{NAME}))?"], q)
    n = ordinal(m["nth"]) if m.groupdict().get("nth") else 1
    e = code.expr(m["e"])
    v = _variable(code, m["e"], m["v"])
    code.add(f"print(diff({e}, {v}{'' if n == 1 else f', {n}'}))")


def _expanded(pattern: str):
    def handler(code: Snippet, q: str) -> None:
        m = _match([pattern], q)
        code.add(f"print(expand({code.expr(m.group(1))}))")
    return handler


polynomials_add = _expanded(r"(?:What is|Calculate|Give|Determine) (.+)")
expand_ = _expanded(r"Expand (.+)")
collect = _expanded(r"Collect the terms in (.+)")


def evaluate(code: Snippet, q: str) -> None:
    m = _match([r"(?:What is|Calculate|Give|Determine) (.+)"], q)
    code.add(f"print({code.expr(m.group(1))})")


def coefficient_named(code: Snippet, q: str) -> None:
    m = _match([rf"(?:Express|Rearrange) (?P<e>.+) (?:as|to the form|in the form|to) (?P<form>[a-z0-9*+ ]+) "
                rf"and give (?P<c>{NAME})"], q)
    e = code.expr(m["e"])
    (v,) = set(re.findall(r"(?<![a-z])([a-z])(?![a-z])", m["e"])) or {None}
    if v is None:
        raise Unparsed(f"no variable in {q!r}")
    power = None
    for term in m["form"].split(" + "):
        t = re.fullmatch(rf"(?P<c>{NAME})(?:\*{v}(?:\*\*(?P<k>\d+))?)?", term.strip())
        if t is None:
            raise Unparsed(f"canonical form {m['form']!r}")
        if t["c"] == m["c"]:
            power = 0 if f"*{v}" not in term else int(t["k"] or 1)
    if power is None:
        raise Unparsed(f"{m['c']} is not a coefficient of {m['form']!r}")
    code.add(f"print(expand({e}).coeff({v}, {power}))")


def simplify_power(code: Snippet, q: str) -> None:
    m = _match([rf"Simplify (.+) assuming ({NAME}) is positive"], q)
    v = m.group(2)
    code.values.add(v)  # declared here, with its assumption
    code.add(f"{v} = symbols({v!r}, positive=True)")
    code.add(f"print(simplify({code.expr(m.group(1))}))")


HANDLERS = {
    "algebra__linear_1d": linear, "algebra__linear_2d": linear,
    "algebra__polynomial_roots": polynomial_roots,
    "algebra__sequence_next_term": sequence_next_term, "algebra__sequence_nth_term": sequence_nth_term,
    "calculus__differentiate": differentiate,
    "polynomials__add": polynomials_add, "polynomials__compose": polynomials_add,
    "polynomials__coefficient_named": coefficient_named, "polynomials__collect": collect,
    "polynomials__evaluate": evaluate, "polynomials__expand": expand_,
    "polynomials__simplify_power": simplify_power,
}
