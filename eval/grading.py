"""Is a model's final answer equal to the reference answer? One function, used by eval and train.

`grade(prediction, gold)` parses both sides with the one reader of answers,
`agent_client.equivalence.parse_math` (how boxes, delimited formulas, prose and number formats are
read is documented there and in docs/eval.md), and compares them with its `equivalent`. The
definitions live in agent_client so that `deepmath-agent --samples` groups answers exactly as
`deepmath-eval` and training do (agent_client may not import eval); this module is the
reference-answer side of them, and the place eval and train import grading from.

Conventions (tested in tests/eval/test_grading*.py, differential against the public suites):
  - the gold answer is LaTeX (a bare `\\frac12`, `$...$`, or a `\\boxed{}` are all accepted);
  - the prediction is either the argument of the final `\\boxed{}` (what `Trajectory.answer`
    holds) or a whole completion, in which case the final box(es) after `</think>` are used;
  - a prediction is *unparsable* when math-verify extracts nothing from it (None, empty, no
    math at all); unparsable answers are never correct and never vote in maj@k.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from math_verify import parse

from agent_client import vote
from agent_client.equivalence import Parsed, clear_caches, equivalent, parse_math

__all__ = ["Parsed", "clear_caches", "cluster_answers", "equivalent", "grade", "parse_answer", "parse_gold"]


def parse_gold(gold: str) -> Parsed:
    """Parse a reference answer (cached: the same gold is graded K times per problem).

    A reference is trusted text: one our reader cannot read (a dataset's box that never closes)
    is read by math-verify's plain extraction instead of being made unparsable."""
    return parse_math(gold) or _plain_parse(gold)


@functools.lru_cache(maxsize=4096)
def _plain_parse(gold: str) -> Parsed:
    return parse(gold, parsing_timeout=None)


def parse_answer(prediction: str | None) -> Parsed:
    """Parse a model answer; `[]` means unparsable."""
    return parse_math(prediction)


def grade(prediction: str | None, gold: str, form: str | None = None) -> bool:
    """True when the model's answer equals the reference answer (thread-safe, never raises on
    malformed model output; an unparsable or missing answer is simply wrong). `form` is the
    problem's answer form (`eval.answer_forms`: DeepMind Mathematics' golds); None = equivalence."""
    if form is not None:
        from eval.answer_forms import grade_form

        return grade_form(prediction, gold, form)
    return equivalent(parse_gold(gold), parse_answer(prediction))


def cluster_answers(answers: Sequence[str | None], form: str | None = None) -> list[int | None]:
    """maj@k's clusters of one problem's answers (`agent_client.vote`), compared as `grade` compares:
    with the problem's answer form when it has one (`x**2 + 1` and `x**2 - 1` are two votes, which
    math-verify alone would merge), else with plain equivalence."""
    if form is None:
        return vote.cluster_answers(answers)
    from eval.answer_forms import form_equivalence

    return vote.cluster_answers(answers, form_equivalence(form))
