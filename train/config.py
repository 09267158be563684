"""The training configuration: one typed dataclass whose field help *is* the CLI help.

Why a dataclass and not argparse alone: the same object is built from the command line, from a
YAML file (`--config run.yaml`; command-line flags win over the file) or from Python (tests,
benchmarks), and it is saved next to the adapter so a run can be traced to its exact settings.
Defaults follow Intel's DeepMath recipe (configs/training.yaml of IntelLabs/DeepMath): LoRA r 32,
alpha 16, dropout 0.1, rsLoRA on all linear layers; rewards accuracy 0.1 + code use 1.0; 5000
model tokens per rollout; temperature 1.2 -> 0.7 linearly over 1000 steps; lr 1e-6 cosine with
10% warm-up; 4 generations per problem, batch 4, gradient accumulation 2; top-p 0.8; seed 42.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent_client.agent import DEFAULT_TOOL_OUTPUT_TOKENS, MIN_TOOL_OUTPUT_TOKENS
from wasm_sandbox.version import add_version

Engine = Literal["vllm-server", "vllm-colocate", "local"]
ENGINES: tuple[str, ...] = typing.get_args(Engine)


def _f(default: Any, help: str, **kw: Any) -> Any:  # noqa: A002 - "help" is argparse's word
    """A dataclass field carrying its CLI help text."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class TrainConfig:
    """Everything `deepmath-train` needs; see docs/train.md for a GPU recipe."""

    # -- what to train -----------------------------------------------------------------------------
    model: str = _f("Qwen/Qwen3-4B-Thinking-2507", "base model: hub id or local checkpoint directory")
    dataset: str = _f("openmath-tir", "training problems, as in deepmath-eval: a registry name ('openmath-tir': "
                                      "OpenMathReasoning TIR problems with answers, hub; 'champ': CHAMP problems "
                                      "with a closed-form answer, offline; `deepmath-eval datasets` lists all), "
                                      "'hf:OWNER/NAME[:SPLIT]' (any hub dataset) or a local "
                                      ".jsonl/.json/.parquet/.csv file")
    problem_col: str | None = _f(None, "column holding the problem text (hub datasets and local files; "
                                       "default: detected, e.g. problem or question)")
    answer_col: str | None = _f(None, "column holding the gold final answer (default: detected, e.g. answer)")
    id_col: str | None = _f(None, "column holding a unique problem id (default: detected, else the row number)")
    max_samples: int | None = _f(None, "use at most this many problems (after shuffling with --seed)")
    init_adapter: str | None = _f(None, "start from this LoRA adapter (e.g. the output of `deepmath-train sft`) "
                                        "and keep training it; the --lora-* options are then ignored")
    output_dir: str = _f("runs/deepmath-grpo", "where checkpoints, the final LoRA adapter, the training "
                                               "config and metrics.jsonl are written")
    resume_from_checkpoint: str | None = _f(None, "resume from this checkpoint directory, or 'latest' for "
                                                  "the newest checkpoint-* in --output-dir")

    # -- rollout engine ----------------------------------------------------------------------------
    engine: Engine = _f("vllm-server", "who generates rollouts: 'vllm-server' (TRL's `trl vllm-serve` on "
                                       "other GPUs, weights synced every step), 'vllm-colocate' (vLLM inside "
                                       "the trainer process) or 'local' (the trainer's own policy via "
                                       "transformers generate; CPU/offline)")
    vllm_server_base_url: str = _f("http://127.0.0.1:8000", "base URL of `trl vllm-serve` (engine vllm-server)")
    vllm_server_timeout: float = _f(240.0, "seconds to wait for the vLLM server at start-up")
    vllm_gpu_memory_utilization: float = _f(0.3, "GPU memory fraction for vLLM (engine vllm-colocate)")
    vllm_max_model_length: int | None = _f(None, "vLLM context length (engine vllm-colocate); "
                                                 "default: prompt + --max-tokens + tool output room")
    mcp_command: str = _f("deepmath-mcp", "command that starts the sandbox MCP server over stdio")
    mcp_url: str | None = _f(None, "use a running MCP server at this streamable-HTTP URL instead of "
                                   "spawning --mcp-command (e.g. http://127.0.0.1:8765/mcp); its bearer "
                                   "token, if any, from $DEEPMATH_MCP_TOKEN")
    rollout_concurrency: int = _f(64, "trajectories run concurrently per rollout batch")
    max_dropped_fraction: float = _f(0.5, "stop training when more than this fraction of a batch's rollouts "
                                          "fail (backend or MCP failure); failed rollouts are dropped, "
                                          "never replaced")

    # -- agent budgets -----------------------------------------------------------------------------
    max_tokens: int = _f(5000, "model tokens per rollout (tool output not counted)")
    max_tokens_per_step: int = _f(1024, "model tokens per generate call (between two tool calls)")
    agent_max_steps: int = _f(50, "model turns per rollout; a turn ends at a tool call (Intel: max_agent_steps 50)")
    tool_timeout_s: float | None = _f(None, "per-snippet sandbox timeout; default: the server's")
    max_tool_output_tokens: int | None = _f(DEFAULT_TOOL_OUTPUT_TOKENS, "tokens one tool output may add to a "
                                            "rollout (the middle of a longer one is cut, marked; as deepmath-agent "
                                            "and deepmath-eval --max-tool-output); none = no cap")
    prompt_version: str = _f("v1", "agent prompt version (agent_client/prompts/<v>.json) or a prompt file")
    top_p: float = _f(0.8, "nucleus sampling during rollouts (Intel: 0.8)")

    # -- temperature schedule ----------------------------------------------------------------------
    temperature_start: float = _f(1.2, "rollout temperature at step 0")
    temperature_end: float = _f(0.7, "rollout temperature from --temperature-steps on")
    temperature_steps: int = _f(1000, "steps over which temperature moves linearly from start to end")

    # -- rewards -----------------------------------------------------------------------------------
    reward_accuracy: float = _f(0.1, "weight of the accuracy reward (math-verify against the gold answer)")
    reward_code: float = _f(1.0, "weight of the code-use reward (at least one snippet ran with status ok)")
    reward_length: float = _f(0.0, "weight of the length shaping reward (1 - model_tokens/max_tokens; "
                                   "0 disables it)")

    # -- GRPO --------------------------------------------------------------------------------------
    max_steps: int = _f(-1, "optimizer steps; -1 = run --num-train-epochs over the dataset")
    num_train_epochs: float = _f(1.0, "epochs over the dataset when --max-steps is -1")
    num_generations: int = _f(4, "rollouts per problem (the GRPO group)")
    per_device_train_batch_size: int = _f(4, "rollouts per device per micro-batch")
    gradient_accumulation_steps: int = _f(2, "micro-batches per optimizer step")
    learning_rate: float = _f(1e-6, "peak learning rate")
    lr_scheduler_type: str = _f("cosine", "transformers scheduler name")
    warmup_ratio: float = _f(0.1, "fraction of steps spent warming up the learning rate")
    weight_decay: float = _f(0.001, "AdamW weight decay")
    beta: float = _f(0.0, "KL coefficient against the reference policy (0 = no reference model)")
    epsilon_high: float = _f(0.4, "upper clip of the importance ratio (DAPO clip-higher; Intel: 0.4)")
    loss_type: str = _f("dapo", "TRL GRPO loss aggregation (grpo, dr_grpo, dapo, bnpo, ...)")
    gradient_checkpointing: bool = _f(True, "trade compute for memory in the backward pass")
    bf16: bool | None = _f(None, "bfloat16 training; default: on when a CUDA GPU is present")
    use_cpu: bool | None = _f(None, "train on CPU; default: on when no CUDA GPU is present")
    seed: int = _f(42, "seed for data order, LoRA init and sampling")

    # -- dynamic sampling (train/sampling.py) --------------------------------------------------------
    dynamic_sampling: bool = _f(False, "replace GRPO groups whose rewards are all equal (no gradient) by groups of "
                                       "problems drawn from an edge-of-competence pool of the training set, "
                                       "DAPO-style; needs --per-device-train-batch-size a multiple of "
                                       "--num-generations")
    max_resample: int = _f(2, "dynamic sampling: rounds of replacement draws per batch before the remaining "
                              "zero-variance groups are kept (and counted in sampling/zero_std_frac_after)")
    pool_window: int = _f(8, "dynamic sampling: a problem is retired when its last this-many rollouts were "
                             "all right or all wrong (pass rate 1 or 0)")
    pool_cooldown: int = _f(50, "dynamic sampling: a retired problem is re-admitted after this many steps plus "
                                "a seeded jitter of up to half as many")
    pool_probe: str | None = _f(None, "dynamic sampling: a `deepmath-eval run` file of the starting policy on "
                                      "the training problems (pass@k probe); problems it always or never "
                                      "solved start retired")

    # -- LoRA --------------------------------------------------------------------------------------
    lora_r: int = _f(32, "LoRA rank")
    lora_alpha: int = _f(16, "LoRA alpha")
    lora_dropout: float = _f(0.1, "LoRA dropout")
    use_rslora: bool = _f(True, "rank-stabilised LoRA scaling (alpha / sqrt(r))")
    lora_target_modules: str = _f("all-linear", "'all-linear' or a comma-separated list of module names")

    # -- bookkeeping -------------------------------------------------------------------------------
    logging_steps: int = _f(1, "log metrics every N steps")
    save_steps: int = _f(20, "save a checkpoint every N steps (0 = only the final adapter)")
    save_total_limit: int | None = _f(None, "keep at most this many checkpoints")
    report_to: str = _f("none", "comma-separated trackers for transformers (none, wandb, tensorboard, ...)")

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {self.engine!r}")
        if self.num_generations < 2:
            raise ValueError("num_generations must be >= 2 (GRPO needs a group to compare against)")
        if min(self.reward_accuracy, self.reward_code, self.reward_length) < 0:
            raise ValueError("reward weights must be >= 0")
        if not 0.0 <= self.max_dropped_fraction <= 1.0:
            raise ValueError("max_dropped_fraction must be in [0, 1]")
        if self.max_resample < 0 or self.pool_window < 1 or self.pool_cooldown < 0:
            raise ValueError("max_resample and pool_cooldown must be >= 0, pool_window >= 1")
        if self.temperature_steps < 0 or self.temperature_start < 0 or self.temperature_end < 0:
            raise ValueError("temperature schedule values must be >= 0")
        if self.max_tool_output_tokens is not None and self.max_tool_output_tokens < MIN_TOOL_OUTPUT_TOKENS:
            raise ValueError(f"max_tool_output_tokens must be at least {MIN_TOOL_OUTPUT_TOKENS} (or none)")

    # -- serialisation -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, path: str | Path) -> Path:
        """Write the config as YAML (readable by `--config`)."""
        import yaml

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))
        return path


