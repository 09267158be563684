"""When are two math answers the same? Parsing with math-verify, and the comparison itself.

Why here, in agent_client: `deepmath-agent --samples` votes over its samples' answers, and the
vote must group answers exactly as `deepmath-eval` and training do. eval and train build on
agent_client (never the other way round), so the one definition of "equivalent answers" lives at
the bottom of that stack: `eval.grading` adds the reference-answer side (`grade`), and
`agent_client.vote` the majority vote, both on top of this module.

Why math-verify: benchmark answers are LaTeX written by people (`\\frac{1}{2}`, `[1,3)`,
`30^\\circ`, `\\text{(C)}`, `10\\%`) and model answers are whatever the model boxed (`0.5`,
`[1, 3)`, `30`, `C`). String comparison marks most correct answers wrong; math-verify parses both
sides to sympy and compares them symbolically and numerically (6-decimal rounding).

How a text is read (`parse_math`; the same for reference answers and model answers):
  - it contains `\\boxed{}`: the final box(es) after `</think>` (`agent_client.answer`, which
    takes the boxes stated together as one answer, `1, 2`); a box never closed is unparsable;
    unless a formula restated after the last box as "The final answer is $...$" follows it (the
    Minerva format), which then is the answer;
  - it contains a delimited formula (`$...$`, `\\(...\\)`, `\\[...\\]`): math-verify's LaTeX
    extraction on the text as written (its anchors: "final answer is", "answer:", the last
    formula); a formula split across lines by inline delimiters is not a formula;
  - it is prose (two or more words outside LaTeX commands, e.g. "so the answer is 0"): math-verify's
    default extraction (LaTeX, then the last plain number or expression);
  - otherwise it is a bare answer (a box's argument, a dataset's `\\frac12`): read as if boxed.
Number formats in bare answers and box arguments, before math-verify sees them:
  - digit groups of three separated by a space, `\\,`, `\\ `, `\\;`, `~`, `{,}` or a thin/no-break
    space are one number (`1 000`, `1\\,000` = 1000); math-verify would read `1 000` as 1·000 = 0;
  - a comma between digits is a thousands separator when groups of three follow (`1,000` = 1000)
    and a list separator otherwise (`1,22` is the list 1, 22; `-2,1` the two solutions): never a
    decimal comma, because answers are LaTeX, where a comma separates items; write `1.22`;
  - a trailing backslash is dropped (`185\\` = 185); it would escape the closing brace of the box;
    so is a sentence's full stop written inside the box (`\\frac{1}{2}.`), but not an ellipsis.
A text is *unparsable* when math-verify extracts nothing from it (None, empty, no math at all);
unparsable answers are never correct and never vote.

Why no timeouts here: math-verify's own timeouts use `signal.alarm`, which only works on the main
thread, and grading runs inside worker threads (the eval runner, TRL reward functions). So both
`parse` and `verify` are called with their timeouts disabled, and we guard against the one real
hazard ourselves: an expression whose value has astronomically many digits (`2^{2^{2^{2^{20}}}}`)
makes sympy's evaluation run for ever. `_too_big` estimates the size of every numeric power and
factorial before `verify` and such answers are compared as strings only.
"""

from __future__ import annotations

import functools
import logging
import math
import re

import sympy
from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

from agent_client.answer import BOXED, extract_answer


