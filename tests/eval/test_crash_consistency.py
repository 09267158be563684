"""Crash consistency (issue 23 item 3), evaluation: `kill -9` of `deepmath-eval run` at seeded random moments;
the same command rerun until it completes must leave the run file whole, with each sample exactly once and
every sample kept before a rerun unchanged (it resumed, not restarted).

The model is the scripted server of conftest.py (answers through the real sandbox): the tiny random model
would be too slow to give many kill points. benchmarks/crash.py is the long run over all four commands.
"""

from __future__ import annotations

import random

from eval.datasets import load
from support.crashcases import Row, check_run_file, eval_case, sample_lines
from support.killharness import run_with_kills


def test_eval_killed_three_times_keeps_each_sample_once(tmp_path, tiny_model_dir, champ_server):
    problems = load("champ", limit=4)
    srv = champ_server(problems, delay_s=0.15)
    out = tmp_path / "run.jsonl"
    kept: list[dict] = []
    run = run_with_kills(eval_case(out, srv.base_url, tiny_model_dir, limit=4, samples=3, jitter_s=0.4), 3,
                         random.Random(23), tmp_path / "logs", on_rerun=lambda i: kept.append(sample_lines(out)))
    row = Row("eval").add(run)
    check_run_file(out, {p.id for p in problems}, 3, row, kept)
    assert row.kills == 3 and run.completed
    assert any(kept), "no kill came after a sample was written"
    assert not row.problems, row.problems
    assert (row.lost, row.duplicated, row.corrupt) == (0, 0, 0) and row.found == row.expected == 12, row
