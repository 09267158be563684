"""The maj@k vote with answer forms: answers of a DeepMind Mathematics problem are clustered with the
grader's form-aware comparison (eval.answer_forms), not with plain math-verify."""

from __future__ import annotations

import pytest

from eval.answer_forms import form_equivalence, readable
from eval.grading import cluster_answers, grade
from eval.metrics import majority_correct


@pytest.mark.parametrize("form, answers, clusters", [
    # math-verify alone reads `x**2 + 1` and `x**2 - 1` as the same number: one cluster
    ("expr", ["x**2 + 1", "x**2 - 1", "1 + x**2", "(x - 1)*(x + 1)", "not sure"], [0, 1, 0, 1, None]),
    # multisets: order free, multiplicity counts (math-verify merges all four)
    ("set", ["1, 2", "2, 1", "1, 2, 2", "2,1,2"], [0, 0, 2, 2]),
    # sorted lists: order counts
    ("sequence", ["1, 2", "2, 1", "1,2", "[1, 2]"], [0, 1, 0, 0]),
    # true/yes are one answer; something that is no truth value does not vote
    ("bool", ["True", "yes", "False", "maybe", "TRUE"], [0, 0, 2, None, 0]),
    # numerals in base 16: case, base subscript and \text{} do not matter; never read as a product
    ("base", ["-7b4725", "-7B4725", "-7b4726", "-7b4725_{16}", "\\text{-7b4725}"], [0, 0, 2, 0, 0]),
])
def test_clusters_follow_the_answer_form(form, answers, clusters):
    assert cluster_answers(answers, form) == clusters
    # the vote and the grader agree: answers in one cluster grade the same against any gold of the form
    for gold in answers:
        if readable(gold, form):
            verdicts = {}
            for a, c in zip(answers, clusters):
                if c is not None:
                    verdicts.setdefault(c, set()).add(grade(a, gold, form))
            assert all(len(v) == 1 for v in verdicts.values()), (gold, verdicts)


def test_without_a_form_the_vote_is_plain_equivalence():
    assert cluster_answers(["x**2 + 1", "x**2 - 1"]) == [0, 0]  # the merge the form-aware vote prevents
    assert cluster_answers(["\\frac12", "0.5", "2"]) == [0, 0, 2]


def test_maj_at_k_picks_the_right_expression():
    answers, gold = ["x**2 - 1", "x**2 + 1", "1 + x**2"], "x**2 + 1"
    correct = [grade(a, gold, "expr") for a in answers]
    assert correct == [False, True, True]
    assert not majority_correct(cluster_answers(answers), correct)  # plain: one cluster led by the wrong answer
    assert majority_correct(cluster_answers(answers, "expr"), correct)


def test_unknown_form_is_an_error():
    with pytest.raises(ValueError, match="unknown answer form"):
        form_equivalence("fraction")


def test_runner_votes_with_the_problems_form():
    from eval.datasets import Problem
    from eval.records import SampleLine
    from eval.runner import grade_problem

    def sample(j, answer):
        return SampleLine(id="p", index=j, answer=answer, model_tokens=1, trace_tokens=1, tool_calls=0,
                          tool_errors=0, finish_reason="answer", wall_s=0.0)

    answers = ["x**2 - 1", "x**2 + 1", "1 + x**2"]
    samples = [sample(j, a) for j, a in enumerate(answers)]
    line = grade_problem(Problem(id="p", problem="Expand (x + 1)**2 - 2*x.", answer="x**2 + 1", form="expr"),
                         samples, 0.0)
    assert line.clusters == [0, 1, 1] and line.correct == [False, True, True]
    assert majority_correct(line.clusters, line.correct)
