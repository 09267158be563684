"""DeepMath training: GRPO + LoRA where every rollout is a real run of the agent (see docs/train.md).

Modules: `config` (TrainConfig, the CLI's flags), `data` (problems + answers), `rewards` (small reward
functions combined by weight), `rollout` (TRL `rollout_func` over agent_client and deepmath-mcp),
`callbacks` (temperature schedule, metrics.jsonl), `trainer` (assembles the GRPOTrainer and runs it),
`vllm_backend` (the colocate engine's backend), `cli` (`deepmath-train`). Importing the package does
not import torch.
"""
