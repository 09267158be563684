"""Transcribing a DeepMind Mathematics question into a sympy snippet, sentence by sentence.

`Snippet` collects the lines of one snippet. `expr` writes an expression of the question into code
unchanged (the question's numbers, symbols and operators appear verbatim); the only rewriting is
that an expression with a division or a decimal is parsed by sympy (`S('...')`, decimals as exact
rationals), because in Python `-6/5*g**2` and `(4 - 4)/(-4)` would be floats.

`statement` transcribes the composed questions' set-up sentences, which the generator shares across
modules:
    Let f(x) = EXPR.                          f = Lambda(x, EXPR)
    Let f(x) be the second derivative of E.   f = Lambda(x, diff(E, x, 2))
    Let v = EXPR. / Let v be EXPR.            v = EXPR
    Let v be the remainder when P is divided by Q / the gcd (highest common factor, ...) of P and Q
    Suppose EQ1, EQ2.                         the unknowns (names not yet defined) solved for
A sentence it does not recognise raises `Unparsed`, and the caller returns no lesson.
"""

from __future__ import annotations

import re

NAME = r"[a-z]"
_LETTER = re.compile(r"(?<![A-Za-z_'])([a-z])(?![A-Za-z_'(])")
_CALL = re.compile(r"(?<![A-Za-z_])([a-z])\(")
_SENTENCE = re.compile(r"(?<=[.?])\s+(?=[A-Z])")
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
            "eighth": 8, "ninth": 9, "tenth": 10}
NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10}
_GCD = r"(?:greatest|highest) common (?:divisor|factor)|gcd"


class Unparsed(ValueError):
    """The question (or one of its sentences) is not one the teacher can transcribe reliably."""


def sentences(question: str) -> list[str]:
    """The question's sentences without their final `.`/`?` (a decimal point is never followed by a space)."""
    return [s.strip().rstrip(".?").strip() for s in _SENTENCE.split(question.strip()) if s.strip()]


def ordinal(word: str) -> int:
    if word not in ORDINALS:
        raise Unparsed(f"ordinal {word!r}")
    return ORDINALS[word]


def count_word(word: str) -> int:
    w = word.lower()
    if w.isdigit():
        return int(w)
    if w not in NUMBER_WORDS:
        raise Unparsed(f"number word {word!r}")
    return NUMBER_WORDS[w]


