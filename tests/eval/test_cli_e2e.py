"""End to end: `deepmath-eval run` + `score` + `compare` with the real sandbox over MCP (stdio).

Two kinds of model: the tiny random-weight Qwen3 in the in-process engine (the issue's end-to-end
path: real transformer, real tokenizer, real deepmath-mcp; its text is noise, so its accuracy is
whatever it is and only the bookkeeping is checked), and a scripted policy behind a real HTTP
server (see conftest.py) whose answers go through the sandbox, so exact scores can be asserted.
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

from eval.datasets import load
from eval.records import read_run
from support.eval_cli import cli, scripted_args


@pytest.mark.slow
def test_tiny_model_run_score_compare(tmp_path, tiny_model_dir):
    agent_run, plain_run, plot = tmp_path / "agent.jsonl", tmp_path / "plain.jsonl", tmp_path / "acc.png"
    common = ["--dataset", "champ", "--limit", "5", "--samples", "2", "--engine", "local", "--model",
              str(tiny_model_dir), "--max-tokens", "24", "--seed", "1", "-q"]
    rc, _, err = cli("run", *common, "--out", str(agent_run))
    assert rc == 0, err
    rc, _, err = cli("run", *common, "--mode", "plain", "--out", str(plain_run))
    assert rc == 0, err

    run = read_run(agent_run)
    assert run.header.dataset == "champ" and run.header.samples == 2 and run.header.mode == "agent"
    assert run.header.engine == "local" and run.header.versions["math-verify"]
    assert run.header.budgets["max_tokens"] == 24
    assert run.header.concurrency == 16  # the local engine's default (its batch size; a server's is 64)
    assert "peak memory" in err
    assert sorted(p.id for p in run.problems) == sorted(p.id for p in load("champ", limit=5))
    for p in run.problems:
        assert len(p.samples) == 2
        for s in p.samples:
            assert 0 < s.model_tokens <= 24 and s.trace_tokens >= s.model_tokens
            assert s.finish_reason in {"answer", "eos", "max_steps", "budget"}
            assert s.correct is False or s.answer is not None

    rc, text, _ = cli("score", str(agent_run), str(plain_run), "--format", "json")
    assert rc == 0
    scored = json.loads(text)
    assert [Path(r["run"]).name for r in scored] == ["agent.jsonl", "plain.jsonl"]
    for r, path in zip(scored, (agent_run, plain_run)):
        samples = [s for p in read_run(path).problems for s in p.samples]
        assert r["score"]["problems"] == 5 and r["score"]["samples_per_problem"] == 2
        assert r["score"]["mean_model_tokens"] == pytest.approx(sum(s.model_tokens for s in samples) / 10)
        assert r["score"]["mean"]["value"] == pytest.approx(sum(s.correct for s in samples) / 10)
    assert scored[1]["header"]["mode"] == "plain" and scored[1]["score"]["tool_calls_per_problem"] == 0

    rc, text, _ = cli("score", str(agent_run), "--format", "markdown")
    assert rc == 0 and text.startswith("| run | dataset |") and "| agent | champ |" in text
    rc, text, err = cli("compare", str(plain_run), str(agent_run), "--format", "csv", "--plot", str(plot))
    assert rc == 0
    lines = text.strip().splitlines()
    assert lines[0].startswith("run,dataset,") and len(lines) == 3 and ",base," in lines[1]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000


def test_scripted_answers_through_the_sandbox_are_scored_exactly(tmp_path, tiny_model_dir, champ_server):
    problems = load("champ", limit=5)
    srv = champ_server(problems)
    out = tmp_path / "run.jsonl"
    rc, _, err = cli("run", "--dataset", "champ", "--limit", "5", "--samples", "3", *scripted_args(srv, tiny_model_dir),
                     "--max-tool-output", "96", "--out", str(out), "-q")
    assert rc == 0, err
    run = read_run(out)
    assert run.header.budgets["max_tool_output_tokens"] == 96
    expected = {p.id: (i % 2 == 0) for i, p in enumerate(problems)}
    assert {p.id for p in run.problems} == set(expected)
    for p in run.problems:
        for s in p.samples:
            assert s.tool_calls == 1 and s.tool_errors == 0 and s.finish_reason == "answer"
            assert s.correct is expected[p.id]
            assert (s.answer == p.gold) is expected[p.id]
            # the trajectory is kept: prose, the snippet, the sandbox's output with its status, the answer
            assert [seg.kind for seg in s.trajectory] == ["text", "code", "tool", "text"]
            code, tool = s.trajectory[1], s.trajectory[2]
            assert code.text.startswith("x = ") and tool.status == "ok" and tool.text.strip() == s.answer
            assert f"\\boxed{{{s.answer}}}" in s.trajectory[3].text
        assert [s.cluster for s in p.samples] == [0, 0, 0]
    rc, text, _ = cli("score", str(out), "--format", "json")
    score = json.loads(text)[0]["score"]
    assert score["maj"]["value"] == pytest.approx(3 / 5)
    assert score["mean"]["value"] == pytest.approx(3 / 5)
    assert score["pass_at"]["3"]["value"] == pytest.approx(3 / 5)
    assert score["tool_calls_per_problem"] == 3.0 and score["tool_error_rate"] == 0.0
    assert score["finish_reasons"] == {"answer": 15}


def test_shards_partition_the_dataset_and_mismatched_resume_is_refused(tmp_path, tiny_model_dir, champ_server):
    problems = load("champ", limit=5)
    srv = champ_server(problems)
    ids = []
    for i in range(2):
        out = tmp_path / f"shard{i}.jsonl"
        rc, _, err = cli("run", "--dataset", "champ", "--limit", "5", "--shard", f"{i}/2",
                         *scripted_args(srv, tiny_model_dir), "--out", str(out), "-q")
        assert rc == 0, err
        run = read_run(out)
        assert run.header.shard == f"{i}/2" and run.header.dataset_size == 5
        ids.append({p.id for p in run.problems})
    assert ids[0].isdisjoint(ids[1]) and ids[0] | ids[1] == {p.id for p in problems}
    assert ids[0] == {problems[0].id, problems[2].id, problems[4].id}
    rc, text, _ = cli("score", "--merge", str(tmp_path / "shard0.jsonl"), str(tmp_path / "shard1.jsonl"),
                      "--format", "json")
    merged = json.loads(text)
    assert rc == 0 and len(merged) == 1 and merged[0]["header"]["shard"] is None
    assert merged[0]["score"]["problems"] == 5 and merged[0]["duplicates"] == 0
    assert merged[0]["score"]["mean"]["value"] == pytest.approx(3 / 5)  # even dataset indices are right
    before = (tmp_path / "shard0.jsonl").read_bytes()
    rc, _, err = cli("run", "--dataset", "champ", "--limit", "5", "--shard", "0/2", "--samples", "2",
                     *scripted_args(srv, tiny_model_dir), "--out", str(tmp_path / "shard0.jsonl"), "-q")
    assert rc == 2 and "samples" in err and "different run" in err
    assert (tmp_path / "shard0.jsonl").read_bytes() == before


def test_resume_refuses_a_changed_budget_and_a_larger_limit_extends_the_run(tmp_path, tiny_model_dir, champ_server):
    problems = load("champ", limit=4)
    srv = champ_server(problems)
    out = tmp_path / "run.jsonl"
    base = ["run", "--dataset", "champ", "--samples", "2", *scripted_args(srv, tiny_model_dir), "--out", str(out), "-q"]
    rc, _, err = cli(*base, "--limit", "2")
    assert rc == 0, err
    before = out.read_bytes()
    # a different token budget changes results: refused, naming the setting, file untouched
    rc, _, err = cli(*base, "--limit", "2", "--max-tokens", "77")
    assert rc == 2 and "different run" in err and "budgets.max_tokens" in err, err
    assert out.read_bytes() == before
    rc, _, err = cli(*base, "--limit", "2", "--max-tool-output", "0")  # so does the tool output cap
    assert rc == 2 and "budgets.max_tool_output_tokens" in err, err
    assert out.read_bytes() == before
    # a larger --limit extends the same run: the 2 finished problems are kept, 2 more are added
    requests = len(srv.handler.requests)
    rc, _, err = cli(*base, "--limit", "4")
    assert rc == 0, err
    assert "extended the run from 2 to 4 problems" in err and "2 already in" in err
    run = read_run(out)
    assert run.header.dataset_size == 4 and sorted(p.id for p in run.problems) == sorted(p.id for p in problems)
    kept, after = before.decode().splitlines(), out.read_text().splitlines()
    assert after[1:len(kept)] == kept[1:]  # finished lines untouched; only the header's dataset_size grew
    assert len(srv.handler.requests) - requests == 2 * 2 * 2  # only the 2 new problems × 2 samples ran
    rc, text, _ = cli("score", str(out), "--format", "json")
    assert rc == 0 and json.loads(text)[0]["score"]["problems"] == 4
    rc, text, _ = cli("score", str(out))
    assert "4/4" in text and "problems" in text


def _problem_lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if '"type":"problem"' in ln]


@pytest.mark.slow
def test_resume_after_kill_loses_nothing_and_duplicates_nothing(tmp_path, tiny_model_dir, champ_server):
    problems = load("champ", limit=6)
    srv = champ_server(problems, delay_s=0.4)  # ~1 s per problem: time to kill mid-run
    out = tmp_path / "run.jsonl"
    argv = [sys.executable, "-m", "eval.cli", "run", "--dataset", "champ", "--limit", "6", "--concurrency", "1",
            *scripted_args(srv, tiny_model_dir), "--out", str(out), "-q"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or len(_problem_lines(out)) < 2):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    first = _problem_lines(out)
    assert 2 <= len(first) < 6, "the run was not interrupted mid-way"
    # a kill in the middle of a write leaves a partial line: simulate the worst case
    with out.open("a") as fh:
        fh.write('{"type":"problem","id":"P_Comb')
    time.sleep(1.0)  # let the server finish a request the killed process left in flight (delay 0.4 s)
    requests_before = len(srv.handler.requests)
    unfinished = sum(1 for p in problems if p.id not in {r.id for r in read_run(out).problems})
    without_sample = unfinished - len(read_run(out).partial)  # a sample may be on disk before its verdict

    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{len(first)} already in" in done.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith('{"type":"header"') and sum('"type":"header"' in ln for ln in lines) == 1
    assert _problem_lines(out)[:len(first)] == first   # finished problems untouched
    run = read_run(out)
    assert run.torn_lines == 0 and run.duplicates == 0
    assert sorted(p.id for p in run.problems) == sorted(p.id for p in problems)
    # the resumed process asked the model only about the missing samples (2 requests each)
    assert len(srv.handler.requests) - requests_before == 2 * without_sample


def test_infrastructure_failures_are_never_scored_and_are_retried_on_resume(tmp_path, tiny_model_dir, champ_server):
    problems = load("champ", limit=3)
    srv = champ_server(problems)
    out = tmp_path / "run.jsonl"
    argv = ["run", "--dataset", "champ", "--limit", "3", "--samples", "2", *scripted_args(srv, tiny_model_dir),
            "--model", "scripted-champ", "--retries", "0", "--out", str(out), "-q"]
    srv.fail_next = 10_000  # the model endpoint answers every request with HTTP 503
    rc, _, err = cli(*argv, "--max-failures", "1")
    # the endpoint is checked before anything runs (fail fast): a dead one is refused at start, exit 2
    assert rc == 2 and "error" in err, err
    run = read_run(out) if out.exists() else type("R", (), {"problems": []})()
    assert run.problems == []  # nothing made up for the failed samples
    srv.fail_next = 0
    rc, _, err = cli(*argv)
    assert rc == 0, err
    assert sorted(p.id for p in read_run(out).problems) == sorted(p.id for p in problems)
