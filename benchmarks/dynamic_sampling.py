"""Dynamic sampling in simulation: zero-variance groups before/after, extra rollouts, pool overhead.

    OMP_NUM_THREADS=1 python benchmarks/dynamic_sampling.py [--steps 100] [--problems 8400] [--seed 0]

A simulation, not a training run: the policy is a fixed Bernoulli per problem (it does not learn),
its pass rates drawn from a Beta distribution fitted to the last nano GRPO run's figures (SFT policy
right on 79 % of rollouts, 45 % of groups of 4 without reward spread). Each step, a batch of
`--problems-per-step` problems is drawn uniformly as TRL's sampler would; the real `DynamicSampler`
and `CompetencePool` (train/sampling.py) then swap retired problems and replace zero-variance groups
from the pool; rewards are the real accuracy reward (eval.grading) on answers the simulated policy
wrote. Printed per configuration (group size, max_resample): the mean zero-variance fraction as
rolled out and as handed to the trainer, rollouts per step (batch + discarded draws) and the
sampler's own CPU time per step.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

# benchmarks/agent_client.py would shadow the package of that name
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from agent_client import Trajectory  # noqa: E402
from train.rewards import RewardSet  # noqa: E402
from train.sampling import CompetencePool, DynamicSampler, PoolItem, SamplingReport  # noqa: E402


def beta_for(mean: float, zero_frac: float, group: int = 4) -> tuple[float, float]:
    """Beta(a, b) with the given mean whose E[p^g + (1-p)^g] is closest to `zero_frac` (grid search)."""
    best, best_err = (1.0, 1.0), float("inf")
    rng = np.random.default_rng(0)
    for conc in np.geomspace(0.05, 50, 200):
        a, b = mean * conc, (1 - mean) * conc
        p = rng.beta(a, b, 20_000)
        err = abs(float(np.mean(p ** group + (1 - p) ** group)) - zero_frac)
        if err < best_err:
            best, best_err = (a, b), err
    return best


def simulate(rates: dict[str, float], *, group: int, max_resample: int, steps: int, per_step: int,
             window: int, cooldown: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    pool = CompetencePool((PoolItem(p, "1") for p in rates), window=window, cooldown=cooldown, seed=seed)
    sampler = DynamicSampler(pool, RewardSet.from_weights(accuracy_weight=1.0, code_weight=0.0), group, max_resample)
    names = list(rates)

    def run(problems: list[str], rnd: int) -> list[Trajectory | None]:
        return [Trajectory(problem=p, prompt_ids=[1], answer="1" if rng.random() < rates[p] else "0")
                for p in problems]

    before = after = rollouts = 0.0
    cpu = 0.0
    for step in range(steps):
        batch = [p for p in rng.sample(names, per_step) for _ in range(group)]
        rep = SamplingReport()
        t0 = time.process_time()
        batch = sampler.prepare(batch, step, rep)
        sampler.refill(batch, run(batch, 0), run, step, rep)
        cpu += time.process_time() - t0
        before += rep.zero_before / rep.groups
        after += rep.zero_after / rep.groups
        rollouts += len(batch) + rep.extra_rollouts
    return {"zero_before": before / steps, "zero_after": after / steps, "rollouts_per_step": rollouts / steps,
            "sampler_ms_per_step": 1000 * cpu / steps, "retired_at_end": pool.retired}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--problems", type=int, default=8400, help="pool size (dm-train:per_module=50 has 8400)")
    ap.add_argument("--problems-per-step", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    a, b = beta_for(0.79, 0.45)
    prng = np.random.default_rng(args.seed)
    rates = {f"problem {i}": float(r) for i, r in enumerate(prng.beta(a, b, args.problems))}
    print(f"policy: pass rates ~ Beta({a:.3f}, {b:.3f}) over {args.problems} problems, "
          f"{args.problems_per_step} problems per step, {args.steps} steps")
    print("| group | max_resample | zero-var before | zero-var after | rollouts/step | sampler ms/step | retired |")
    print("|---|---|---|---|---|---|---|")
    for group, resample in ((4, 0), (4, 2), (8, 0), (8, 2), (8, 4)):
        r = simulate(rates, group=group, max_resample=resample, steps=args.steps, per_step=args.problems_per_step,
                     window=8, cooldown=50, seed=args.seed)
        print(f"| {group} | {resample} | {r['zero_before']:.1%} | {r['zero_after']:.1%} | "
              f"{r['rollouts_per_step']:.1f} | {r['sampler_ms_per_step']:.1f} | {r['retired_at_end']} |")


if __name__ == "__main__":
    main()
