"""Seconds per GRPO step and rollouts per second of `train` on the tiny Qwen3, CPU, against TRL's own path.

    OMP_NUM_THREADS=1 python benchmarks/train_step.py [--steps 6] [--batch 8] [--generations 4] [--tokens 32]

Three runs in the same process, same model, LoRA, batch and token budget (first step = warm-up,
not counted):
  baseline  TRL GRPOTrainer's built-in generation (batched model.generate on the trainer's
            policy) on the very same prompt text the agent sends (v1 system prompt + few-shot
            examples, ~2000 tokens on this tokenizer), no tools: a GRPO step without us.
  agent     `train.build` with the default local engine: rollouts through agent_client
            (LocalBackend on the policy, one generate call at a time, prefix KV cache cleared
            every step) and a real `deepmath-mcp` over stdio. The random model never writes a
            tool call.
  agent+mcp the same, with the first generate call of each rollout scripted to a
            `<tool_call>print(6*7)</tool_call>`, so every rollout makes one real sandbox call.
Printed: median seconds per step, rollouts/s, and each run's ratio to the baseline. The issue's
target is < 2 s per step on the tiny model.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# benchmarks/ holds scripts named like packages (agent_client.py): keep it off the import path
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent / "tests"))

from transformers import TrainerCallback  # noqa: E402

from agent_client import Generation, LocalBackend  # noqa: E402

SCRIPT = "<tool_call>\nprint(6*7)\n</tool_call>"


class StepTimer(TrainerCallback):
    def __init__(self) -> None:
        self.t0 = 0.0
        self.times: list[float] = []

    def on_step_begin(self, args, state, control, **kw):  # noqa: ANN001
        self.t0 = time.perf_counter()

    def on_step_end(self, args, state, control, **kw):  # noqa: ANN001
        self.times.append(time.perf_counter() - self.t0)


class ScriptedFirstCall:
    """Every rollout's first generate call writes a tool call; the rest is the real policy."""

    def __init__(self, inner, tok):  # noqa: ANN001
        self.inner, self.tok = inner, tok
        self.ids = tok.encode(SCRIPT, add_special_tokens=False)

    def clear_cache(self) -> None:
        self.inner.clear_cache()

    async def generate(self, prompt_ids, **kw):  # noqa: ANN001, ANN003
        if self.tok.decode(prompt_ids[-40:]).endswith("<|im_start|>assistant\n"):
            return Generation(token_ids=list(self.ids), logprobs=None, text=SCRIPT, finish_reason="stop",
                              stop_reason="</tool_call>")
        return await self.inner.generate(prompt_ids, **kw)


def dataset(n: int, tok=None):  # noqa: ANN001, ANN201
    """The problems; with `tok`, each prompt is the agent's full templated prompt text (for the baseline)."""
    from datasets import Dataset

    from agent_client import Agent, AgentConfig

    rows = [{"prompt": f"What is {i} * 7?", "answer": str(7 * i)} for i in range(n)]
    if tok is not None:
        agent = Agent(None, object(), tok, AgentConfig())  # type: ignore[arg-type] - prompt building only
        rows = [{**r, "prompt": agent.prompt_text(r["prompt"])} for r in rows]
    return Dataset.from_list(rows)


def run_baseline(model_dir: Path, out: Path, a: argparse.Namespace) -> tuple[list[float], float | None, float]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOTrainer

    from train.config import TrainConfig
    from train.trainer import grpo_args, lora_config

    cfg = config(model_dir, out, a)
    args = grpo_args(cfg)
    args.use_vllm = False
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    timer = StepTimer()

    def reward(completions, **kw):  # noqa: ANN001, ANN003
        return [float(len(c) % 3) for c in completions]

    assert isinstance(cfg, TrainConfig)
    trainer = GRPOTrainer(model=model, reward_funcs=reward, args=args, train_dataset=dataset(a.batch * a.steps, tok),
                          processing_class=tok, peft_config=lora_config(cfg), callbacks=[timer])
    trainer.train()
    return timer.times, None, 0.0