class Snippet:
    """The code of one lesson: `from sympy import *`, the symbols it uses, then its statements."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.symbols: list[str] = []     # declared with symbols(...) at the top
        self.values: set[str] = set()    # names bound to a value by an earlier line
        self.funcs: set[str] = set()     # names bound to a Lambda
        self.imports: list[str] = ["from sympy import *"]

    # -- names --------------------------------------------------------------------------------------
    def _symbol(self, name: str) -> None:
        if name not in self.symbols and name not in self.values and name not in self.funcs:
            self.symbols.append(name)

    def unknowns(self, text: str) -> list[str]:
        """Single-letter names in `text` that nothing has defined yet, in order of appearance."""
        out: list[str] = []
        for n in _LETTER.findall(text):
            if n not in self.values and n not in self.funcs and n not in out:
                out.append(n)
        return out

    # -- expressions --------------------------------------------------------------------------------
    def expr(self, text: str) -> str:
        """Python for an expression of the question (see the module docstring)."""
        t = " ".join(text.split())
        if not t or not re.fullmatch(r"[0-9a-z+\-*/().,\s]+", t.replace("sqrt", "")):
            raise Unparsed(f"not an expression: {text!r}")
        for f in _CALL.findall(t.replace("sqrt(", "")):
            if f not in self.funcs:
                raise Unparsed(f"call of an undefined function {f!r} in {text!r}")
        names = _LETTER.findall(t)
        for n in names:
            self._symbol(n)
        if "/" not in t and not re.search(r"\d\.\d", t):
            return t
        args = [repr(t)]
        if names or _CALL.search(t.replace("sqrt(", "")):
            args.append("locals()")
        if re.search(r"\d\.\d", t):
            args.append("rational=True")
        return f"S({', '.join(args)})"

    def number(self, text: str) -> str:
        """A number of a list: an int as is, a fraction or decimal as an exact Rational, a name as itself."""
        t = text.strip()
        if re.fullmatch(r"-?\d+", t):
            return t
        if re.fullmatch(r"-?\d+(?:\.\d+)?(?:/\d+)?", t):
            return f"Rational({t!r})"
        return self.expr(t)

    def equation(self, text: str) -> str:
        left, sep, right = text.partition("=")
        if not sep or "=" in right:
            raise Unparsed(f"not an equation: {text!r}")
        return f"Eq({self.expr(left)}, {self.expr(right)})"

    # -- statements ---------------------------------------------------------------------------------
    def add(self, line: str) -> None:
        self.lines.append(line)

    def assign(self, name: str, code: str) -> None:
        self.add(f"{name} = {code}")
        self.values.add(name)
        self.funcs.discard(name)

    def function(self, name: str, param: str, body: str) -> None:
        self._symbol(param)
        self.add(f"{name} = Lambda({param}, {body})")
        self.funcs.add(name)
        self.values.discard(name)

    def solve_for(self, equations: list[str]) -> None:
        """Solve `equations` (the question's text) for the names in them nothing has defined yet."""
        unknown = self.unknowns(", ".join(equations))
        if not unknown or len(unknown) > len(equations):
            raise Unparsed(f"cannot tell the unknowns of {equations!r}")
        eqs = [self.equation(e) for e in equations]
        if len(eqs) == 1:
            (u,) = unknown
            self.assign(u, f"solve({eqs[0]}, {u})[0]")
            return
        self.add(f"sol = solve([{', '.join(eqs)}], [{', '.join(unknown)}], dict=True)[0]")
        self.add(f"{', '.join(unknown)} = {', '.join(f'sol[{u}]' for u in unknown)}")
        self.values.update(unknown)

    def statement(self, s: str) -> None:
        """Transcribe one set-up sentence of a composed question (see the module docstring)."""
        if m := re.fullmatch(rf"Let ({NAME})\(({NAME})\) be the (\w+) derivative of (.+)", s):
            f, x, nth, body = m.groups()
            self._symbol(x)
            n = ordinal(nth)
            self.function(f, x, f"diff({self.expr(body)}, {x}{'' if n == 1 else f', {n}'})")
        elif m := re.fullmatch(rf"Let ({NAME})\(({NAME})\) = (.+)", s):
            f, x, body = m.groups()
            self._symbol(x)
            self.function(f, x, self.expr(body))
        elif m := re.fullmatch(rf"Let ({NAME}) be the remainder when (.+) is divided by (.+)", s):
            self.assign(m.group(1), f"Mod({self.expr(m.group(2))}, {self.expr(m.group(3))})")
        elif m := re.fullmatch(rf"Let ({NAME}) be the (?:{_GCD}) of (.+) and (.+)", s):
            self.assign(m.group(1), f"gcd({self.expr(m.group(2))}, {self.expr(m.group(3))})")
        elif m := re.fullmatch(rf"Let ({NAME}) be (.+) divided by (.+)", s):
            self.assign(m.group(1), f"{self._paren(m.group(2))}/{self._paren(m.group(3))}")
        elif m := re.fullmatch(rf"Let ({NAME}) (?:=|be) ([^=]+)", s):
            self.assign(m.group(1), self.expr(m.group(2)))
        elif m := re.fullmatch(r"(?:Suppose|Let) (.+=.+)", s):
            self.solve_for([e.strip() for e in m.group(1).split(", ")])
        else:
            raise Unparsed(f"set-up sentence {s!r}")

    def _paren(self, text: str) -> str:
        code = self.expr(text)
        return code if re.fullmatch(r"-?\w+|S\(.*\)", code) else f"({code})"

    def render(self) -> str:
        head = list(self.imports)
        if self.symbols:
            names = ", ".join(self.symbols)
            head.append(f"{names} = symbols({' '.join(self.symbols)!r})")
        return "\n".join(head + self.lines)
