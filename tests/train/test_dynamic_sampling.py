"""Dynamic sampling and the edge-of-competence pool (train/sampling.py) through AgentRollout and TRL.

Scripted part (said here, as the test rules ask): the policy is a scripted backend whose success
rate per problem is set by the test. It reads the problem from the prompt and answers
`\\boxed{gold}` (right) or `\\boxed{gold+1}` (wrong): rate 1 always right, rate 0 always wrong,
rate 0.5 right exactly when the rollout's seed is even (AgentRollout's seeds for neighbouring slots
differ by an odd number, so each group of an even size is half right). No tool is ever called, so
the executor is a stub that fails the test if used. Everything else is real: the Agent loop and
its prompt, AgentRollout, the rewards (eval.grading), and in the last test TRL's GRPOTrainer
taking one optimizer step of the tiny Qwen3's LoRA on these trajectories.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest
import torch

from agent_client import Generation
from train.sampling import CompetencePool, DynamicSampler, PoolItem, has_spread, load_probe

# problem -> (gold, success rate of the scripted policy)
RATES = {"What is 1 + 1?": ("2", 1.0), "What is 2 + 2?": ("4", 0.0), "What is 3 + 3?": ("6", 0.5),
         "What is 4 + 4?": ("8", 0.5), "What is 5 + 5?": ("10", 1.0), "What is 6 + 6?": ("12", 0.5),
         "What is 7 + 7?": ("14", 0.0), "What is 8 + 8?": ("16", 0.5)}


class ScriptedPolicy:
    """Answers each problem right with the rate RATES gives it (see the module docstring)."""

    def __init__(self, tokenizer, rates=RATES):
        self.tok, self.rates = tokenizer, rates
        self.seen: list[str] = []

    async def generate(self, prompt_ids, *, max_tokens, temperature, top_p, stop, seed=None):
        text = self.tok.decode(prompt_ids)
        problem = max(self.rates, key=text.rfind)  # the user turn is last (examples come before it)
        gold, rate = self.rates[problem]
        self.seen.append(problem)
        right = rate == 1.0 or (rate == 0.5 and seed is not None and seed % 2 == 0)
        out = f"\\boxed{{{gold if right else int(gold) + 1}}}"
        ids = self.tok.encode(out, add_special_tokens=False) + [self.tok.eos_token_id]
        return Generation(token_ids=ids, text=out, finish_reason="eos")


class NoTools:
    async def run(self, code, session_id, timeout_s=None):
        raise AssertionError("the scripted policy never calls a tool")

    async def reset_session(self, session_id):
        raise AssertionError("no session to reset")


@contextlib.asynccontextmanager
async def no_tools():
    yield NoTools()


def _items(problems=RATES):
    return [PoolItem(p, g) for p, (g, _) in problems.items()]


# -- the pool --------------------------------------------------------------------------------------------
def test_pool_retires_always_and_never_solved_and_readmits_them():
    pool = CompetencePool(_items(), window=4, cooldown=10, seed=1)
    assert not pool.record("What is 1 + 1?", [True] * 3, step=0)  # 3 < window: not yet
    assert pool.record("What is 1 + 1?", [True], step=0)  # 4 of 4 right: retired
    assert pool.record("What is 2 + 2?", [False] * 4, step=2)  # 4 of 4 wrong: retired
    assert not pool.record("What is 3 + 3?", [True, False, True, True], step=2)  # spread: stays
    assert pool.pass_rate("What is 3 + 3?") == 0.75
    assert pool.retired == 2 and pool.active == len(RATES) - 2
    drawn = {pool.draw().problem for _ in range(200)}
    assert drawn == set(RATES) - {"What is 1 + 1?", "What is 2 + 2?"}  # retired problems are never drawn
    assert pool.draw(exclude=drawn) is None
    assert pool.readmit(step=9) == 0  # cooldown 10 (+ jitter <= 5) not over
    assert pool.readmit(step=17) == 2 and pool.retired == 0  # both back after at most 10 + 5 steps
    assert pool.pass_rate("What is 1 + 1?") is None  # re-admitted with a fresh history
    assert "What is 1 + 1?" in {pool.draw().problem for _ in range(200)}


def test_pool_is_seeded():
    def draws(seed):
        pool = CompetencePool(_items(), window=2, cooldown=10, seed=seed)
        pool.record("What is 1 + 1?", [True, True], step=0)
        return [pool.draw().problem for _ in range(30)], pool._records["What is 1 + 1?"].retired_until

    assert draws(3) == draws(3)
    assert draws(3)[0] != draws(4)[0]


def test_probe_prefilters_the_pool(tmp_path):
    import json

    path = tmp_path / "run.jsonl"
    lines = [{"type": "sample", "id": "x"},
             {"type": "problem", "id": "a", "problem": "What is 1 + 1?", "gold": "2", "correct": [True] * 4},
             {"type": "problem", "id": "b", "problem": "What is 3 + 3?", "gold": "6", "correct": [True, False] * 2},
             {"type": "problem", "id": "c", "problem": "not in the pool", "gold": "1", "correct": [False] * 4}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    pool = CompetencePool(_items(), window=4, cooldown=5, seed=0)
    assert load_probe(pool, path) == 2
    assert pool.is_retired("What is 1 + 1?") and not pool.is_retired("What is 3 + 3?")
    assert pool.pass_rate("What is 3 + 3?") == 0.5


def test_has_spread_ignores_dropped_rollouts():
    assert has_spread([0.0, 1.0, None]) and not has_spread([1.0, 1.0, None]) and not has_spread([1.0, None])


# -- the rollout function with dynamic sampling ----------------------------------------------------------
@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def _rollout(tokenizer, pool, group=2, max_resample=2, seed=0):
    from train.rewards import RewardSet
    from train.rollout import AgentRollout
    from train.trainer import agent_config
    from train.config import TrainConfig

    cfg = TrainConfig(max_tokens=16, max_tokens_per_step=16, temperature_start=1.0)
    rewards = RewardSet.from_weights(accuracy_weight=1.0, code_weight=1.0)
    sampler = DynamicSampler(pool, rewards, group_size=group, max_resample=max_resample)
    policy = ScriptedPolicy(tokenizer)
    return AgentRollout(tokenizer=tokenizer, agent_config=agent_config(cfg), backend_factory=lambda tr: policy,
                        executor_factory=no_tools, concurrency=4, seed=seed, sampler=sampler), policy


def _trainer(step=0):
    logged: dict[str, float] = {}
    return SimpleNamespace(state=SimpleNamespace(global_step=step), _log_metric=logged.__setitem__, logged=logged)


def test_zero_variance_group_is_replaced_by_one_with_spread(tokenizer):
    # batch: "1 + 1" (always right: no spread) and "3 + 3" (half right: spread); the pool's only other
    # active problems are "2 + 2" (never right) and "4 + 4" (half right)
    rates = {p: RATES[p] for p in ("What is 1 + 1?", "What is 3 + 3?", "What is 2 + 2?", "What is 4 + 4?")}
    pool = CompetencePool(_items(rates), window=2, cooldown=100, seed=5)
    rollout, policy = _rollout(tokenizer, pool, group=2, max_resample=3)
    trainer = _trainer()
    prompts = ["What is 1 + 1?"] * 2 + ["What is 3 + 3?"] * 2
    with rollout:
        out = rollout(prompts, trainer)
    from agent_client import Agent

    agent = Agent(rollout.backend, NoTools(), tokenizer, rollout.agent_config)
    first = out["trajectory"][0].problem
    assert first == "What is 4 + 4?"  # the zero-variance group's place went to the problem with spread
    assert [t.problem for t in out["trajectory"]] == [first] * 2 + ["What is 3 + 3?"] * 2
    assert out["prompt_ids"][:2] == [agent.prompt_ids("What is 4 + 4?")] * 2  # what TRL will score
    assert out["prompt_ids"][2:] == [agent.prompt_ids("What is 3 + 3?")] * 2
    assert out["answer"] == ["8", "8", "6", "6"] and out["form"] == [None] * 4  # the rewards' golds follow
    assert sorted(t.answer for t in out["trajectory"][:2]) == ["8", "9"]  # one right, one wrong: spread
    # rolled out: the batch (4), then draws until one with spread; "2 + 2" (never right) may come first
    draws = int(trainer.logged["sampling/draws"])
    assert 1 <= draws <= 2 and len(policy.seen) == 4 + 2 * draws
    assert trainer.logged["sampling/zero_std_frac_before"] == 0.5
    assert trainer.logged["sampling/zero_std_frac_after"] == 0.0
    assert trainer.logged["sampling/replaced"] == 1.0
    assert trainer.logged["sampling/extra_rollouts"] == 2.0 * draws
    # "1 + 1" was solved 2 of 2 times (window 2): retired; so was "2 + 2" if it was drawn
    assert pool.is_retired("What is 1 + 1?") and pool.retired == draws
    assert trainer.logged["sampling/pool_retired"] == pool.retired
    assert rollout.totals.rollouts == 4  # the batch handed back; the discarded draws are extra_rollouts


def test_exhausted_pool_keeps_the_batch_and_counts_it(tokenizer):
    rates = {p: RATES[p] for p in ("What is 1 + 1?", "What is 2 + 2?", "What is 5 + 5?")}  # no spread anywhere
    pool = CompetencePool(_items(rates), window=8, cooldown=100, seed=0)
    rollout, _ = _rollout(tokenizer, pool, group=2, max_resample=2)
    trainer = _trainer()
    with rollout:
        out = rollout(["What is 1 + 1?"] * 2 + ["What is 2 + 2?"] * 2, trainer)
    assert [t.problem for t in out["trajectory"]] == ["What is 1 + 1?"] * 2 + ["What is 2 + 2?"] * 2
    assert out["answer"] == ["2", "2", "4", "4"]
    assert trainer.logged["sampling/zero_std_frac_before"] == 1.0 == trainer.logged["sampling/zero_std_frac_after"]
    assert trainer.logged["sampling/draws"] == 1.0  # only "5 + 5" was left to try; it has no spread either
    assert trainer.logged["sampling/exhausted"] == 1.0 and trainer.logged["sampling/replaced"] == 0.0


def test_retired_problem_in_the_batch_is_swapped_before_rolling_out(tokenizer):
    pool = CompetencePool(_items(), window=2, cooldown=100, seed=0)
    pool.record("What is 1 + 1?", [True, True], step=0)
    rollout, policy = _rollout(tokenizer, pool, group=2, max_resample=0)
    trainer = _trainer(step=1)
    with rollout:
        out = rollout(["What is 1 + 1?"] * 2, trainer)
    assert "What is 1 + 1?" not in policy.seen and trainer.logged["sampling/swapped_retired"] == 1.0
    assert out["answer"] == [RATES[out["trajectory"][0].problem][0]] * 2


def test_same_seed_same_draws(tokenizer):
    def run(seed):
        pool = CompetencePool(_items(), window=2, cooldown=100, seed=seed)
        rollout, policy = _rollout(tokenizer, pool, group=2, max_resample=3, seed=7)
        with rollout:
            for step in range(3):
                rollout(["What is 1 + 1?"] * 2 + ["What is 2 + 2?"] * 2, _trainer(step))
        return policy.seen

    assert run(11) == run(11)


def test_batch_must_hold_whole_groups():
    from train.rewards import RewardSet
    from train.sampling import SamplingReport

    sampler = DynamicSampler(CompetencePool(_items()), RewardSet.from_weights(accuracy_weight=1, code_weight=0), 2)
    with pytest.raises(ValueError, match="no multiple"):
        sampler.prepare(["What is 1 + 1?"] * 3, 0, SamplingReport())
    with pytest.raises(ValueError, match="split"):
        sampler.prepare(["What is 1 + 1?", "What is 3 + 3?"], 0, SamplingReport())


# -- one real GRPO step ----------------------------------------------------------------------------------
def test_grpo_step_with_dynamic_sampling_trains_on_groups_with_spread(tiny_model_dir, tmp_path):
    from datasets import Dataset

    from train.config import TrainConfig
    from train.trainer import build, train

    # 8 problems, 4 with spread (rate 0.5) and 4 without; a step takes 4 groups of 2, so whatever TRL draws,
    # the problems left in the pool hold enough with spread to replace every zero-variance group
    cfg = TrainConfig(model=str(tiny_model_dir), engine="local", output_dir=str(tmp_path), max_steps=1,
                      num_generations=2, per_device_train_batch_size=8, gradient_accumulation_steps=1,
                      learning_rate=5e-3, warmup_ratio=0.0, lr_scheduler_type="constant", max_tokens=16,
                      max_tokens_per_step=16, agent_max_steps=1, lora_r=4, lora_alpha=8, gradient_checkpointing=False,
                      save_steps=0, rollout_concurrency=4, use_cpu=True, bf16=False, seed=0, reward_accuracy=1.0,
                      reward_code=0.0, dynamic_sampling=True, max_resample=4, pool_window=2, pool_cooldown=100)
    ds = Dataset.from_list([{"prompt": p, "answer": g} for p, (g, _) in RATES.items()])
    run = build(cfg, train_dataset=ds, backend_factory=lambda tr: ScriptedPolicy(tr.processing_class),
                executor_factory=no_tools)
    tr = run.trainer
    seen = []
    orig = tr._compute_loss
    handed = []  # the prompts TRL handed to the rollout function
    tr.rollout_func = lambda prompts, trainer: (handed.extend(prompts), run.rollout(prompts, trainer))[1]
    tr._compute_loss = lambda model, inputs: (seen.append({k: inputs[k].detach().clone() for k in
                                                           ("prompt_ids", "prompt_mask", "advantages")}),
                                              orig(model, inputs))[1]
    train(run)
    assert tr.state.global_step == 1
    log = next(h for h in tr.state.log_history if "sampling/zero_std_frac_after" in h)
    half = [p for p, (_, rate) in RATES.items() if rate == 0.5]
    zero = sum(p not in half for p in handed[::2])
    assert zero >= 1 and log["sampling/zero_std_frac_before"] == zero / 4  # TRL handed zero-variance groups
    assert log["sampling/replaced"] == zero and log["sampling/zero_std_frac_after"] == 0.0  # all replaced
    assert log["frac_reward_zero_std"] == 0.0  # TRL's own count agrees: every group it scored has spread
    tok = tr.processing_class
    texts = [tok.decode(ids[mask.bool()]) for b in seen for ids, mask in zip(b["prompt_ids"], b["prompt_mask"])]
    assert len(texts) == 8 and all(any(p in t for p in half) for t in texts)  # only problems with spread
    adv = torch.cat([b["advantages"] for b in seen])
    assert (adv.abs() > 0.5).all()  # every sample of every group carries a gradient signal
