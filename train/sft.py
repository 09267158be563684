"""`deepmath-train sft`: cold-start supervised fine-tuning on real agent trajectories (TRL `SFTTrainer` + LoRA).

Why SFT before GRPO: a small model does not discover the `<tool_call>` protocol by sampling; every
tool-using recipe at small scale (TinyGSM, ReTool, ASTER) starts from code-style traces. The traces
come from `train.teacher`: the real agent loop with the real sandbox over MCP, so an example is a
sequence the agent could have produced and the loss covers only the policy's own tokens (the
`completion_mask` below is 0 on the prompt and on tool output, as GRPO's `env_mask` is).

`--mode plain` builds the no-tool control: the same problems, answer-only targets, the same budget.
Outputs in `--output-dir`: `traces.jsonl` (the kept trajectories, reused on resume), `traces_summary.json`
(kept/dropped and why), checkpoints, the LoRA adapter and `deepmath_adapter.json` (base model, prompt
version, mode and this config) that `deepmath-agent` reads to pick the prompt.

Not covered: problems without a teacher snippet. The generated families (`nano-*`) carry one; DeepMind
Mathematics' train splits (`dm-train*`) get one from `train.dm_teacher`, which transcribes the question
(and, for `--recovery-fraction` of them, first writes a snippet with a mistake that fails in the sandbox).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agent_client.agent import DEFAULT_TOOL_OUTPUT_TOKENS
from train.config import _f

log = logging.getLogger(__name__)

ADAPTER_META = "deepmath_adapter.json"


@dataclass
class SFTStageConfig:
    """Everything `deepmath-train sft` needs; field help is the CLI help."""

    model: str | None = _f(None, "base checkpoint directory, hub id, or a packaged base (smollm2-135m-instruct, "
                                 "gemma-3-270m); default: the offline default SmolLM2-135M-Instruct")
    dataset: str = _f("nano-train", "generated problems with teacher snippets: nano-train (our families; nano-val "
                                    "and nano-test exist but are for checkpoint choice and the final score), or "
                                    "DeepMind Mathematics' train splits: dm-train (easy+medium+hard), "
                                    "dm-train-easy, dm-train-medium, dm-train-hard")
    per_family: int | None = _f(None, "problems per family (default: the split's size), or per DeepMind module "
                                      "and split (default 20)")
    recovery_fraction: float = _f(0.15, "dm-* only: share of problems whose trace starts with a mistaken snippet "
                                        "that fails in the sandbox, then the corrected one")
    mode: Literal["agent", "plain"] = _f("agent", "agent = traces with a sandbox call; plain = the no-tool "
                                                  "control (answer-only targets)")
    prompt_version: str = _f("nano-v1", "prompt version the traces are made with (and the adapter is used with)")
    output_dir: str = _f("runs/nano/sft", "traces, checkpoints, the adapter and its metadata")
    mcp_command: str = _f("deepmath-mcp --log-level WARNING", "command that starts the sandbox MCP server (stdio)")
    mcp_url: str | None = _f(None, "a running deepmath-mcp at this streamable-HTTP URL instead (its bearer "
                                        "token, if any, from $DEEPMATH_MCP_TOKEN)")
    max_tool_output_tokens: int = _f(DEFAULT_TOOL_OUTPUT_TOKENS, "tokens one tool output may add to a trace (the "
                                                                 "middle of a longer one is cut, marked; as at "
                                                                 "inference and in GRPO)")
    num_train_epochs: float = _f(1.0, "epochs over the kept traces (when --max-steps is -1)")
    max_steps: int = _f(-1, "optimizer steps; -1 = use --num-train-epochs")
    per_device_train_batch_size: int = _f(8, "sequences per micro-batch")
    gradient_accumulation_steps: int = _f(1, "micro-batches per optimizer step")
    learning_rate: float = _f(1e-3, "peak learning rate (LoRA)")
    lr_scheduler_type: str = _f("cosine", "transformers scheduler name")
    warmup_ratio: float = _f(0.05, "fraction of steps spent warming up")
    lora_r: int = _f(16, "LoRA rank")
    lora_alpha: int = _f(32, "LoRA alpha")
    lora_dropout: float = _f(0.05, "LoRA dropout")
    lora_target_modules: str = _f("all-linear", "'all-linear' or comma-separated module names")
    use_rslora: bool = _f(False, "rank-stabilised LoRA scaling (alpha / sqrt(r))")
    seed: int = _f(0, "seed for the data order and LoRA init (the problems are seeded by the generator)")
    save_steps: int = _f(25, "checkpoint every N steps (resume with --resume)")
    resume: bool = _f(True, "resume from the newest checkpoint in --output-dir if there is one")
    logging_steps: int = _f(5, "log every N steps")
    use_cpu: bool | None = _f(None, "default: on when no CUDA GPU is present")
    bf16: bool | None = _f(None, "default: on with a CUDA GPU")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def base_model(cfg: SFTStageConfig) -> str:
    from agent_client.default_model import resolve_model

    return resolve_model(cfg.model, log=log.info)


DM_TRAIN = ("dm-train", "dm-train-easy", "dm-train-medium", "dm-train-hard")


def dm_items(cfg: SFTStageConfig) -> list[Any]:
    """DeepMind Mathematics train problems (seeded by --seed) with the module-aware teacher's lessons."""
    from eval import deepmind
    from train.dm_teacher import teacher_items

    splits = deepmind.TRAIN_SPLITS if cfg.dataset == "dm-train" else (cfg.dataset[len("dm-"):],)
    problems = [p for s in splits for p in deepmind.generate(s, seed=cfg.seed, per_module=cfg.per_family or 20)]
    items, unparsed = teacher_items(problems, recovery=cfg.recovery_fraction, seed=cfg.seed)
    log.info("DeepMind teacher: %d lessons (%d with a mistake first) for %d problems; no lesson: %s", len(items),
             sum(bool(it.mistakes) for it in items), len(problems), dict(unparsed) or "none")
    return items


