"""Crash consistency (issue 23 item 3), training: `kill -9` of `deepmath-train sft`, `deepmath-train` (GRPO) and
`deepmath-train recipe`; the same command rerun until it completes must leave an adapter and a last
checkpoint that load with peft, a trainer state at the last step, and a rerun that resumed from the newest
whole checkpoint (not from scratch). The recipe's report must be complete and its run files whole.

Not slow: one SFT kill mid-save (the regression below). Slow: random kills of GRPO and the recipe.
benchmarks/crash.py is the long run (>= 20 kills, with a table). All on the tiny random-weight model.
"""

from __future__ import annotations

import random

import pytest

from support.crashcases import (Row, check_grpo_resume, check_recipe, check_sft_resume, check_training, grpo_case,
                                grpo_state, recipe_case, sft_case, whole_checkpoints)
from support.killharness import Command, run_with_kills

STEPS = 3


def _clean(row: Row) -> None:
    assert not row.problems, row.problems
    assert (row.lost, row.duplicated, row.corrupt) == (0, 0, 0), row


def test_sft_killed_mid_checkpoint_resumes_from_the_last_whole_one(tmp_path, tiny_model_dir):
    """The regression: transformers writes `checkpoint-N/` in place, `trainer_state.json` last, and
    `get_last_checkpoint` picked a folder cut short by the kill, so every rerun failed to load it."""
    out = tmp_path / "sft"
    cmd = sft_case(out, tiny_model_dir, steps=STEPS, jitter_s=0.0)

    def mid_save() -> int:  # a second checkpoint folder exists, its trainer_state.json not yet
        folders = list(out.glob("checkpoint-*"))
        return int(len(folders) >= 2 and any(not (f / "trainer_state.json").exists() for f in folders))

    before: list[list[int]] = []
    run = run_with_kills(Command(cmd.name, cmd.argv, mid_save, total=2, jitter_s=0.0, first_target=1), 1, random.Random(3),
                         tmp_path / "logs", on_rerun=lambda i: before.append(whole_checkpoints(out)))
    assert run.kills == 1 and run.completed, run
    assert before[-1] == [1], before  # killed while checkpoint-2 was being written
    row = Row("sft").add(run)
    check_training(out, tiny_model_dir, STEPS, row)
    check_sft_resume(out, before[-1], row)
    assert row.checkpoints_loaded == 2 and row.resumed == 1
    _clean(row)


@pytest.mark.slow
def test_grpo_killed_at_random_resumes(tmp_path, tiny_model_dir):
    problems = tmp_path / "problems.jsonl"
    problems.write_text("".join(f'{{"problem": "What is {a} + {b}?", "answer": "{a + b}"}}\n'
                                for a, b in ((6, 7), (2, 3), (10, 4), (9, 3))))
    out = tmp_path / "grpo"
    before: list[tuple[str, int]] = []
    run = run_with_kills(grpo_case(out, tiny_model_dir, problems, steps=3, jitter_s=3.0), 2, random.Random(7),
                         tmp_path / "logs", on_rerun=lambda i: before.append(grpo_state(out)))
    row = Row("grpo").add(run)
    check_training(out, tiny_model_dir, 3, row)
    check_grpo_resume(out, before, 3, row)
    assert run.kills == 2 and row.checkpoints_loaded == 2
    _clean(row)


@pytest.mark.slow
def test_recipe_killed_at_random_finishes_its_report(tmp_path, tiny_model_dir):
    nano = tmp_path / "nano"
    run = run_with_kills(recipe_case(nano, tiny_model_dir, jitter_s=8.0), 2, random.Random(11), tmp_path / "logs")
    row = Row("recipe").add(run)
    check_recipe(nano, tiny_model_dir, row)
    assert run.kills == 2 and row.checkpoints_loaded == 3 and row.found == row.expected > 0
    _clean(row)
