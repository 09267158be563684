"""TrainConfig: Intel's defaults, CLI flags built from the fields, YAML round trip, CLI over YAML."""

from __future__ import annotations

import pytest

from train.config import TrainConfig, build_parser, parse_args


def test_defaults_are_intels_recipe():
    c = TrainConfig()
    assert (c.lora_r, c.lora_alpha, c.lora_dropout, c.use_rslora, c.lora_target_modules) == (
        32, 16, 0.1, True, "all-linear")
    assert (c.reward_accuracy, c.reward_code) == (0.1, 1.0)
    assert c.max_tokens == 5000
    assert (c.temperature_start, c.temperature_end) == (1.2, 0.7)
    assert c.engine == "vllm-server"


def test_every_field_is_a_flag_with_its_help():
    help_text = build_parser().format_help()
    for flag in ("--engine", "--lora-r", "--reward-code", "--temperature-steps", "--max-tokens",
                 "--no-use-rslora", "--resume-from-checkpoint", "--mcp-url"):
        assert flag in help_text
    assert "rank-stabilised LoRA" in help_text


def test_yaml_sets_and_cli_overrides(tmp_path):
    path = TrainConfig(model="m", engine="local", lora_r=8, max_samples=3).save(tmp_path / "c.yaml")
    c = parse_args(["--config", str(path), "--lora-r", "4", "--no-use-rslora"])
    assert (c.model, c.engine, c.lora_r, c.use_rslora, c.max_samples) == ("m", "local", 4, False, 3)
    assert parse_args(["--max-samples", "none"]).max_samples is None


def test_invalid_values_are_rejected(tmp_path):
    with pytest.raises(SystemExit):
        parse_args(["--engine", "gpu"])
    with pytest.raises(SystemExit):
        parse_args(["--num-generations", "1"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("lora_rank: 3\n")
    with pytest.raises(ValueError, match="unknown option"):
        parse_args(["--config", str(bad)])


def test_tool_output_cap_reaches_the_rollouts():
    from agent_client.agent import AgentConfig
    from train.sft import parse_args as sft_args
    from train.trainer import agent_config

    default = AgentConfig().max_tool_output_tokens  # one default for inference, eval, SFT and GRPO
    assert parse_args([]).max_tool_output_tokens == default == sft_args([]).max_tool_output_tokens
    assert agent_config(parse_args(["--max-tool-output-tokens", "300"])).max_tool_output_tokens == 300
    assert agent_config(parse_args(["--max-tool-output-tokens", "none"])).max_tool_output_tokens is None
    assert sft_args(["--max-tool-output-tokens", "200"]).max_tool_output_tokens == 200
    with pytest.raises((SystemExit, ValueError)):
        parse_args(["--max-tool-output-tokens", "8"])


def test_optional_booleans_and_flag_spelled_file_keys(tmp_path):
    c = parse_args(["--bf16", "--no-use-cpu", "--tool-timeout-s", "none"])  # as in docs/train.md
    assert (c.bf16, c.use_cpu, c.tool_timeout_s) == (True, False, None)
    assert (parse_args([]).bf16, parse_args(["--no-bf16"]).bf16) == (None, False)  # unset = decided at run time
    f = tmp_path / "c.yaml"
    f.write_text("lora-r: 5\nmax_samples: 7\n")
    c = parse_args(["--config", str(f)])
    assert (c.lora_r, c.max_samples) == (5, 7)
    with pytest.raises(SystemExit):
        parse_args(["--lora-rank", "3"])


def test_dm_recipe_config_and_dynamic_sampling_off_by_default():
    from pathlib import Path

    assert (TrainConfig().dynamic_sampling, TrainConfig().beta, TrainConfig().num_generations) == (False, 0.0, 4)
    c = parse_args(["--config", str(Path(__file__).parents[2] / "configs" / "grpo-dm.yaml")])
    assert c.dataset.startswith("dm-train") and c.dynamic_sampling and c.beta == 0.0
    assert (c.num_generations, c.per_device_train_batch_size % c.num_generations) == (8, 0)
    assert (c.learning_rate, c.lr_scheduler_type) == (1e-5, "cosine")
    with pytest.raises(SystemExit):
        parse_args(["--max-resample", "-1"])
