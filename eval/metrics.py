"""Accuracy and cost metrics of a run, with bootstrap confidence intervals.

Definitions (what the published tables mean by them):
  - maj@k: the answer most samples agree on is graded. Equivalent answers are one vote (clusters
    from `eval.grading.cluster_answers`, with the problem's answer form if any); unparsable answers do not vote; a tie goes to the
    cluster whose first sample came earliest; a problem with no parsable answer is wrong. The
    vote is `agent_client.vote`'s, the same `deepmath-agent --samples` shows.
  - mean@k: the fraction of the k samples that are correct, averaged over problems (= pass@1
    estimated with k samples).
  - pass@k: the probability that at least one of k samples drawn without replacement from the n
    generated is correct, with the unbiased estimator 1 - C(n-c, k) / C(n, k) (Chen et al. 2021).
  - 95% intervals: percentile bootstrap over problems (problems are the unit that was sampled
    from the benchmark; samples within a problem are not independent).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from agent_client.vote import majority_vote
from eval.records import ProblemRecord


def majority_correct(clusters: Sequence[int | None], correct: Sequence[bool]) -> bool:
    """Whether maj@k is right: the verdict of the winning cluster's first sample."""
    win = majority_vote(clusters)
    return bool(correct[win]) if win is not None else False


def problem_majority_correct(rec: ProblemRecord) -> bool:
    """maj@k of one finished problem (the one place the runner, `score` and `compare` get it from)."""
    return majority_correct([s.cluster for s in rec.samples], [s.correct for s in rec.samples])


def majority_answer(rec: ProblemRecord) -> str | None:
    """The answer maj@k graded for one problem (as its earliest sample wrote it), or None."""
    win = majority_vote([s.cluster for s in rec.samples])
    return rec.samples[win].answer if win is not None else None


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c are correct (requires k <= n)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    # 1 - prod_{i=n-c+1}^{n} (1 - k/i): numerically stable form of 1 - C(n-c,k)/C(n,k)
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def bootstrap_ci(values: Sequence[float], *, iterations: int = 2000, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-problem values."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, arr.size, size=(iterations, arr.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (float(lo), float(hi))


class Estimate(BaseModel):
    """An accuracy with its 95% bootstrap interval (all as fractions in [0, 1])."""

    value: float
    lo: float
    hi: float


class RunScore(BaseModel):
    """Everything `deepmath-eval score` reports for one run."""

    problems: int
    samples_per_problem: int = Field(description="k: the smallest number of samples of any problem")
    maj: Estimate
    mean: Estimate
    pass_at: dict[int, Estimate] = Field(description="pass@k for k = 1, 2, 4, ..., n")
    mean_model_tokens: float
    mean_trace_tokens: float
    tool_calls_per_problem: float
    tool_calls_per_sample: float
    tool_error_rate: float = Field(description="tool calls with status != ok / all tool calls")
    unparsable_rate: float
    finish_reasons: dict[str, int]
    wall_s_per_problem: float


def _ks(n: int) -> list[int]:
    ks, k = [], 1
    while k < n:
        ks.append(k)
        k *= 2
    return ks + [n]


def score_problems(problems: Sequence[ProblemRecord], *, seed: int = 0,
                   iterations: int = 2000) -> RunScore:
    """Score finished problems. Every problem must have at least one sample."""
    if not problems:
        raise ValueError("no finished problems to score")
    k = min(len(p.samples) for p in problems)
    if k == 0:
        raise ValueError("a problem record has no samples")
    maj = [float(problem_majority_correct(p)) for p in problems]
    mean = [sum(s.correct for s in p.samples) / len(p.samples) for p in problems]
    pass_at: dict[int, Estimate] = {}
    for kk in _ks(k):
        vals = [pass_at_k(len(p.samples), sum(s.correct for s in p.samples), kk) for p in problems]
        pass_at[kk] = Estimate(value=float(np.mean(vals)),
                               **dict(zip(("lo", "hi"), bootstrap_ci(vals, seed=seed, iterations=iterations))))
    samples = [s for p in problems for s in p.samples]
    calls = sum(s.tool_calls for s in samples)
    return RunScore(
        problems=len(problems),
        samples_per_problem=k,
        maj=Estimate(value=float(np.mean(maj)),
                     **dict(zip(("lo", "hi"), bootstrap_ci(maj, seed=seed, iterations=iterations)))),
        mean=Estimate(value=float(np.mean(mean)),
                      **dict(zip(("lo", "hi"), bootstrap_ci(mean, seed=seed, iterations=iterations)))),
        pass_at=pass_at,
        mean_model_tokens=float(np.mean([s.model_tokens for s in samples])),
        mean_trace_tokens=float(np.mean([s.trace_tokens for s in samples])),
        tool_calls_per_problem=calls / len(problems),
        tool_calls_per_sample=calls / len(samples),
        tool_error_rate=(sum(s.tool_errors for s in samples) / calls) if calls else 0.0,
        unparsable_rate=sum(s.cluster is None for s in samples) / len(samples),
        finish_reasons=dict(Counter(s.finish_reason for s in samples).most_common()),
        wall_s_per_problem=float(np.mean([p.wall_s for p in problems])),
    )
