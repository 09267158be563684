"""Ctrl-C in `deepmath-eval run`, for real: a subprocess receives SIGINT and must stop quickly,
keep every finished sample on disk, say what it kept, and resume generating only what is missing.

Two models: a scripted policy behind a real HTTP server (see conftest.py; its answers go through
the real sandbox) and the tiny random-weight Qwen3 in the in-process engine, whose generate calls
run in worker threads that cannot be cancelled (the case that used to take 20 minutes to stop).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from eval.datasets import load
from eval.records import read_run

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _samples_on_disk(path: Path) -> int:
    return path.read_text().count('"type":"sample"') if path.exists() else 0


def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "eval.cli", "run", *argv], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen, ready, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.05)


def test_sigint_keeps_every_finished_sample_and_resume_runs_only_the_rest(tmp_path, tiny_model_dir, champ_server):
    problems = load("champ", limit=4)
    srv = champ_server(problems, delay_s=0.3)
    out = tmp_path / "run.jsonl"
    argv = ["--dataset", "champ", "--limit", "4", "--samples", "2", "--concurrency", "2", "--engine", "openai",
            "--base-url", srv.base_url, "--tokenizer", str(tiny_model_dir), "--out", str(out), "-q"]
    proc = _start(argv)
    _wait_for(proc, lambda: _samples_on_disk(out) >= 3)
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=30)
    err = " ".join(proc.stderr.read().split())  # unwrap the console's 80-column lines
    assert rc == 130, err[-3000:]
    run = read_run(out)
    kept = sum(len(p.samples) for p in run.problems) + run.partial_samples
    assert 3 <= kept < 8, "the run was not interrupted mid-way"
    assert f"holds {len(run.problems)} finished problems" in err and "Rerun the same command" in err
    time.sleep(1.0)  # the server finishes what the dead client left in flight
    requests_after_exit = len(srv.handler.requests)
    time.sleep(1.0)
    assert len(srv.handler.requests) == requests_after_exit, "the interrupted run kept generating"

    done = subprocess.run([sys.executable, "-m", "eval.cli", "run", *argv], env=ENV, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    final = read_run(out)
    assert sorted(p.id for p in final.problems) == sorted(p.id for p in problems) and not final.partial
    assert final.duplicates == 0 and final.torn_lines == 0
    assert _samples_on_disk(out) == 8  # each sample written once: the kept ones were not generated again
    assert len(srv.handler.requests) - requests_after_exit == 2 * (8 - kept)  # 2 requests per sample
    kept_before = {(p.id, j): s for p in run.problems for j, s in enumerate(p.samples)}
    kept_before |= {(pid, j): s for pid, have in run.partial.items() for j, s in have.items()}
    for p in final.problems:  # the kept samples are the ones scored, unchanged
        for j, s in enumerate(p.samples):
            if (p.id, j) in kept_before:
                assert s.trajectory == kept_before[p.id, j].trajectory and s.seed == kept_before[p.id, j].seed


def _local_run(tiny_model_dir, out: Path) -> subprocess.Popen:
    # plain mode and greedy decoding: the random model then repeats one token and never emits EOS (sampled, it
    # draws EOS about once per thousand tokens, and a fast machine finished the run before the signal), so
    # every generate call runs to the 4096-token context window
    return _start(["--dataset", "champ", "--limit", "2", "--samples", "2", "--mode", "plain", "--engine", "local",
                   "--model", str(tiny_model_dir), "--max-tokens", "20000", "--max-tokens-per-step", "20000",
                   "--temperature", "0", "--out", str(out), "-q"])


def test_sigint_with_the_local_engine_does_not_wait_for_generation(tmp_path, tiny_model_dir):
    out = tmp_path / "run.jsonl"
    proc = _local_run(tiny_model_dir, out)
    _wait_for(proc, lambda: out.exists() and out.stat().st_size > 0)
    time.sleep(1.0)  # generation is under way in a worker thread
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=20)  # old main: waited for every queued 20000-token generate call
    stopped_after = time.monotonic() - t0
    err = " ".join(proc.stderr.read().split())  # unwrap the console's 80-column lines
    assert rc == 130, err[-3000:]
    # the batched local backend ends a cancelled caller's row at once, so the stop is clean; a generate call
    # that would not end is abandoned after 1.5 s instead (either way nothing unfinished is written)
    assert f"{out} holds 0 finished problems" in err, err[-3000:]
    assert stopped_after < 15, stopped_after
    assert read_run(out).header.samples == 2  # the file is intact and resumable


def test_second_sigint_exits_at_once(tmp_path, tiny_model_dir):
    out = tmp_path / "run.jsonl"
    proc = _local_run(tiny_model_dir, out)
    _wait_for(proc, lambda: out.exists() and out.stat().st_size > 0)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=20)
    err = " ".join(proc.stderr.read().split())  # unwrap the console's 80-column lines
    # either the second interrupt found the first still stopping, or the first had already stopped cleanly
    assert rc == 130 and ("second interrupt: exiting now" in err or "stopped: interrupted" in err), err[-3000:]
    assert "abandoned" not in err  # it did not wait for the grace period