class _TimeoutNotice(logging.Filter):
    """Drop math-verify's one-time "Timeout is disabled" warning: disabling it is deliberate here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Timeout is disabled" not in record.getMessage()


for _name in ("math_verify.parser", "math_verify.grader"):
    logging.getLogger(_name).addFilter(_TimeoutNotice())

Parsed = list  # what math_verify.parse returns: [sympy object, source string] or []

_DEFAULT_CONFIG = (LatexExtractionConfig(), ExprExtractionConfig())
_LATEX_CONFIG = (LatexExtractionConfig(),)
MAX_DIGITS = 10_000  # numbers larger than 10**MAX_DIGITS are not evaluated, only compared as text
MAX_ANSWER_CHARS = 2_000  # a "final answer" longer than this is a runaway box, not an answer

_GROUP_SEP = r"(?:\\,|\\ |\\;|~|\{,\}|[ \u00a0\u2009\u202f])"
_THOUSANDS = re.compile(rf"(?<![\d.,])[1-9]\d{{0,2}}(?:{_GROUP_SEP}\d{{3}})+(?![\d])")
_DELIMITED = re.compile(r"(?<!\\)\$.+?(?<!\\)\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL)
_COMMAND = re.compile(r"\\[A-Za-z]+(?:\{[^{}]*\})?")
_FINAL_IS = re.compile(r"(?i)final answer.{0,100}?\s+is\b")
_WORD = re.compile(r"(?<![A-Za-z\\])[A-Za-z]{2,}")


def normalize_bare(answer: str) -> str:
    """A bare answer with the number formats and trailing marks of the module docstring made plain."""
    s = re.sub(r"(?<!\.)\.$", "", answer.strip().rstrip("\\").strip()).strip()
    return _THOUSANDS.sub(lambda m: re.sub(_GROUP_SEP, "", m.group()), s)


def _is_prose(text: str) -> bool:
    return len(_WORD.findall(_COMMAND.sub(" ", text))) >= 2


@functools.lru_cache(maxsize=65_536)
def _parse_cached(text: str) -> Parsed:
    if any(b in text for b in BOXED):
        last = max(text.rfind(b) for b in BOXED)
        restated = _FINAL_IS.search(text, last)
        if restated:  # "... \\boxed{255}. ... The final answer is $10,455$.": the last statement wins
            found = parse(text[restated.start():], extraction_config=_LATEX_CONFIG, parsing_timeout=None)
            if any(isinstance(o, sympy.Basic) for o in found):
                return found
        boxed = extract_answer(text)
        if boxed is None:  # a box that never closed: the run was cut off mid-answer
            return []
        text = boxed
    elif _is_prose(text):
        return parse(text, extraction_config=_DEFAULT_CONFIG, parsing_timeout=None)
    elif _DELIMITED.search(text):
        latex = parse(text, extraction_config=_LATEX_CONFIG, parsing_timeout=None)
        if latex and not any(isinstance(o, sympy.Basic) for o in latex):  # found, but not math to sympy
            return parse(text, extraction_config=_DEFAULT_CONFIG, parsing_timeout=None)
        return latex
    s = normalize_bare(text)
    if not s or len(s) > MAX_ANSWER_CHARS:
        return []
    return parse(f"$\\boxed{{{s}}}$", extraction_config=_DEFAULT_CONFIG, parsing_timeout=None)


def parse_math(text: str | None) -> Parsed:
    """Parse an answer (a box's argument, a dataset's reference answer, or a whole completion);
    `[]` means unparsable. Cached: a run parses the same few answers many times."""
    if text is None or not text.strip():
        return []
    return _parse_cached(text.strip())


def _log10_size(e) -> float:
    """Rough upper bound of log10 max(1, |value|) for numeric sub-expressions (inf when hopeless)."""
    if isinstance(e, sympy.Rational):  # Integer included; bit length avoids int->str limits
        return max(abs(int(e.p)).bit_length() - int(e.q).bit_length() + 1, 0) * 0.30103
    if isinstance(e, sympy.Float):
        return max(float(sympy.log(abs(e) + 1, 10)), 0.0)
    if isinstance(e, sympy.Pow):
        base, exp = _log10_size(e.base), _log10_size(e.exp)
        if exp > 15:  # exponent beyond 10**15: the value cannot be evaluated
            return math.inf
        return base * 10**exp
    if isinstance(e, sympy.factorial):
        n = _log10_size(e.args[0])
        if n > 15:
            return math.inf
        k = 10**n
        return k * math.log10(k + 1.0)
    if isinstance(e, sympy.Add):  # |a + b + ...| <= n * max
        return max(_log10_size(a) for a in e.args) + math.log10(len(e.args))
    if e.args:  # products, functions, relations: the sum bounds them all
        return sum(_log10_size(a) for a in e.args)
    return 0.0


def _too_big(parsed: Parsed) -> bool:
    for obj in parsed:
        if isinstance(obj, sympy.Basic):
            for node in sympy.preorder_traversal(obj):
                if isinstance(node, (sympy.Pow, sympy.factorial)) and _log10_size(node) > MAX_DIGITS:
                    return True
    return False


def _strings(parsed: Parsed) -> set[str]:
    return {"".join(p.split()) for p in parsed if isinstance(p, str)}


def _first_sympy(parsed: Parsed):
    return next((o for o in parsed if isinstance(o, sympy.Basic)), None)


def _probe_value(expr, point: int) -> complex | None:
    """`expr` at a fixed point with every free symbol set to a distinct irrational-looking value."""
    subs = {sym: sympy.Float(0.5772156649 + 0.7390851332 * (hash(sym.name) % 7) + 1.3247179572 * point)
            for sym in expr.free_symbols}
    try:
        val = complex(expr.evalf(subs=subs, n=15))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError):
        return None
    return val if val == val else None  # NaN -> unknown


_CONSTANT_NAMES = {"e", "E", "i", "I", "pi", "oo", "inf", "infty"}


def _refuted(gold: Parsed, pred: Parsed) -> bool:
    """Cheap proofs of inequality that spare math-verify's symbolic simplification (tens of ms
    per pair). Sound by construction: exact rationals that differ are different, and an
    expression in free symbols that differs from a constant at some point is not that constant
    (unless its only symbols could be read as constants: e, i, pi). Relations, sets, matrices and
    text-like symbol products are left to math-verify."""
    a, b = _first_sympy(gold), _first_sympy(pred)
    if a is None or b is None:
        return False
    if isinstance(a, sympy.Rational) and isinstance(b, sympy.Rational):
        return a != b
    for num, expr in ((a, b), (b, a)):
        if (isinstance(num, sympy.Number) and isinstance(expr, sympy.Expr) and expr.free_symbols
                and not {s.name for s in expr.free_symbols} <= _CONSTANT_NAMES):
            target = complex(num)
            for point in (0, 1):
                val = _probe_value(expr, point)
                if val is None:
                    return False
                if abs(val - target) > 1e-6 * max(1.0, abs(target)):
                    return True
    return False


def _key(parsed: Parsed) -> tuple[str, ...]:
    return tuple(sympy.srepr(o) if isinstance(o, sympy.Basic) else f"{type(o).__name__}:{o}" for o in parsed)


_MEMO: dict[tuple[tuple[str, ...], tuple[str, ...]], bool] = {}
_MEMO_MAX = 200_000


def equivalent(gold: Parsed, pred: Parsed) -> bool:
    """math-verify's comparison of two parsed answers (gold first: the order matters for sets
    and relations), with the huge-number guard, sound shortcuts, and a memo keyed by the exact
    parsed objects (a run compares the same few answers many times)."""
    if not gold or not pred:
        return False
    key = (_key(gold), _key(pred))
    hit = _MEMO.get(key)
    if hit is not None:
        return hit
    if _too_big(gold) or _too_big(pred):
        result = bool(_strings(gold) & _strings(pred))
    elif _refuted(gold, pred):
        result = False
    else:
        result = bool(verify(gold, pred, timeout_seconds=None))
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[key] = result
    return result


def clear_caches() -> None:
    """Forget parsed answers and comparisons (benchmarks; long-lived processes never need to)."""
    _parse_cached.cache_clear()
    _MEMO.clear()