# -- command line ------------------------------------------------------------------------------------
def build_parser(prog: str = "deepmath-train") -> Any:
    """TRL's dataclass parser: one `--kebab-case` flag (and its `--snake_case` twin) per TrainConfig
    field, help from the field, `--config FILE` (YAML or JSON) for defaults, explicit flags win.

    Two gaps of `HfArgumentParser` are closed here: an optional value (`int | None`, ...) also takes
    `none`/`null`, and an optional boolean (`bool | None`: unset = decided at run time) gets the
    `--flag` / `--no-flag` pair that plain booleans get."""
    from trl import TrlParser

    class Parser(TrlParser):
        def set_defaults_with_config(self, **kwargs: Any) -> list[str]:
            # config keys may be spelled like the flags (kebab-case) or like the fields
            return super().set_defaults_with_config(**{str(k).replace("-", "_"): v for k, v in kwargs.items()})

    parser = Parser(TrainConfig, prog=prog, description="GRPO + LoRA training of the DeepMath agent: rollouts "
                    "through agent_client and the deepmath-mcp sandbox.")
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help="YAML/JSON file of options (field or flag names); command-line flags win")
    add_version(parser)
    hints = typing.get_type_hints(TrainConfig)
    actions = {a.dest: a for a in parser._actions if a.option_strings and a.dest in hints}
    for name, action in actions.items():
        args = typing.get_args(hints[name])
        if type(None) not in args or typing.get_origin(hints[name]) not in (typing.Union, types.UnionType):
            continue
        if bool in args:
            action.nargs, action.const = "?", True
            parser.add_argument(f"--no-{name.replace('_', '-')}", dest=name, action="store_false",
                                help=f"the opposite of --{name.replace('_', '-')}")
        else:
            action.type = _none_or(action.type)
    return parser


def _none_or(conv: Any) -> Any:
    def parse(text: str) -> Any:
        return None if text.lower() in ("none", "null") else conv(text)

    parse.__name__ = getattr(conv, "__name__", "value")
    return parse


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """A TrainConfig from `--config FILE` (if given) overridden by explicit flags. Bad flags or values
    exit with a usage message; options in the file that are no TrainConfig field raise ValueError."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    argv = [x for a in argv for x in (a.split("=", 1) if a.startswith("--config=") else [a])]  # TRL wants two words
    try:
        cfg, from_file, from_flags = parser.parse_args_and_config(
            argv, return_remaining_strings=True, separate_remaining_strings=True)
    except ValueError as exc:  # TrainConfig.__post_init__ rejected a value, or the file is no mapping
        parser.error(str(exc))
    if from_flags:
        parser.error(f"unrecognized arguments: {' '.join(from_flags)}")
    if from_file:
        raise ValueError(f"--config: unknown option(s) {sorted(k[2:] for k in from_file[::2])}")
    return cfg