def family_items(cfg: SFTStageConfig) -> list[Any]:
    from eval import families

    if cfg.dataset in DM_TRAIN:
        return dm_items(cfg)
    prefix = "nano-"
    split = cfg.dataset[len(prefix):] if cfg.dataset.startswith(prefix) else None
    if split not in families.SPLITS:
        raise ValueError(f"--dataset {cfg.dataset!r}: SFT needs teacher snippets, which only the generated "
                         f"families have: use one of {', '.join(prefix + s for s in families.SPLITS)}, "
                         f"{', '.join(DM_TRAIN)}")
    return families.generate(split, per_family=cfg.per_family)


def _executor(cfg: SFTStageConfig) -> Any:
    import shlex

    from agent_client import McpExecutor

    return McpExecutor.http(cfg.mcp_url) if cfg.mcp_url else McpExecutor.stdio(shlex.split(cfg.mcp_command))


def build_traces(cfg: SFTStageConfig, tokenizer: Any) -> list[dict[str, list[int]]]:
    """Collect (or reload) the teacher traces; returns the SFT rows."""
    import anyio

    from agent_client import Trajectory
    from train.teacher import collect, sft_row

    out = Path(cfg.output_dir)
    path = out / "traces.jsonl"
    if path.is_file():
        trajs = [Trajectory.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]
        log.info("reusing %d traces from %s", len(trajs), path)
        return [sft_row(t) for t in trajs]
    items = family_items(cfg)

    async def go() -> Any:
        if cfg.mode == "plain":
            return await collect(items, tokenizer, mode="plain", prompt_version=cfg.prompt_version, executor=None,
                                 max_tool_output_tokens=cfg.max_tool_output_tokens)
        async with _executor(cfg) as ex:
            return await collect(items, tokenizer, mode="agent", prompt_version=cfg.prompt_version, executor=ex,
                                 max_tool_output_tokens=cfg.max_tool_output_tokens)

    traces = anyio.run(go)
    if not traces.kept:
        raise RuntimeError(f"no usable teacher trace out of {len(items)}; first drops: {traces.dropped[:3]}")
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(t.model_dump_json() + "\n" for _, t in traces.kept))
    tmp.replace(path)
    (out / "traces_summary.json").write_text(json.dumps(
        {"items": len(items), "kept": len(traces.kept), "dropped": len(traces.dropped),
         "drops": traces.dropped[:50]}, indent=2))
    log.info("teacher traces: %d kept, %d dropped", len(traces.kept), len(traces.dropped))
    return [sft_row(t) for _, t in traces.kept]


