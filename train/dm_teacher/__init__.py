"""A module-aware teacher for DeepMind Mathematics: snippets that transcribe the question.

    lesson("algebra__linear_1d", "Solve 0 = -2105*n + 3890*n - 26775 for n.", "15")
      -> Lesson(code="from sympy import *\\nn = symbols('n')\\nprint(solve(Eq(0, -2105*n + 3890*n - 26775), n)[0])")

Why transcription: a small model trained on our families' fixed snippet shapes maps a sentence to
the nearest shape instead of writing the question down. Here every snippet states the question in
code: its numbers, expressions and symbols appear verbatim (only a division or a decimal goes
through `S('...')` so that sympy keeps it exact), and sympy/Python computes the answer, printed in
the dataset's answer form. Composed questions ("Let f(x) = ... Suppose ... What is f(3)?") share
one transcriber for their set-up sentences (`context.Snippet.statement`); each module's last
sentence has its own parser (`algebra`, `numbers`, `misc`). A question the teacher cannot parse
reliably gets no lesson (`None`), never a guessed one.

A lesson is a hypothesis until the real sandbox runs it: `check` runs the snippet in
`wasm_sandbox.Sandbox` and grades its last printed line against the gold with the DeepMind-aware
grader (`eval.grading.grade` with the problem's answer form); `lessons` keeps only those that pass.

`recovery_lesson` adds, before the working snippet, one with a realistic mistake (a misspelt
sympy name, a missing import, a wrong call) that must fail in the sandbox: the trace then shows
the real error output and the corrected snippet (see `train.teacher.Lesson.mistakes`).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from train.dm_teacher import algebra, misc, numbers
from train.dm_teacher.context import Snippet, Unparsed, sentences
from train.teacher import Lesson

HANDLERS = {**algebra.HANDLERS, **numbers.HANDLERS, **misc.HANDLERS}
_JOINED = re.compile(r"(?:Let|Suppose) [^,]+=[^,]+\. (?:What is|Calculate) [a-z]")


_VARIANTS = re.compile(r"_(?:composed|big|longer|more_samples|more)$")


def base_module(module: str) -> str:
    """`numbers__gcd_composed` -> `numbers__gcd`: a composed module asks its base module's question, and so
    does an extrapolation variant (`arithmetic__mul_big`, `comparison__sort_more`, ..._longer, ..._more_samples)."""
    return _VARIANTS.sub("", module)


def supported(module: str) -> bool:
    return base_module(module) in HANDLERS


def transcribe(module: str, question: str) -> str:
    """The snippet for `question`; raises `Unparsed` when the teacher cannot transcribe it."""
    base = base_module(module)
    if base not in HANDLERS:
        raise Unparsed(f"no teacher for module {module}")
    code = Snippet()
    if base in misc.WHOLE:
        HANDLERS[base](code, question.strip().rstrip(".?"))
        return code.render()
    parts = sentences(question)
    if base == "algebra__polynomial_roots" and len(parts) >= 2 and _JOINED.fullmatch(". ".join(parts[-2:])):
        parts = [*parts[:-2], ". ".join(parts[-2:])]  # `Let EQ. What is v?` is one question
    for s in parts[:-1]:
        code.statement(s)
    HANDLERS[base](code, parts[-1])
    return code.render()


def lesson(module: str, question: str, gold: str) -> Lesson | None:
    """A snippet lesson for one generated problem, or None when its question is not parsed reliably."""
    try:
        return Lesson(code=transcribe(module, question), gold=gold)
    except Unparsed:
        return None


# -- mistakes for error-recovery traces -----------------------------------------------------------------

# A sympy name as a model misremembers it: each is a NameError in the sandbox.
MISNAMED = {"solve(": "solv(", "factor(": "factorize(", "expand(": "expend(", "diff(": "derivative(",
            "isprime(": "is_prime(", "primefactors(": "prime_factors(", "interpolate(": "interp(",
            "simplify(": "simplfy(", "gcd(": "hcf(", "lcm(": "lowest_common_multiple(",
            "binomial(": "choose(", "Lambda(": "Function(", "Mod(": "mod(", "denom(": "denominator(",
            "Rational(": "Fraction("}
# A call with a wrong signature: each raises (TypeError or ValueError) in the sandbox.
MISCALLED = [(re.compile(r"solve\(Eq\((.+?)\), (\w)\)\[0\]"), r"solve(Eq(\1))[0](\2)"),
             (re.compile(r"int\(('-?[0-9]*[a-z][0-9a-z]*'), \d+\)"), r"int(\1)"),  # a letter digit: not decimal
             (re.compile(r"Mod\((.+)\)"), r"Mod((\1))"),
             (re.compile(r"datetime\(2000, 1, 1, (\d+), (\d+)\)"), r"datetime(\1, \2)"),
             (re.compile(r"symbols\('(\w) (\w)"), r"symbols('\1', '\2")]
KINDS = ("name", "import", "call")


def mistakes(code: str) -> dict[str, str]:
    """The mistaken versions of `code` this teacher can make, by kind (a kind may be missing)."""
    out: dict[str, str] = {}
    for right, wrong in MISNAMED.items():
        if right in code:
            out["name"] = code.replace(right, wrong, 1)
            break
    if code.startswith("from sympy import *\n"):
        rest = code[len("from sympy import *\n"):]
        if re.search(r"\b(?:symbols|S|Rational|Lambda|Eq|solve|diff|expand|factor|simplify|interpolate|"
                     r"isprime|primefactors|gcd|lcm|Mod|binomial|prod|denom|root)\(", rest.split("\n")[0]):
            out["import"] = rest  # fails on its first line
    for pattern, repl in MISCALLED:
        wrong = pattern.sub(repl, code, count=1)
        if wrong != code:
            out["call"] = wrong
            break
    return out


def recovery_lesson(good: Lesson, *, kind: str | None = None, rng: random.Random | None = None) -> Lesson | None:
    """`good` preceded by a mistaken snippet of `kind` (default: one drawn with `rng` among those possible)."""
    options = mistakes(good.code)
    if kind is not None:
        if kind not in KINDS:
            raise ValueError(f"unknown mistake kind {kind!r}: one of {', '.join(KINDS)}")
        options = {kind: options[kind]} if kind in options else {}
    if not options:
        return None
    pick = sorted(options)[(rng or random.Random(0)).randrange(len(options))]
    return Lesson(code=good.code, gold=good.gold, mistakes=(options[pick],))


# -- validation in the real sandbox ---------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """One lesson run in the sandbox: did it run, what did it print last, did that grade as the gold."""

    status: str
    printed: str | None
    correct: bool


def check(sandbox: Any, code: str, gold: str, form: str | None) -> Checked:
    """Run `code` in a fresh instance of `sandbox` and grade its last printed line against `gold`."""
    from eval.grading import grade

    res = sandbox.run(code)
    lines = [ln.strip() for ln in res.stdout.splitlines() if ln.strip()]
    printed = lines[-1] if lines else None
    return Checked(res.status, printed, res.ok and printed is not None and grade(printed, gold, form))


@dataclass
class Coverage:
    """Per module: problems seen, lessons written, lessons that ran and graded correct."""

    problems: Counter
    written: Counter
    correct: Counter

    def rate(self, module: str) -> float:
        return self.correct[module] / self.problems[module] if self.problems[module] else 0.0


def lessons(problems: Iterable[Any], sandbox: Any) -> tuple[list[tuple[Any, Lesson]], Coverage]:
    """The verified lessons of `problems` (eval.deepmind.DMProblem), and the per-module coverage."""
    from eval.answer_forms import form_of

    kept: list[tuple[Any, Lesson]] = []
    cov = Coverage(Counter(), Counter(), Counter())
    for p in problems:
        cov.problems[p.module] += 1
        found = lesson(p.module, p.question, p.answer)
        if found is None:
            continue
        cov.written[p.module] += 1
        if check(sandbox, found.code, p.answer, form_of(p.module, p.question, p.answer)).correct:
            cov.correct[p.module] += 1
            kept.append((p, found))
    return kept, cov


# -- SFT items ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeacherItem:
    """One problem for `train.teacher.collect`: the prompt, the gold, its answer form and the lesson."""

    id: str
    problem: str
    answer: str
    code: str
    mistakes: tuple[str, ...] = ()
    form: str | None = None


def teacher_items(problems: Iterable[Any], *, recovery: float = 0.0,
                  seed: int = 0) -> tuple[list[TeacherItem], Counter]:
    """Items for `collect` from generated problems, and the per-module count of questions left without a
    lesson (a repeated question is kept once). A share `recovery` of the problems (drawn with `seed`, among those whose snippet has a mistake
    to make) gets an error-recovery lesson instead of the plain one: one lesson per prompt, as the
    teacher is keyed by prompt. `collect` then keeps only traces that ran as planned and graded."""
    from eval.answer_forms import form_of

    if not 0.0 <= recovery <= 1.0:
        raise ValueError(f"recovery must be in [0, 1], not {recovery}")
    rng = random.Random(seed)
    items: list[TeacherItem] = []
    unparsed: Counter = Counter()
    seen: set[str] = set()
    for p in problems:
        if p.question in seen:  # the generator repeats short questions; the teacher knows one lesson per prompt
            continue
        seen.add(p.question)
        found = lesson(p.module, p.question, p.answer)
        if found is None:
            unparsed[p.module] += 1
            continue
        if recovery and rng.random() < recovery:
            found = recovery_lesson(found, rng=rng) or found
        items.append(TeacherItem(p.id, p.question, p.answer, found.code, found.mistakes,
                                 form_of(p.module, p.question, p.answer)))
    return items, unparsed
