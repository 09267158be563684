"""Assemble a TRL GRPOTrainer from a TrainConfig: LoRA policy, agent rollouts, rewards, callbacks.

Why one builder for CLI, tests and benchmarks: the CPU smoke run and the GPU run must be the same
code path; only the engine (who samples) and the device flags differ. Tests inject a
`backend_factory` (e.g. a scripted first tool call) but keep everything else real.

Outputs in `output_dir`: checkpoints (`checkpoint-N/`, resumable), the final LoRA adapter
(`adapter_config.json` + `adapter_model.safetensors`, loadable by peft, vLLM `--lora-modules`
and `deepmath-agent --engine local --lora DIR`), the tokenizer, `train_config.yaml`,
`metrics.jsonl` (one line per logging step) and `rollout_summary.json`.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_client import AgentConfig, LocalBackend, McpExecutor, OpenAIBackend
from train.callbacks import JsonlMetricsCallback, TemperatureCallback, TemperatureSchedule
from train.checkpoints import GRPO_RESUME_HINT, guard, last_whole_checkpoint, saving, write_whole
from train.config import TrainConfig
from train.rewards import RewardSet
from train.rollout import AgentRollout, BackendFactory, ExecutorFactory
from train.sampling import CompetencePool, DynamicSampler, load_probe

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is "experimental" in TRL 1.16


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def grpo_args(cfg: TrainConfig) -> Any:
    """TRL GRPOConfig for this run."""
    from trl import GRPOConfig

    use_cpu = (not _cuda()) if cfg.use_cpu is None else cfg.use_cpu
    bf16 = (not use_cpu) if cfg.bf16 is None else cfg.bf16
    engine_vllm = cfg.engine in ("vllm-server", "vllm-colocate")
    return GRPOConfig(
        output_dir=cfg.output_dir, max_steps=cfg.max_steps, num_train_epochs=cfg.num_train_epochs,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps, num_generations=cfg.num_generations,
        learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler_type, warmup_steps=cfg.warmup_ratio,
        weight_decay=cfg.weight_decay, beta=cfg.beta, epsilon_high=cfg.epsilon_high, loss_type=cfg.loss_type,
        gradient_checkpointing=cfg.gradient_checkpointing, bf16=bf16, use_cpu=use_cpu, seed=cfg.seed,
        logging_steps=cfg.logging_steps, save_strategy="steps" if cfg.save_steps > 0 else "no",
        save_steps=max(cfg.save_steps, 1), save_total_limit=cfg.save_total_limit,
        report_to=[r for r in cfg.report_to.split(",") if r and r != "none"] or "none",
        temperature=cfg.temperature_start, top_p=cfg.top_p, max_completion_length=cfg.max_tokens,
        remove_unused_columns=False, dataloader_num_workers=0, log_completions=False,
        use_vllm=engine_vllm, vllm_mode="colocate" if cfg.engine == "vllm-colocate" else "server",
        vllm_server_base_url=cfg.vllm_server_base_url if cfg.engine == "vllm-server" else None,
        vllm_server_timeout=cfg.vllm_server_timeout,
        vllm_gpu_memory_utilization=cfg.vllm_gpu_memory_utilization,
        vllm_max_model_length=cfg.vllm_max_model_length, vllm_enable_sleep_mode=False,
    )


def lora_config(cfg: TrainConfig) -> Any:
    from peft import LoraConfig

    targets: str | list[str] = cfg.lora_target_modules
    if targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    return LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      use_rslora=cfg.use_rslora, target_modules=targets, bias="none", task_type="CAUSAL_LM")


def agent_config(cfg: TrainConfig) -> AgentConfig:
    return AgentConfig(max_tokens=cfg.max_tokens, max_tokens_per_step=min(cfg.max_tokens_per_step, cfg.max_tokens),
                       max_steps=cfg.agent_max_steps, temperature=cfg.temperature_start, top_p=cfg.top_p,
                       mode="agent", prompt_version=cfg.prompt_version, tool_timeout_s=cfg.tool_timeout_s,
                       max_tool_output_tokens=cfg.max_tool_output_tokens)


def default_backend_factory(cfg: TrainConfig, tokenizer: Any) -> BackendFactory:
    """Who samples: the trainer's own policy (local), TRL's vLLM server, or TRL's colocated vLLM."""
    if cfg.engine == "local":
        # prefix KV cache: the rollouts of a batch share the long agent prompt; AgentRollout clears the
        # cache at every batch because the optimizer changes the weights in between
        return lambda trainer: LocalBackend(trainer.accelerator.unwrap_model(trainer.model), tokenizer,
                                            kv_cache_slots=4)
    if cfg.engine == "vllm-server":
        # `trl vllm-serve` is a real `vllm serve` (OpenAI API) whose weights TRL updates each step
        return lambda trainer: OpenAIBackend(cfg.vllm_server_base_url.rstrip("/") + "/v1")

    def colocate(trainer: Any) -> Any:
        from train.vllm_backend import VllmEngineBackend

        return VllmEngineBackend(trainer.vllm_generation.llm)

    return colocate


def default_executor_factory(cfg: TrainConfig) -> ExecutorFactory:
    if cfg.mcp_url:
        return lambda: McpExecutor.http(cfg.mcp_url)
    return lambda: McpExecutor.stdio(shlex.split(cfg.mcp_command))


