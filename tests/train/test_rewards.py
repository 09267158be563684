"""Rewards on real Trajectory objects: accuracy via math-verify, code use only for an ok snippet,
length shaping, weighting, TRL adapters (None for dropped rollouts), and raising rewards."""

from __future__ import annotations

import pytest

from agent_client import Segment, Trajectory
from train.rewards import LengthShaping, RewardError, RewardSet, WeightedReward, accuracy, code_use


def traj(answer=None, statuses=(), model_tokens=10):
    segs = [Segment(kind="text", text="thinking")]
    for s in statuses:
        segs += [Segment(kind="code", text="print(1)"), Segment(kind="tool", text="1", status=s, latency_ms=1.0)]
    return Trajectory(problem="What is 1/2 + 1/4?", prompt_ids=[1, 2], answer=answer, segments=segs,
                      completion_ids=[7] * model_tokens, mask=[1] * model_tokens, finish_reason="answer")


def test_accuracy_uses_math_verify():
    assert accuracy(traj(answer="\\frac{3}{4}"), "3/4") == 1.0
    assert accuracy(traj(answer="0.75"), "\\frac{3}{4}") == 1.0
    assert accuracy(traj(answer="1/2"), "3/4") == 0.0
    assert accuracy(traj(answer=None), "3/4") == 0.0


def test_the_form_column_reaches_accuracy_through_the_trl_adapter():
    """DeepMind Mathematics golds are sympy syntax: plain math-verify reads `x**2 + 1` as 1, so the
    answer form (eval.answer_forms) must reach the reward."""
    fn = RewardSet.from_weights(accuracy_weight=1.0, code_weight=0.0).trl_functions()[0]
    kw = dict(prompts=["p"] * 3, completions=["c"] * 3, completion_ids=[[1]] * 3,
              trajectory=[traj(answer="x^2 + 1"), traj(answer="x^2 - 1"), traj(answer="-7B4725")],
              answer=["x**2 + 1", "x**2 + 1", "-7b4725"])
    assert fn(**kw, form=["expr", "expr", "base"]) == [1.0, 0.0, 1.0]
    assert fn(**kw)[0] == 0.0  # without the form: x^2 + 1 is not "1"
    assert accuracy(traj(answer="yes"), "True", "bool") == 1.0


def test_code_use_needs_a_successful_snippet():
    assert code_use(traj(statuses=()), "x") == 0.0
    assert code_use(traj(statuses=("error", "timeout")), "x") == 0.0
    assert code_use(traj(statuses=("error", "ok")), "x") == 1.0


def test_length_shaping():
    f = LengthShaping(max_tokens=100)
    assert f(traj(model_tokens=25), "x") == 0.75
    assert f(traj(model_tokens=250), "x") == 0.0


def test_weighted_total_and_trl_adapters():
    rs = RewardSet.from_weights(accuracy_weight=0.1, code_weight=1.0, length_weight=0.5, max_tokens=100)
    assert rs.names == ["accuracy", "code_use", "length"] and rs.weights == [0.1, 1.0, 0.5]
    t = traj(answer="3/4", statuses=("ok",), model_tokens=50)
    assert rs.score(t, "0.75") == {"accuracy": 1.0, "code_use": 1.0, "length": 0.5}
    assert rs.total(t, "0.75") == pytest.approx(0.1 + 1.0 + 0.25)
    fns = rs.trl_functions()
    assert [f.__name__ for f in fns] == rs.names
    out = fns[1](prompts=["p", "p"], completions=["a", "b"], completion_ids=[[1], [2]],
                 trajectory=[t, None], answer=["0.75", "0.75"], trainer_state=None)
    assert out == [1.0, None]  # a dropped rollout is unscorable, not 0
    assert RewardSet.from_weights(accuracy_weight=0.1, code_weight=1.0).names == ["accuracy", "code_use"]


def test_a_raising_reward_raises_reward_error():
    def broken(t, gold):
        raise ZeroDivisionError("boom")

    rs = RewardSet([WeightedReward("broken", broken, 1.0)])
    with pytest.raises(RewardError, match="broken.*ZeroDivisionError"):
        rs.trl_functions()[0](prompts=["p"], completions=["c"], completion_ids=[[1]], trajectory=[traj()],
                              answer=["1"])
    nan = RewardSet([WeightedReward("nan", lambda t, g: float("nan"), 1.0)])
    with pytest.raises(RewardError, match="returned nan"):
        nan.score(traj(), "1")
