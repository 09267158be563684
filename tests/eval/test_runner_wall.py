"""`deepmath-eval score`'s "wall s/problem": a problem's time, not the time since the run started.

Every problem's task starts at once and waits for a concurrency slot; the wall time used to be
measured from the task's start, so with concurrency 1 the n-th problem reported n problems' time."""

from __future__ import annotations

import json

import anyio
import pytest

from agent_client import Trajectory
from eval import report
from eval.datasets import Problem
from eval.records import RunHeader, RunWriter, read_run
from eval.runner import run_problems

STEP_S = 0.05  # what one (fake) trajectory takes


class SlowAgent:
    """An agent whose every run takes STEP_S and answers 1."""

    async def run(self, problem: str, *, seed: int | None = None) -> Trajectory:
        await anyio.sleep(STEP_S)
        return Trajectory(problem=problem, prompt_ids=[1], answer="1", finish_reason="answer",
                          timings={"wall_s": STEP_S, "model_s": STEP_S, "tool_s": 0.0})


@pytest.mark.parametrize("samples", [1, 2])
def test_wall_per_problem_is_the_problem_s_own_time(tmp_path, samples):
    n = 8
    problems = [(i, Problem(id=f"p{i}", problem=f"question {i}", answer="1")) for i in range(n)]
    path = tmp_path / "run.jsonl"
    header = RunHeader(dataset="fake", dataset_size=n, samples=samples, mode="agent", model="fake", engine="fake",
                       tokenizer="", prompt_version="v", sampling={}, budgets={}, concurrency=1)
    with RunWriter(path, "w") as w:
        w.write(header.model_dump_json())
        anyio.run(lambda: run_problems(SlowAgent(), problems, w, samples=samples, concurrency=1))
    walls = [json.loads(line)["wall_s"] for line in path.read_text().splitlines()
             if json.loads(line)["type"] == "problem"]
    assert len(walls) == n
    # concurrency 1: the run takes n * samples * STEP_S; each problem only samples * STEP_S of it
    assert all(samples * STEP_S * 0.9 <= w < samples * STEP_S + 2 * STEP_S for w in walls), walls
    run = read_run(path)
    (score,) = report.score_runs([run], seed=0)
    row = report.score_row(run, score)
    assert score.wall_s_per_problem < samples * STEP_S + 2 * STEP_S
    assert float(row["wall s/problem"]) == pytest.approx(score.wall_s_per_problem, abs=0.05)