def run_agent(model_dir: Path, out: Path, a: argparse.Namespace, scripted: bool) -> tuple[list[float], float, float]:
    """(step times, median seconds of the rollout phase per step, tool calls per rollout)."""
    from train.trainer import build, train

    timer = StepTimer()

    def backend(trainer):  # noqa: ANN001, ANN202
        inner = LocalBackend(trainer.accelerator.unwrap_model(trainer.model), trainer.processing_class,
                             kv_cache_slots=4)  # as the default local engine
        return ScriptedFirstCall(inner, trainer.processing_class)

    run = build(config(model_dir, out, a), train_dataset=dataset(a.batch * a.steps),
                backend_factory=backend if scripted else None, callbacks=[timer])
    train(run)
    reps = run.rollout.reports[1:]  # warm-up excluded, like the step times
    calls = sum(t.tool_calls for rep in reps for t in rep.trajectories if t is not None)
    return timer.times, statistics.median(r.seconds for r in reps), calls / max(1, sum(len(r.trajectories) for r in reps))


def config(model_dir: Path, out: Path, a: argparse.Namespace):  # noqa: ANN201
    from train.config import TrainConfig

    return TrainConfig(model=str(model_dir), engine="local", output_dir=str(out), max_steps=a.steps,
                       num_generations=a.generations, per_device_train_batch_size=a.batch,
                       gradient_accumulation_steps=1, learning_rate=1e-3, warmup_ratio=0.0, max_tokens=a.tokens,
                       max_tokens_per_step=a.tokens, agent_max_steps=3, lora_r=8, lora_alpha=16,
                       gradient_checkpointing=False, save_steps=0, use_cpu=True, bf16=False, seed=0,
                       rollout_concurrency=a.batch, temperature_steps=a.steps)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--generations", type=int, default=4)
    p.add_argument("--tokens", type=int, default=32, help="model tokens per rollout")
    a = p.parse_args()
    from support.tiny_model import build_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model_dir = build_tiny_model(root / "tiny")
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(model_dir)
        prompt_len = len(tok.encode(dataset(1, tok)[0]["prompt"], add_special_tokens=False))
        res = {}
        res["baseline (TRL generate)"] = run_baseline(model_dir, root / "base", a)
        res["agent (agent_client + MCP)"] = run_agent(model_dir, root / "agent", a, scripted=False)
        res["agent + 1 tool call/rollout"] = run_agent(model_dir, root / "agent-mcp", a, scripted=True)

    base = statistics.median(res["baseline (TRL generate)"][0][1:])
    print(f"prompt tokens per rollout: {prompt_len}")
    print(f"\ntiny Qwen3, CPU, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}: batch {a.batch} "
          f"({a.batch // a.generations} problems x {a.generations}), {a.tokens} model tokens/rollout, "
          f"{a.steps} steps (first = warm-up, not counted)")
    print(f"{'run':30s} {'s/step p50':>10s} {'min':>6s} {'max':>6s} {'rollouts/s':>10s} {'rollout s':>9s} "
          f"{'rollout/s':>9s} {'tools/roll':>10s} {'x baseline':>10s}")
    print(f"{'':30s} {'':>10s} {'':>6s} {'':>6s} {'(step)':>10s} {'p50':>9s} {'(phase)':>9s}")
    for name, (times, phase, calls) in res.items():
        t = times[1:]
        med = statistics.median(t)
        ph = f"{phase:9.3f} {a.batch / phase:9.1f}" if phase else f"{'-':>9s} {'-':>9s}"
        print(f"{name:30s} {med:10.3f} {min(t):6.3f} {max(t):6.3f} {a.batch / med:10.1f} {ph} {calls:10.2f} "
              f"{med / base:10.2f}")


if __name__ == "__main__":
    main()
