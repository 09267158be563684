"""Dynamic sampling for GRPO and the edge-of-competence problem pool.

Why: GRPO's advantage is a sample's reward minus its group's mean, so a group whose rollouts all
earn the same reward (every rollout right, or every one wrong) gives every sample advantage 0: it
costs rollouts and moves nothing. At small scale most groups are like that unless the problems sit
at the policy's edge of competence. DAPO's remedy (dynamic sampling): over-sample, drop the groups
without reward spread, fill the batch with groups that have it. TRL has none in core (trl#3708),
and its trainer expects exactly `num_generations` completions for each prompt it handed over, so
the replacement happens inside our `rollout_func` (train/rollout.py calls `DynamicSampler`):

  1. before rolling out, a group whose problem the pool has retired is swapped for an active one;
  2. after rolling out, each group is scored with the run's rewards (the weighted total TRL will
     normalise); a group without spread gets a replacement problem drawn from the pool, rolled out
     `num_generations` times; a replacement with spread takes the group's place, one without is
     discarded and the group tries again, up to `max_resample` rounds; then the batch is kept as it
     is and the zero-variance fraction is logged. TRL takes `prompt_ids` from the rollout function
     and the rewards' `answer`/`form` from the extra fields it returns, so the trainer scores the
     trajectories actually returned against their own gold answers.

The pool (`CompetencePool`) keeps, per problem, the accuracy of the current policy's last `window`
rollouts. A problem whose last `window` rollouts were all right or all wrong is retired (pass rate 1
or 0: no signal) for `cooldown` steps plus a seeded jitter of up to half that, then re-admitted with
a fresh history (the policy has changed since). Replacements are drawn uniformly from the active
problems with a seeded RNG, so the same seed and the same rewards give the same draws. The pool can
be pre-filtered by a pass@k probe of the starting policy: a `deepmath-eval run` on the training set
(its problem lines carry the per-sample verdicts), loaded with `load_probe`.

Limits: a group must lie within one process's batch (TRL splits a group across processes when
`per_device_train_batch_size` < `num_generations`; that is refused); each process keeps its own pool.
"""

from __future__ import annotations

import json
import math
import random
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_client import Trajectory
from train.rewards import RewardSet


@dataclass(frozen=True)
class PoolItem:
    """One training problem with its gold answer (and its answer form, DeepMind Mathematics)."""

    problem: str
    answer: str
    form: str | None = None


@dataclass
class _Record:
    history: deque[bool]
    retired_until: int | None = None  # the step from which a retired problem is active again


