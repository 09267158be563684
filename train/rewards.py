"""Rewards: small functions with one signature, `(trajectory, gold_answer) -> float`, combined by weight.

Why score the Trajectory and not the decoded text: the agent client already knows what happened
(which snippets ran and with what status, the extracted answer, how many tokens the model wrote),
so a reward never re-parses text to guess it. Intel's code reward matched `<tool_call>` in the
text; ours pays only when a snippet actually ran with status ok, so a broken snippet earns nothing.

Failure policy: a reward that raises is a bug or a broken grader, not a zero. The error
propagates (wrapped in `RewardError` naming the reward and the problem) and stops training. A
rollout that was dropped (backend or MCP failure; see rollout.py) has no trajectory: every reward
returns None for it, which TRL treats as unscorable (left out of the group baseline, advantage 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agent_client import Trajectory

RewardFn = Callable[..., float]
"""One reward: the finished trajectory and the dataset's gold answer -> a finite float. For a
dataset whose golds have answer forms (eval.answer_forms: DeepMind Mathematics) the form is passed
as a third argument; the built-in rewards take it, a two-argument reward works on other datasets."""


class RewardError(RuntimeError):
    """A reward function failed; training must stop rather than score the rollout 0."""


def accuracy(traj: Trajectory, gold: str, form: str | None = None) -> float:
    """1.0 when the trajectory's final answer grades equal to the gold answer (eval.grading), else 0.0."""
    from eval.grading import grade

    return 1.0 if grade(traj.answer, gold, form) else 0.0


def code_use(traj: Trajectory, gold: str, form: str | None = None) -> float:
    """1.0 when at least one snippet ran in the sandbox with status ok (an erroring snippet does not count)."""
    return 1.0 if traj.ran_code else 0.0


@dataclass(frozen=True)
class LengthShaping:
    """1 - model_tokens / max_tokens, clipped to [0, 1]: shorter traces score higher.

    Only the model's own tokens count; tool output is free, so the shaping never discourages
    running code. Optional (weight 0 by default, as in Intel's recipe)."""

    max_tokens: int

    def __call__(self, traj: Trajectory, gold: str, form: str | None = None) -> float:
        return min(1.0, max(0.0, 1.0 - traj.model_tokens / self.max_tokens))


@dataclass(frozen=True)
class WeightedReward:
    name: str
    fn: RewardFn
    weight: float


class RewardSet:
    """The rewards of a run, their weights, and their adapters to TRL's reward-function signature."""

    def __init__(self, rewards: Sequence[WeightedReward]):
        names = [r.name for r in rewards]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate reward names: {names}")
        if not rewards:
            raise ValueError("at least one reward is needed")
        self.rewards = list(rewards)

    @classmethod
    def from_weights(cls, *, accuracy_weight: float, code_weight: float, length_weight: float = 0.0,
                     max_tokens: int = 5000) -> RewardSet:
        """The standard set. Accuracy and code use are always computed (and logged), even at weight 0;
        length shaping only when its weight is > 0."""
        items = [WeightedReward("accuracy", accuracy, accuracy_weight),
                 WeightedReward("code_use", code_use, code_weight)]
        if length_weight > 0:
            items.append(WeightedReward("length", LengthShaping(max_tokens), length_weight))
        # fail at start-up, not at the first reward call, if the grader is missing
        from eval.grading import grade  # noqa: F401

        return cls(items)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rewards]

    @property
    def weights(self) -> list[float]:
        return [r.weight for r in self.rewards]

    def score(self, traj: Trajectory, gold: str, form: str | None = None) -> dict[str, float]:
        """Each component's value (unweighted)."""
        return {r.name: _call(r, traj, gold, form) for r in self.rewards}

    def total(self, traj: Trajectory, gold: str, form: str | None = None) -> float:
        """The weighted sum, as TRL combines them (`multi_objective_aggregation='sum_then_normalize'`)."""
        parts = self.score(traj, gold, form)
        return sum(r.weight * parts[r.name] for r in self.rewards)

    def trl_functions(self) -> list[Callable[..., list[float | None]]]:
        """One TRL reward function per component, named after it (TRL logs `rewards/<name>/mean`).

        They read the `trajectory` field that the rollout function adds to each sample and the
        dataset's `answer` column (and its `form` column, which datasets with answer forms have)."""
        return [_trl_adapter(r) for r in self.rewards]


def _call(reward: WeightedReward, traj: Trajectory, gold: str, form: str | None = None) -> float:
    try:
        value = float(reward.fn(traj, gold) if form is None else reward.fn(traj, gold, form))
    except Exception as exc:
        raise RewardError(f"reward {reward.name!r} failed on problem {traj.problem[:80]!r} "
                          f"(gold {gold!r}): {type(exc).__name__}: {exc}") from exc
    if not math.isfinite(value):
        raise RewardError(f"reward {reward.name!r} returned {value} on problem {traj.problem[:80]!r}")
    return value


def _trl_adapter(reward: WeightedReward) -> Callable[..., list[float | None]]:
    def trl_reward(prompts: list[Any], completions: list[Any], completion_ids: list[list[int]],
                   trajectory: list[Trajectory | None], answer: list[str], form: list[str | None] | None = None,
                   **_: Any) -> list[float | None]:
        if len(trajectory) != len(answer):
            raise RewardError(f"{len(trajectory)} trajectories for {len(answer)} answers")
        forms = form if form is not None else [None] * len(answer)
        return [None if t is None else _call(reward, t, str(gold), f) for t, gold, f in zip(trajectory, answer, forms)]

    trl_reward.__name__ = reward.name
    trl_reward.__qualname__ = reward.name
    return trl_reward