def dynamic_sampler(cfg: TrainConfig, train_dataset: Any, rewards: RewardSet) -> DynamicSampler | None:
    """The dynamic sampler over an edge-of-competence pool of the training set (None unless --dynamic-sampling)."""
    if not cfg.dynamic_sampling:
        return None
    if cfg.per_device_train_batch_size % cfg.num_generations:
        raise ValueError("--dynamic-sampling needs --per-device-train-batch-size a multiple of --num-generations "
                         "(a GRPO group must be rolled out by one process)")
    from accelerate import PartialState

    # one pool per process; a seed per process so that processes do not draw the same replacements
    pool = CompetencePool.from_dataset(train_dataset, window=cfg.pool_window, cooldown=cfg.pool_cooldown,
                                       seed=cfg.seed + PartialState().process_index)
    if cfg.pool_probe:
        load_probe(pool, cfg.pool_probe)
    return DynamicSampler(pool, rewards, cfg.num_generations, cfg.max_resample)


@dataclass
class Run:
    """A ready-to-train GRPOTrainer with the pieces a caller may want to inspect."""

    config: TrainConfig
    trainer: Any
    rollout: AgentRollout
    rewards: RewardSet
    schedule: TemperatureSchedule


def build(cfg: TrainConfig, *, train_dataset: Any = None, model: Any = None, tokenizer: Any = None,
          backend_factory: BackendFactory | None = None, executor_factory: ExecutorFactory | None = None,
          rewards: RewardSet | None = None, callbacks: Sequence[Any] = ()) -> Run:
    """Build the trainer (nothing runs yet). Defaults load everything named by `cfg`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOTrainer

    from train.data import load_problems

    args = grpo_args(cfg)
    if tokenizer is None:
        tokenizer = AutoTokenizer.from_pretrained(cfg.model)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if model is None:
        model = AutoModelForCausalLM.from_pretrained(cfg.model, dtype=torch.bfloat16 if args.bf16 else torch.float32)
    if train_dataset is None:
        train_dataset = load_problems(cfg.dataset, problem_col=cfg.problem_col, answer_col=cfg.answer_col,
                                      id_col=cfg.id_col, max_samples=cfg.max_samples, seed=cfg.seed)
    rewards = rewards or RewardSet.from_weights(accuracy_weight=cfg.reward_accuracy, code_weight=cfg.reward_code,
                                                length_weight=cfg.reward_length, max_tokens=cfg.max_tokens)
    args.reward_weights = rewards.weights
    rollout = AgentRollout(tokenizer=tokenizer, agent_config=agent_config(cfg),
                           backend_factory=backend_factory or default_backend_factory(cfg, tokenizer),
                           executor_factory=executor_factory or default_executor_factory(cfg),
                           concurrency=cfg.rollout_concurrency, max_dropped_fraction=cfg.max_dropped_fraction,
                           seed=cfg.seed, sampler=dynamic_sampler(cfg, train_dataset, rewards))
    schedule = TemperatureSchedule(cfg.temperature_start, cfg.temperature_end, cfg.temperature_steps)
    temp_cb = TemperatureCallback(schedule, rollout)
    metrics_cb = JsonlMetricsCallback(Path(cfg.output_dir) / "metrics.jsonl")
    peft_config = lora_config(cfg)
    if cfg.init_adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, cfg.init_adapter, is_trainable=True)
        peft_config = None
    trainer = GRPOTrainer(model=model, reward_funcs=rewards.trl_functions(), args=args, train_dataset=train_dataset,
                          processing_class=tokenizer, peft_config=peft_config, rollout_func=rollout,
                          callbacks=[temp_cb, metrics_cb, *callbacks])
    temp_cb.bind(trainer)
    guard(trainer, cfg.output_dir, then=GRPO_RESUME_HINT)  # a full disk while saving: one line, whole checkpoints
    return Run(config=cfg, trainer=trainer, rollout=rollout, rewards=rewards, schedule=schedule)


def resolve_checkpoint(cfg: TrainConfig) -> str | None:
    if cfg.resume_from_checkpoint != "latest":
        return cfg.resume_from_checkpoint
    last = last_whole_checkpoint(cfg.output_dir)
    if last is None:
        raise FileNotFoundError(f"--resume-from-checkpoint latest: no checkpoint-* in {cfg.output_dir}")
    return last


def train(run: Run) -> dict[str, Any]:
    """Train, then write the adapter, config and summaries to the output directory. Returns the metrics."""
    cfg, trainer = run.config, run.trainer
    out = Path(cfg.output_dir)
    main = trainer.is_world_process_zero()
    if main:
        with saving(out, then=GRPO_RESUME_HINT):
            out.mkdir(parents=True, exist_ok=True)
            cfg.save(out / "train_config.yaml")
    with run.rollout:
        result = trainer.train(resume_from_checkpoint=resolve_checkpoint(cfg))
    trainer.save_model(str(out))  # rank 0 writes; other ranks only take part in gathering weights
    trainer.save_state()
    tot = run.rollout.totals  # this process's rollouts (per rank under accelerate)
    summary = {"train": result.metrics, "rollouts": tot.rollouts, "dropped": tot.dropped,
               "rollout_seconds": tot.seconds, "first_errors": tot.errors[:5],
               "reward_weights": dict(zip(run.rewards.names, run.rewards.weights))}
    if main:
        with saving(out, then=GRPO_RESUME_HINT):
            write_whole(out / "rollout_summary.json", json.dumps(summary, indent=2))
    return summary
