"""`deepmath-train`: GRPO + LoRA training of the DeepMath agent (see docs/train.md).

Every flag is a TrainConfig field (`deepmath-train --help` prints each with its help text and
default); `--config run.yaml` sets any of them from a file. The run writes the LoRA adapter,
`train_config.yaml`, `metrics.jsonl` and `rollout_summary.json` to `--output-dir`.
"""

from __future__ import annotations

import json
import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # torch with >1 thread is 10-100x slower on small ops
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
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
    except (AgentError, RolloutFailure, RewardError, FileNotFoundError, ValueError) as exc:
        print(f"deepmath-train: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"output_dir": cfg.output_dir, **summary}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
