"""Training's answer-agreement metric uses the one majority vote (agent_client.vote), by hand."""

from __future__ import annotations

import pytest

from agent_client import Trajectory
from train.rollout import BatchReport, RolloutTotals, batch_metrics, majority_share


def _traj(answer: str | None) -> Trajectory:
    return Trajectory(problem="p", prompt_ids=[1], answer=answer)


def test_majority_share_votes_over_equivalence_clusters_per_group():
    report = BatchReport(
        step=1, temperature=1.0, seconds=1.0, errors=[],
        # group a: 1/2, 0.5 and \frac12 are one cluster (3 of 4); group b: a 1-1 tie, one dropped, one unparsable
        problems=["a", "a", "a", "a", "b", "b", "b", "b"],
        trajectories=[_traj("1/2"), _traj("3"), _traj("0.5"), _traj("\\frac12"),
                      _traj("7"), None, _traj("8"), _traj("I could not finish")])
    assert majority_share(report) == pytest.approx((3 / 4 + 1 / 4) / 2)
    assert batch_metrics(report, RolloutTotals())["agent/majority_share"] == pytest.approx(0.5)


def test_majority_share_uses_the_answer_form_when_known():
    answers = ["x**2 + 1", "x**2 - 1", "1 + x**2", "x**2 - 1", "x**2 + 1"]
    report = BatchReport(step=1, temperature=1.0, seconds=1.0, errors=[], problems=["a"] * 5,
                         trajectories=[_traj(a) for a in answers])
    assert majority_share(report) == pytest.approx(4 / 5)  # plain math-verify merges x**2 + 1 and x**2 - 1
    report.forms = ["expr"] * 5
    assert majority_share(report) == pytest.approx(3 / 5)  # as the grader compares: 3 vs 2
