"""Vote, tie and pass@k rules against values computed by hand."""

from __future__ import annotations

import pytest

from eval.metrics import bootstrap_ci, majority_correct, majority_vote, pass_at_k, score_problems
from eval.records import ProblemRecord, SampleRecord


@pytest.mark.parametrize(("n", "c", "k", "expected"), [
    (4, 1, 1, 0.25),                 # pass@1 = c/n
    (5, 2, 2, 0.7),                  # 1 - C(3,2)/C(5,2) = 1 - 3/10
    (10, 3, 5, 1 - 21 / 252),        # 1 - C(7,5)/C(10,5)
    (16, 1, 8, 0.5),                 # 1 - C(15,8)/C(16,8) = 1 - 6435/12870
    (16, 1, 16, 1.0),
    (3, 0, 2, 0.0),
    (3, 2, 2, 1.0),                  # n - c < k: every draw of 2 contains a correct one
])
def test_pass_at_k_hand_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_rejects_k_above_n():
    with pytest.raises(ValueError):
        pass_at_k(4, 1, 5)


def test_unparsable_answers_do_not_vote():
    # two unparsable samples outnumber the single parsable one, which still wins
    assert majority_vote([None, 1, None]) == 1
    assert majority_vote([None, None]) is None
    assert majority_correct([None, None], [False, False]) is False


def test_ties_go_to_the_earliest_cluster():
    assert majority_vote([0, 1, 0, 1]) == 0
    assert majority_vote([None, 1, 2, 2, 1]) == 1
    assert majority_vote([0, 1, 1]) == 1   # a strict majority beats the earlier cluster
    # the verdict is that of the winning cluster's first sample
    assert majority_correct([0, 1, 0, 1], [False, True, False, True]) is False
    assert majority_correct([0, 1, 1], [False, True, True]) is True


def test_bootstrap_interval_by_hand():
    # means of 2 resampled values from {0, 1}: 0 (p=1/4), 0.5 (1/2), 1 (1/4) -> 2.5%..97.5% = 0..1
    assert bootstrap_ci([0.0, 1.0]) == (0.0, 1.0)
    assert bootstrap_ci([1.0] * 10) == (1.0, 1.0)
    lo, hi = bootstrap_ci([1.0] * 70 + [0.0] * 30)
    assert lo < 0.7 < hi and hi - lo < 0.25
    assert bootstrap_ci([0.0, 1.0, 1.0], seed=3) == bootstrap_ci([0.0, 1.0, 1.0], seed=3)


def _sample(cluster, correct, *, tokens=10, calls=1, errors=0, finish="answer"):
    return SampleRecord(answer=None if cluster is None else str(cluster), correct=correct, cluster=cluster,
                        model_tokens=tokens, trace_tokens=tokens + 5 * calls, tool_calls=calls,
                        tool_errors=errors, finish_reason=finish, wall_s=1.0)


def test_score_problems_by_hand():
    problems = [
        # votes: cluster 0 twice (wrong), cluster 2 once (right) -> maj wrong; mean 1/4
        ProblemRecord(id="a", problem="p", gold="1", wall_s=2.0, samples=[
            _sample(0, False), _sample(0, False), _sample(2, True, calls=2, errors=1), _sample(None, False, finish="budget")]),
        # tie 0 vs 1 -> earliest (0) which is right; mean 2/4
        ProblemRecord(id="b", problem="p", gold="2", wall_s=4.0, samples=[
            _sample(0, True), _sample(1, False), _sample(0, True, tokens=30), _sample(1, False)]),
    ]
    s = score_problems(problems)
    assert s.problems == 2 and s.samples_per_problem == 4
    assert s.maj.value == 0.5
    assert s.mean.value == pytest.approx((0.25 + 0.5) / 2)
    assert s.pass_at[1].value == pytest.approx(s.mean.value)
    # pass@2: a: 1 - C(3,2)/C(4,2) = 0.5 ; b: 1 - C(2,2)/C(4,2) = 5/6
    assert s.pass_at[2].value == pytest.approx((0.5 + 5 / 6) / 2)
    assert s.pass_at[4].value == 1.0
    assert s.mean_model_tokens == pytest.approx((10 * 7 + 30) / 8)
    assert s.tool_calls_per_problem == pytest.approx(9 / 2)
    assert s.tool_error_rate == pytest.approx(1 / 9)
    assert s.unparsable_rate == pytest.approx(1 / 8)
    assert s.finish_reasons == {"answer": 7, "budget": 1}
    assert s.wall_s_per_problem == 3.0
    assert s.maj.lo <= s.maj.value <= s.maj.hi
