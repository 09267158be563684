"""Datasets (CHAMP offline, local JSONL with custom columns) and the `deepmath-train` command end to end."""

from __future__ import annotations

import json

import pytest


def test_champ_loads_offline():
    from train.data import load_problems

    ds = load_problems("champ", max_samples=5, seed=0)
    assert ds.column_names == ["prompt", "answer"] and len(ds) == 5
    assert all(r["prompt"] and r["answer"] for r in ds)


def test_a_dataset_with_answer_forms_gets_a_form_column():
    pytest.importorskip("mathematics_dataset")
    from eval.datasets import load
    from train.data import load_problems

    ds = load_problems("dm-extrapolate:per_module=1,seed=1")
    assert ds.column_names == ["prompt", "answer", "form"]
    assert sorted(zip(ds["prompt"], ds["answer"], ds["form"])) == sorted(
        (p.problem, p.answer, p.form) for p in load("dm-extrapolate:per_module=1,seed=1"))


@pytest.mark.parametrize("name", ["champ", "champ-all"])
def test_training_and_eval_get_the_same_problems_and_golds(name):
    """One loader: training wraps the eval registry (old main trained CHAMP on `str(p.answer)`
    for all 270 problems: 9 golds differed from eval's, e.g. "C(10, 5), or equivalently 252")."""
    from eval.datasets import load
    from train.data import load_problems

    ds = load_problems(name)
    assert sorted(zip(ds["prompt"], ds["answer"])) == sorted((p.problem, p.answer) for p in load(name))
    golds = dict(zip(ds["prompt"], ds["answer"]))
    assert "C(10, 5)" not in "".join(golds.values()) and "252" in golds.values()


def test_local_jsonl_with_custom_columns(tmp_path):
    from train.data import load_problems

    path = tmp_path / "p.jsonl"
    rows = [{"q": "1+1?", "a": "2"}, {"q": "2+2?", "a": "4"}, {"q": "no answer", "a": ""}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    ds = load_problems(str(path), problem_col="q", answer_col="a")
    assert sorted(ds["answer"]) == ["2", "4"]  # the row without an answer is dropped
    with pytest.raises(ValueError, match="--problem-col"):
        load_problems(str(path))
    with pytest.raises(ValueError, match="no such file"):
        load_problems(str(tmp_path / "missing.jsonl"))


def test_train_and_eval_take_the_same_dataset_flags():
    from eval.cli import parse_args as eval_args
    from train.config import parse_args as train_args

    flags = ["--dataset", "data.jsonl", "--problem-col", "q", "--answer-col", "a", "--id-col", "uid"]
    e = eval_args(["run", *flags, "--out", "r.jsonl"])
    t = train_args(flags)
    assert (e.dataset, e.problem_col, e.answer_col, e.id_col) == (t.dataset, t.problem_col, t.answer_col, t.id_col)
    assert t.problem_col == "q" and t.id_col == "uid"


def test_hub_dataset_offline_fails_clearly(monkeypatch):
    from train.data import load_problems

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(ValueError, match="(?s)could not load fastragdev/openmathreasoning-tir.*champ"):
        load_problems("openmath-tir")


@pytest.mark.slow
def test_cli_trains_and_writes_the_adapter(tiny_model_dir, tmp_path, capfd):
    """One real step through `deepmath-train` (local engine: the tiny policy samples; real deepmath-mcp)."""
    from train.cli import main

    data = tmp_path / "p.jsonl"
    data.write_text("\n".join(json.dumps({"problem": f"What is {i} + 1?", "answer": str(i + 1)}) for i in range(4)))
    out = tmp_path / "run"
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"model: {tiny_model_dir}\nengine: local\nlora_r: 4\ngradient_checkpointing: false\n")
    rc = main(["--config", str(cfg), "--dataset", str(data), "--output-dir", str(out), "--max-steps", "1",
               "--num-generations", "2", "--per-device-train-batch-size", "4", "--gradient-accumulation-steps", "1",
               "--max-tokens", "8", "--save-steps", "0", "--use-cpu", "--no-bf16"])
    assert rc == 0
    out_text = capfd.readouterr().out  # the trainer's progress logs come first, then the JSON summary
    summary = json.loads(out_text[out_text.index('{\n  "output_dir"'):])
    assert summary["rollouts"] == 4 and summary["dropped"] == 0
    assert (out / "adapter_model.safetensors").is_file()
    saved = (out / "train_config.yaml").read_text()
    assert "lora_r: 4" in saved and f"dataset: {data}" in saved
    assert len((out / "metrics.jsonl").read_text().splitlines()) >= 1


def test_cli_reports_a_dead_mcp_server(tiny_model_dir, tmp_path, capfd):
    from train.cli import main

    rc = main(["--model", str(tiny_model_dir), "--dataset", "champ", "--engine", "local", "--output-dir",
               str(tmp_path), "--max-steps", "1", "--mcp-command", "false", "--use-cpu", "--no-bf16",
               "--num-generations", "2", "--per-device-train-batch-size", "2", "--max-samples", "2"])
    assert rc == 1
    assert "could not connect to the MCP server" in capfd.readouterr().err
