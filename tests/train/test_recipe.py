"""The DeepMath-nano recipe resumes after a kill: the SFT stage, killed (SIGKILL, whole process group) after
its first checkpoint, continues from that checkpoint; a finished stage is never run again.

Real parts: the `deepmath-train recipe` CLI, its `deepmath-train sft` child, the teacher traces through the
agent loop and `deepmath-mcp`, TRL's SFTTrainer, on the tiny test model (random weights: only the
mechanics are under test here; docs/nano.md has the real model's numbers).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _recipe(out: Path, model: Path) -> list[str]:
    return [sys.executable, "-m", "train.cli", "recipe", "--out", str(out), "--model", str(model),
            "--stages", "sft-agent", "--sft-per-family", "1", "--sft-batch", "4", "--sft-save-steps", "2",
            "--train-threads", "1"]


def test_killed_sft_stage_resumes_from_its_checkpoint_and_is_not_rerun(tiny_model_dir, tmp_path):
    out = tmp_path / "nano"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(_recipe(out, tiny_model_dir), env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sft = out / "sft-agent"
    deadline = time.monotonic() + 240
    try:
        while not list(sft.glob("checkpoint-*/trainer_state.json")):
            assert proc.poll() is None, "the recipe ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (sft / "deepmath_adapter.json").exists()  # killed mid-stage
    first = sorted(int(p.name.split("-")[1]) for p in sft.glob("checkpoint-*"))[0]

    subprocess.run(_recipe(out, tiny_model_dir), env=env, check=True, capture_output=True, timeout=300)
    summary = json.loads((sft / "sft_summary.json").read_text())
    assert summary["resumed_from"] and Path(summary["resumed_from"]).name.startswith("checkpoint-")
    assert int(Path(summary["resumed_from"]).name.split("-")[1]) >= first
    n_traces = len((sft / "traces.jsonl").read_text().splitlines())
    assert summary["global_step"] == -(-n_traces // 4)  # one epoch at batch 4, not more
    meta = json.loads((sft / "deepmath_adapter.json").read_text())
    assert meta["prompt_version"] == "nano-v1" and meta["mode"] == "agent"

    seconds = json.loads((out / "stage_seconds.json").read_text())
    assert seconds["sft-agent"] > 0  # wall time is kept across invocations (the killed one had no chance)

    log_before = (out / "recipe.log").read_text()
    subprocess.run(_recipe(out, tiny_model_dir), env=env, check=True, capture_output=True, timeout=120)
    new = (out / "recipe.log").read_text()[len(log_before):]
    assert "sft-agent:" not in new  # finished: not started again
    assert json.loads((out / "stage_seconds.json").read_text()) == seconds
