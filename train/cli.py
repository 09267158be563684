"""`deepmath-train`: GRPO + LoRA training of the DeepMath agent (see docs/train.md).

    deepmath-train [GRPO flags]          GRPO (every flag is a TrainConfig field)
    deepmath-train sft [SFT flags]       cold-start SFT on teacher traces (train/sft.py)
    deepmath-train recipe [flags]        the resumable DeepMath-nano recipe (train/recipe.py)

Every flag is a TrainConfig field (`deepmath-train --help` prints each with its help text and
default); `--config run.yaml` sets any of them from a file. The run writes the LoRA adapter,
`train_config.yaml`, `metrics.jsonl` and `rollout_summary.json` to `--output-dir`.
"""

from __future__ import annotations

import json
import logging
import os
import sys

from wasm_sandbox.diskfull import DiskFull


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # torch with >1 thread is 10-100x slower on small ops
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["sft"]:
        return _sft(argv[1:])
    if argv[:1] == ["recipe"]:
        from train.recipe import main as recipe_main

        return recipe_main(argv[1:])
    from train.config import parse_args

    cfg = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    from agent_client import AgentError
    from train.rewards import RewardError
    from train.rollout import RolloutFailure
    from train.trainer import build, train

    try:
        summary = train(build(cfg))
    except DiskFull as exc:
        return _disk_full(exc)
    except (AgentError, RolloutFailure, RewardError, FileNotFoundError, ValueError) as exc:
        print(f"deepmath-train: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"output_dir": cfg.output_dir, **summary}, indent=2, default=str))
    return 0


def _disk_full(exc: Exception) -> int:
    """One line and the usage exit code: the whole checkpoints are kept, rerunning resumes."""
    print(f"deepmath-train: error: {exc}", file=sys.stderr)
    return 2


def _sft(argv: list[str]) -> int:
    from train.sft import parse_args, run

    cfg = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    try:
        summary = run(cfg)
    except DiskFull as exc:
        return _disk_full(exc)
    print(json.dumps({"output_dir": cfg.output_dir, **summary}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