def sft_args(cfg: SFTStageConfig) -> Any:
    import torch
    from trl import SFTConfig

    cuda = torch.cuda.is_available()
    use_cpu = (not cuda) if cfg.use_cpu is None else cfg.use_cpu
    return SFTConfig(
        output_dir=cfg.output_dir, num_train_epochs=cfg.num_train_epochs, max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps, learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler_type, warmup_steps=cfg.warmup_ratio, seed=cfg.seed,
        completion_only_loss=True, max_length=None, packing=False, shuffle_dataset=True,
        use_cpu=use_cpu, bf16=(not use_cpu) if cfg.bf16 is None else cfg.bf16,
        save_strategy="steps", save_steps=cfg.save_steps, save_total_limit=2, logging_steps=cfg.logging_steps,
        report_to="none", dataloader_num_workers=0, gradient_checkpointing=False,
    )


def build_trainer(cfg: SFTStageConfig, *, model: Any = None, tokenizer: Any = None,
                  rows: list[dict[str, list[int]]] | None = None) -> Any:
    """The SFTTrainer for this stage (nothing trained yet). Tests pass a tiny model and rows."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTTrainer

    from train.checkpoints import guard
    from train.trainer import lora_config

    args = sft_args(cfg)
    name = base_model(cfg) if model is None or tokenizer is None else cfg.model
    if tokenizer is None:
        tokenizer = AutoTokenizer.from_pretrained(name)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if model is None:
        model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.bfloat16 if args.bf16 else torch.float32)
    if rows is None:
        rows = build_traces(cfg, tokenizer)
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                         peft_config=lora_config(cfg))  # the GRPO stage's LoRA builder, same fields
    return guard(trainer, cfg.output_dir)  # a full disk while saving: one line, whole checkpoints


def write_adapter_meta(out: Path, *, base: str, prompt_version: str, mode: str, recipe: dict[str, Any]) -> Path:
    """Record what an adapter needs to be used as trained: its base model, prompt version and mode."""
    from train.checkpoints import write_whole

    path = out / ADAPTER_META
    write_whole(path, json.dumps({"base_model": base, "prompt_version": prompt_version, "mode": mode,
                                  "recipe": recipe}, indent=2, default=str))
    return path


def run(cfg: SFTStageConfig) -> dict[str, Any]:
    """Collect traces, train, save the adapter and its metadata. Resumable."""
    from train.checkpoints import last_whole_checkpoint, saving, write_whole

    out = Path(cfg.output_dir)
    trainer = build_trainer(cfg)
    last = last_whole_checkpoint(out) if cfg.resume else None
    result = trainer.train(resume_from_checkpoint=last)
    trainer.save_model(str(out))
    with saving(out):
        summary = {"train": result.metrics, "global_step": result.global_step, "examples": len(trainer.train_dataset), "resumed_from": last}
        write_whole(out / "sft_summary.json", json.dumps(summary, indent=2, default=str))
        # last: the recipe counts the stage finished once this file exists
        write_adapter_meta(out, base=base_model(cfg), prompt_version=cfg.prompt_version, mode=cfg.mode,
                           recipe={"stage": "sft", **cfg.to_dict()})
    return summary


def parse_args(argv: list[str] | None = None) -> SFTStageConfig:
    from trl import TrlParser

    parser = TrlParser(SFTStageConfig, prog="deepmath-train sft",
                       description="Cold-start SFT of the DeepMath agent on teacher traces made by the real "
                                   "agent loop and sandbox (TRL SFTTrainer + LoRA).")
    (cfg,) = parser.parse_args_and_config(args=argv)
    return cfg