class CompetencePool:
    """The training problems with a running estimate of the current policy's pass rate on each."""

    def __init__(self, items: Iterable[PoolItem], *, window: int = 8, cooldown: int = 50, seed: int = 0):
        if window < 1 or cooldown < 0:
            raise ValueError("pool window must be >= 1 and cooldown >= 0")
        self.window, self.cooldown = window, cooldown
        self.rng = random.Random(seed)
        self.items: dict[str, PoolItem] = {}
        for it in items:
            self.items.setdefault(it.problem, it)  # a repeated problem text keeps its first gold
        self._order = list(self.items)
        self._records = {p: _Record(deque(maxlen=window)) for p in self._order}
        self.retirements = self.readmissions = 0

    @classmethod
    def from_dataset(cls, dataset: Any, **kw: Any) -> CompetencePool:
        """From the training dataset (columns `prompt`, `answer`, optional `form`; train/data.py)."""
        from train.rollout import problem_text  # the rollout function's reading of a prompt

        forms = dataset["form"] if "form" in dataset.column_names else [None] * len(dataset)
        return cls((PoolItem(problem_text(p), str(a), f)
                    for p, a, f in zip(dataset["prompt"], dataset["answer"], forms)), **kw)

    def __len__(self) -> int:
        return len(self._order)

    def item(self, problem: str) -> PoolItem:
        try:
            return self.items[problem]
        except KeyError:
            raise KeyError(f"problem not in the sampling pool (dynamic sampling needs the training dataset's "
                           f"problems): {problem[:120]!r}") from None

    def is_retired(self, problem: str) -> bool:
        return self._records[problem].retired_until is not None

    @property
    def retired(self) -> int:
        return sum(r.retired_until is not None for r in self._records.values())

    @property
    def active(self) -> int:
        return len(self) - self.retired

    def pass_rate(self, problem: str) -> float | None:
        """The accuracy of the problem's recorded rollouts since it was (re-)admitted, None if none."""
        h = self._records[problem].history
        return sum(h) / len(h) if h else None

    def record(self, problem: str, successes: Sequence[bool], step: int) -> bool:
        """Add rollout verdicts; retire the problem when its last `window` are all equal. True if retired now."""
        rec = self._records[problem]
        rec.history.extend(successes)
        if rec.retired_until is None and len(rec.history) == self.window and len(set(rec.history)) == 1:
            rec.retired_until = step + self.cooldown + self.rng.randint(0, self.cooldown // 2)
            rec.history.clear()
            self.retirements += 1
            return True
        return False

    def readmit(self, step: int) -> int:
        """Re-admit the retired problems whose cooldown is over (fresh history). Returns how many."""
        n = 0
        for rec in self._records.values():
            if rec.retired_until is not None and rec.retired_until <= step:
                rec.retired_until = None
                n += 1
        self.readmissions += n
        return n

    def draw(self, exclude: Iterable[str] = ()) -> PoolItem | None:
        """A uniformly drawn active problem not in `exclude`, or None when there is none."""
        skip = set(exclude)
        candidates = [p for p in self._order if self._records[p].retired_until is None and p not in skip]
        return self.items[self.rng.choice(candidates)] if candidates else None


def load_probe(pool: CompetencePool, path: str | Path) -> int:
    """Seed the pool with a pass@k probe of the starting policy: the problem lines (`"type": "problem"`,
    `problem`, `correct`) of a `deepmath-eval run` file on the training problems. Problems solved by
    all or none of the probe's samples (at least `window` of them) start retired. Returns the lines used."""
    used = 0
    for line in Path(path).read_text().splitlines():
        rec = json.loads(line) if line.strip() else {}
        if rec.get("type") == "problem" and rec.get("problem") in pool.items:
            pool.record(rec["problem"], [bool(c) for c in rec["correct"]][-pool.window:], step=0)
            used += 1
    return used


@dataclass
class SamplingReport:
    """What dynamic sampling did to one rollout batch (logged as `sampling/*`)."""

    groups: int = 0
    zero_before: int = 0  # groups without reward spread as first rolled out
    zero_after: int = 0  # ... in the batch handed to the trainer
    replaced: int = 0  # groups replaced by a drawn problem with spread
    draws: int = 0  # replacement problems rolled out
    extra_rollouts: int = 0
    swapped_retired: int = 0  # groups whose problem was retired and swapped before rolling out
    readmitted: int = 0
    exhausted: bool = False  # the pool had no problem left to draw
    replacements: dict[int, str] = field(default_factory=dict)  # group index -> its new problem

    def metrics(self, pool: CompetencePool) -> dict[str, float]:
        g = max(self.groups, 1)
        return {"sampling/zero_std_frac_before": self.zero_before / g,
                "sampling/zero_std_frac_after": self.zero_after / g,
                "sampling/replaced": float(self.replaced), "sampling/draws": float(self.draws),
                "sampling/extra_rollouts": float(self.extra_rollouts),
                "sampling/swapped_retired": float(self.swapped_retired), "sampling/readmitted": float(self.readmitted),
                "sampling/pool_active": float(pool.active), "sampling/pool_retired": float(pool.retired),
                "sampling/exhausted": float(self.exhausted)}


Trajs = list[Trajectory | None]
RunFn = Callable[[list[str], int], Trajs]
"""Roll out these problems (one trajectory each) in resampling round r (r >= 1; seeds differ per round)."""


def has_spread(rewards: Sequence[float | None]) -> bool:
    """Whether a group's rewards differ (dropped rollouts, None, do not count; TRL leaves them out too)."""
    vals = [r for r in rewards if r is not None]
    return len(vals) >= 2 and not math.isclose(min(vals), max(vals), rel_tol=0.0, abs_tol=1e-8)


class DynamicSampler:
    """Replaces zero-variance GRPO groups with groups from the pool (see the module docstring)."""

    def __init__(self, pool: CompetencePool, rewards: RewardSet, group_size: int, max_resample: int = 2):
        if group_size < 2 or max_resample < 0:
            raise ValueError("group_size must be >= 2 and max_resample >= 0")
        self.pool, self.rewards, self.group_size, self.max_resample = pool, rewards, group_size, max_resample

    def _groups(self, problems: Sequence[str]) -> list[str]:
        g = self.group_size
        if len(problems) % g:
            raise ValueError(f"dynamic sampling: {len(problems)} prompts in this process's batch is no multiple of "
                             f"num_generations={g} (make per_device_train_batch_size a multiple of it)")
        heads = [problems[i] for i in range(0, len(problems), g)]
        if any(problems[i] != heads[i // g] for i in range(len(problems))):
            raise ValueError("dynamic sampling: a GRPO group is split across batches or processes")
        return heads

    def prepare(self, problems: Sequence[str], step: int, report: SamplingReport) -> list[str]:
        """Re-admit what is due, and swap groups whose problem is retired for active ones."""
        heads = self._groups(problems)
        report.groups, report.readmitted = len(heads), self.pool.readmit(step)
        for i, head in enumerate(heads):
            self.pool.item(head)
            if self.pool.is_retired(head):
                new = self.pool.draw(exclude=heads)
                if new is not None:
                    heads[i] = new.problem
                    report.swapped_retired += 1
        return [h for h in heads for _ in range(self.group_size)]

    def _score(self, problem: str, trajs: Trajs, step: int) -> bool:
        """Record the group's verdicts in the pool; True when its rewards have spread."""
        from eval.grading import grade

        it = self.pool.item(problem)
        kept = [t for t in trajs if t is not None]
        self.pool.record(problem, [grade(t.answer, it.answer, it.form) for t in kept], step)
        return has_spread([None if t is None else self.rewards.total(t, it.answer, it.form) for t in trajs])

    def refill(self, problems: list[str], trajs: Trajs, run: RunFn, step: int,
               report: SamplingReport) -> tuple[list[str], Trajs]:
        """The batch with zero-variance groups replaced where the pool allows (see the module docstring)."""
        g = self.group_size
        heads = self._groups(problems)
        problems, trajs = list(problems), list(trajs)
        zero = [i for i, h in enumerate(heads) if not self._score(h, trajs[i * g:(i + 1) * g], step)]
        report.zero_before = len(zero)
        tried: set[str] = set(heads)
        for rnd in range(1, self.max_resample + 1):
            draws: list[tuple[int, PoolItem]] = []
            for i in zero:
                it = self.pool.draw(exclude=tried)
                if it is None:
                    report.exhausted = True
                    break
                tried.add(it.problem)
                draws.append((i, it))
            if not draws:
                break
            batch = [it.problem for _, it in draws for _ in range(g)]
            new = run(batch, rnd)
            report.draws += len(draws)
            report.extra_rollouts += len(batch)
            for k, (i, it) in enumerate(draws):
                group = new[k * g:(k + 1) * g]
                if self._score(it.problem, group, step):
                    problems[i * g:(i + 1) * g] = [it.problem] * g
                    trajs[i * g:(i + 1) * g] = group
                    report.replacements[i] = it.problem
                    zero.remove(i)
            if not zero:
                break
        report.replaced = len(report.replacements)
        report.zero_after = len(zero)
        return problems, trajs

    def fields(self, problems: Sequence[str]) -> dict[str, list[Any]]:
        """The reward columns of the returned samples, for TRL to merge into its inputs."""
        items = [self.pool.item(p) for p in problems]
        return {"answer": [it.answer for it in items], "form": [it.form for it in items]}
