"""Is a model's final answer equal to the reference answer? One function, used by eval and train.

Why math-verify: benchmark answers are LaTeX written by people (`\\frac{1}{2}`, `[1,3)`,
`30^\\circ`, `\\text{(C)}`, `10\\%`) and model answers are whatever the model boxed (`0.5`,
`[1, 3)`, `30`, `C`). String comparison marks most correct answers wrong; math-verify parses both
sides to sympy and compares them symbolically and numerically (6-decimal rounding).

Why no timeouts here: math-verify's own timeouts use `signal.alarm`, which only works on the main
thread, and grading runs inside worker threads (the eval runner, TRL reward functions). So both
`parse` and `verify` are called with their timeouts disabled, and we guard against the one real
hazard ourselves: an expression whose value has astronomically many digits (`2^{2^{2^{2^{20}}}}`)
makes sympy's evaluation run for ever. `_too_big` estimates the size of every numeric power and
factorial before `verify` and such answers are compared as strings only.

Conventions (all decided by math-verify, tested in tests/eval/test_grading.py):
  - the gold answer is LaTeX (a bare `\\frac12`, `$...$`, or a `\\boxed{}` are all accepted);
  - the prediction is either the argument of the final `\\boxed{}` (what `Trajectory.answer`
    holds) or a whole completion, in which case the last box after `</think>` is used;
  - a prediction is *unparsable* when math-verify extracts nothing from it (None, empty, no
    math at all); unparsable answers are never correct and never vote in maj@k.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Sequence

import sympy
from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

from agent_client.answer import extract_answer


class _TimeoutNotice(logging.Filter):
    """Drop math-verify's one-time "Timeout is disabled" warning: disabling it is deliberate here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Timeout is disabled" not in record.getMessage()


for _name in ("math_verify.parser", "math_verify.grader"):
    logging.getLogger(_name).addFilter(_TimeoutNotice())

Parsed = list  # what math_verify.parse returns: [sympy object, source string] or []

_GOLD_CONFIG = (LatexExtractionConfig(),)
_PRED_CONFIG = (LatexExtractionConfig(), ExprExtractionConfig())
MAX_DIGITS = 10_000  # numbers larger than 10**MAX_DIGITS are not evaluated, only compared as text
MAX_ANSWER_CHARS = 2_000  # a "final answer" longer than this is a runaway box, not an answer


def _as_latex(text: str) -> str:
    """Wrap a bare answer so math-verify's LaTeX extractor anchors on it."""
    s = text.strip()
    if "\\boxed" in s or "\\fbox" in s or (s.startswith("$") and s.endswith("$") and len(s) > 1):
        return s
    return f"$\\boxed{{{s}}}$"


@functools.lru_cache(maxsize=65_536)
def parse_gold(gold: str) -> Parsed:
    """Parse a reference answer as LaTeX. Cached: the same gold is graded K times per problem."""
    return parse(_as_latex(gold), extraction_config=_GOLD_CONFIG, parsing_timeout=None)


@functools.lru_cache(maxsize=65_536)
def _parse_pred(text: str) -> Parsed:
    return parse(_as_latex(text), extraction_config=_PRED_CONFIG, parsing_timeout=None)


def parse_answer(prediction: str | None) -> Parsed:
    """Parse a model answer; `[]` means unparsable.

    `prediction` may be the boxed argument itself or a whole completion (then the last box after
    `</think>` is taken, as the agent does)."""
    if prediction is None:
        return []
    text = prediction
    if "\\boxed" in text or "\\fbox" in text:
        boxed = extract_answer(text)
        if boxed is None:  # a box that never closed: the run was cut off mid-answer
            return []
        text = boxed
    text = text.strip()
    if not text or len(text) > MAX_ANSWER_CHARS:
        return []
    return _parse_pred(text)


def _log10_size(e) -> float:
    """Rough upper bound of log10 |value| for numeric sub-expressions (inf when hopeless)."""
    if isinstance(e, sympy.Rational):  # Integer included; bit length avoids int->str limits
        return max(abs(int(e.p)).bit_length(), int(e.q).bit_length()) * 0.30103
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
    if e.args:
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
    (unless its only symbols could be read as constants: e, i, pi). Relations, sets, matrices and text-like symbol products are left to math-verify."""
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
    parse_gold.cache_clear()
    _parse_pred.cache_clear()
    _MEMO.clear()


def grade(prediction: str | None, gold: str) -> bool:
    """True when the model's answer equals the reference answer (thread-safe, never raises on
    malformed model output; an unparsable or missing answer is simply wrong)."""
    return equivalent(parse_gold(gold), parse_answer(prediction))


def cluster_answers(predictions: Sequence[str | None]) -> list[int | None]:
    """Group equivalent answers for majority voting.

    Returns, per prediction, the index of the earliest prediction it is equivalent to (its
    cluster id), or None when it is unparsable. Each new answer is compared with the cluster
    representatives in order of first appearance and joins the first that matches, so clusters
    are deterministic and a cluster id is always the earliest sample of that cluster."""
    reps: list[tuple[int, Parsed]] = []
    out: list[int | None] = []
    for i, pred in enumerate(predictions):
        parsed = parse_answer(pred)
        if not parsed:
            out.append(None)
            continue
        for rep_id, rep in reps:
            if equivalent(rep, parsed):
                out.append(rep_id)
                break
        else:
            reps.append((i, parsed))
            out.append(i)
    return out
